/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// Sending one message: take a buffer from the pool, copy the text in, and put
// it on the peer's ring. A full ring is waited on (the peer is receiving, it
// just has not caught up), so nothing is dropped; only if the ring stays full
// for `patience` is the message refused, because then the peer has stopped
// receiving and waiting longer would hang the prompt.
//
// A secondary also checks that its primary still runs: once the primary has
// exited, nobody reads the ring any more, and a message put there would be
// lost without a word.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>

#include <rte_eal.h>

#include <mp/error.hpp>
#include <mp/lcore_cache.hpp>
#include <mp/signals.hpp>

#include "message_channel.hpp"
#include "stats.hpp"

namespace simple_mp {

enum class SendStatus {
    sent,
    empty,      // no text given
    too_long,   // the text does not fit in a message buffer
    pool_empty, // no message buffer free
    ring_full,  // the peer took nothing for `patience`
    quitting,   // the quit flag was raised while waiting for room
    no_primary, // (secondary) the primary process has exited
};

class Sender {
public:
    static constexpr std::chrono::milliseconds default_patience{3000};
    // The peer drains a whole burst at a time: a short nap between tries is enough.
    static constexpr std::chrono::microseconds full_ring_nap{20};

    enum class Side { primary, secondary };

    // `put_mark` is the calling lcore's "inside a pool put" mark (see
    // MessageChannel::put_mark).
    Sender(mp::Ring<Message> ring, mp::Mempool<Message> pool, std::atomic<uint32_t>& put_mark,
           Stats& stats, Side side, std::chrono::milliseconds patience = default_patience) noexcept
        : ring_(ring), pool_(pool), put_mark_(put_mark), stats_(stats), side_(side),
          patience_(patience)
    {}

    SendStatus send(std::string_view text) noexcept
    {
        const SendStatus status = try_send(text);
        Stats::add(status == SendStatus::sent ? stats_.sent : stats_.refused);
        return status;
    }

    // The line that tells the user why a message was not sent.
    std::string refusal(SendStatus status, std::string_view text) const
    {
        switch (status) {
        case SendStatus::sent:
            return {};
        case SendStatus::empty:
            return "message not sent: nothing to send (usage: send <message>)";
        case SendStatus::too_long:
            return mp::strprintf("message not sent: it has %zu bytes, a %s buffer holds at "
                                 "most %zu",
                                 text.size(), pool_.name(), max_text_length);
        case SendStatus::pool_empty:
            return mp::strprintf("message not sent: message pool %s is empty (%u of %u buffers "
                                 "in use): is the other process receiving?",
                                 pool_.name(), pool_.in_use(), pool_.size());
        case SendStatus::ring_full:
            return mp::strprintf("message not sent: ring %s stayed full for %.1f s: the other "
                                 "process is not receiving (has it exited?)",
                                 ring_.name(), std::chrono::duration<double>(patience_).count());
        case SendStatus::quitting:
            return "message not sent: quitting";
        case SendStatus::no_primary:
            return "message not sent: the primary process has exited, nobody receives: quit, "
                   "then start the primary again before this process";
        }
        return {};
    }

private:
    SendStatus try_send(std::string_view text) noexcept
    {
        if (text.empty())
            return SendStatus::empty;
        if (text.size() > max_text_length)
            return SendStatus::too_long;
        if (side_ == Side::secondary && rte_eal_primary_proc_alive(nullptr) == 0)
            return SendStatus::no_primary;
        Message* message = pool_.get();
        if (message == nullptr)
            return SendStatus::pool_empty;
        std::memcpy(message->text, text.data(), text.size());
        message->text[text.size()] = '\0';

        if (ring_.enqueue(message))
            return SendStatus::sent;
        const auto give_up = std::chrono::steady_clock::now() + patience_;
        while (true) {
            std::this_thread::sleep_for(full_ring_nap);
            if (ring_.enqueue(message))
                return SendStatus::sent;
            const bool quitting = mp::QuitFlag::raised();
            if (quitting || std::chrono::steady_clock::now() >= give_up) {
                const mp::MempoolPutMark mark(put_mark_);
                pool_.put(message);
                return quitting ? SendStatus::quitting : SendStatus::ring_full;
            }
        }
    }

    mp::Ring<Message> ring_;
    mp::Mempool<Message> pool_;
    std::atomic<uint32_t>& put_mark_;
    Stats& stats_;
    Side side_;
    std::chrono::milliseconds patience_;
};

} // namespace simple_mp
