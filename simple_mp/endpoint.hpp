/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// One process's end of the message channel. The set-up: the primary creates
// the channel and the secondary attaches to it, the pool used from the main
// lcore (the prompt, which sends) and the first worker lcore (the receiver),
// both claimed. The run: the receiver on its lcore, the prompt loop on the
// main one, until the quit flag.

#include <cstdio>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include <mp/all.hpp>

#include "commands.hpp"
#include "message_channel.hpp"
#include "receiver.hpp"
#include "sender.hpp"
#include "stats.hpp"

namespace simple_mp {

class Endpoint {
public:
    // How often the prompt looks whether the receiver has said its first line.
    static constexpr unsigned receiver_start_poll_us = 100;

    Endpoint(bool primary, Stats& stats)
        : primary_(primary), receive_lcore_(mp::worker_lcores().front()),
          channel_(open_channel(primary, receive_lcore_)),
          sender_(channel_.send_ring(), channel_.pool(), channel_.put_mark(rte_get_main_lcore()),
                  stats, primary ? Sender::Side::primary : Sender::Side::secondary),
          receiver_(channel_.receive_ring(), channel_.pool(), channel_.put_mark(receive_lcore_),
                    stats, stdout)
    {
    }
    Endpoint(const Endpoint&) = delete;
    Endpoint& operator=(const Endpoint&) = delete;

    Sender& sender() noexcept { return sender_; }

    // A secondary may outlive the primary: it must not find its rings and pool
    // freed under it (nor the memory EAL cleans up).
    void keep_at_exit(mp::Eal& eal) noexcept
    {
        if (!primary_)
            return;
        channel_.keep_at_exit();
        eal.keep_shared_state_at_exit();
    }

    // One receiver keeps the messages in the order they were sent; any further
    // worker lcores stay idle. It says "Starting core N" before the first prompt.
    void run(Prompt& prompt)
    {
        mp::check(rte_eal_remote_launch(&Receiver::main_loop, &receiver_, receive_lcore_),
                  mp::strprintf("cannot start the receiver on lcore %u", receive_lcore_));
        while (!receiver_.started() && !mp::QuitFlag::raised())
            rte_delay_us_sleep(receiver_start_poll_us);
        prompt.run(); // raises the quit flag when it ends
        rte_eal_mp_wait_lcore();
    }

private:
    // Both lcores are claimed in the pool, a killed predecessor's caches put
    // right, and ours flushed at exit.
    static MessageChannel open_channel(bool primary, unsigned receive_lcore)
    {
        const unsigned pool_lcores[] = {rte_get_main_lcore(), receive_lcore};
        return primary ? MessageChannel::create(pool_lcores) : MessageChannel::attach(pool_lcores);
    }

    bool primary_;
    unsigned receive_lcore_;
    MessageChannel channel_; // the channel's claims flush our caches into the pool at exit
    Sender sender_;
    Receiver receiver_;
};

} // namespace simple_mp
