/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// The receiving side, run on a worker lcore: take messages off the receive
// ring, print each as one line, and return the buffers to the pool.

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include <rte_lcore.h>

#include <mp/lcore_cache.hpp>
#include <mp/signals.hpp>

#include "message_channel.hpp"
#include "stats.hpp"

namespace simple_mp {

class Receiver {
public:
    static constexpr unsigned burst_size = 32;
    // An idle prompt should not cost a whole CPU; this is far below anything
    // a person notices, and a burst drains burst_size at a time.
    static constexpr unsigned idle_sleep_us = 50;

    // `put_mark` is the receiving lcore's "inside a pool put" mark (see
    // MessageChannel::put_mark).
    Receiver(mp::Ring<Message> ring, mp::Mempool<Message> pool, std::atomic<uint32_t>& put_mark,
             Stats& stats, std::FILE* out) noexcept
        : ring_(ring), pool_(pool), put_mark_(put_mark), stats_(stats), out_(out)
    {}

    // Entry point for rte_eal_remote_launch(); `arg` is the Receiver.
    static int main_loop(void* arg) noexcept
    {
        static_cast<Receiver*>(arg)->run(rte_lcore_id());
        return 0;
    }

    // Receives until the quit flag is raised.
    void run(unsigned lcore) noexcept
    {
        std::fprintf(out_, "Starting core %u\n", lcore);
        std::fflush(out_);
        started_.store(true, std::memory_order_release);
        while (!mp::QuitFlag::raised()) {
            if (poll(lcore) == 0)
                rte_delay_us_sleep(idle_sleep_us);
        }
    }

    // True once run() has said "Starting core N" (the prompt waits for it, so
    // that the line does not land in the middle of the first prompt).
    bool started() const noexcept { return started_.load(std::memory_order_acquire); }

    // Prints and frees whatever is on the ring now (up to one burst); returns
    // how many messages that was.
    unsigned poll(unsigned lcore) noexcept
    {
        Message* burst[burst_size];
        const unsigned n = ring_.dequeue_burst(burst, burst_size);
        for (unsigned i = 0; i < n; ++i)
            print(lcore, *burst[i]);
        if (n != 0) {
            const mp::MempoolPutMark mark(put_mark_);
            pool_.put_bulk(burst, n);
        }
        Stats::add(stats_.received, n);
        return n;
    }

private:
    // One write per line, so that a line is never split by the prompt's own
    // output, and reaches a pipe or a file at once.
    void print(unsigned lcore, const Message& message) noexcept
    {
        // Room for the words around the text ("core N: Received '...'\n", an
        // lcore id of up to 10 digits, the NUL): 30 bytes at most.
        constexpr std::size_t around_text = 48;
        char line[around_text + sizeof(Message::text)];
        // The sender may be another program: never read past the buffer.
        const int text_length = static_cast<int>(strnlen(message.text, sizeof(message.text)));
        const int length = std::snprintf(line, sizeof(line), "core %u: Received '%.*s'\n", lcore,
                                         text_length, message.text);
        std::fwrite(line, 1, static_cast<std::size_t>(length), out_);
        std::fflush(out_);
    }

    mp::Ring<Message> ring_;
    mp::Mempool<Message> pool_;
    std::atomic<uint32_t>& put_mark_;
    Stats& stats_;
    std::FILE* out_;
    std::atomic<bool> started_{false};
};

} // namespace simple_mp
