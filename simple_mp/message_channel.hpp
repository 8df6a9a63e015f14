/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// The shared objects two simple_mp processes talk through: a ring each way and
// one pool of fixed-size message buffers, all in hugepage memory.
//
//   primary                                  secondary
//   send ring    --- PRI_2_SEC (64) --->     receive ring
//   receive ring <-- SEC_2_PRI (64) ----     send ring
//             MSG_POOL: 1024 x 128-byte messages, shared
//
// The names and sizes are those of the upstream C example, so either side of
// a pair may be the upstream program.

#include <cstddef>

#include <cmdline_parse_string.h>

#include <mp/mempool.hpp>
#include <mp/ring.hpp>

namespace simple_mp {

// One message buffer: a NUL-terminated string, as large as a cmdline string
// token (the upstream element size).
struct Message {
    char text[STR_TOKEN_SIZE];
};
static_assert(sizeof(Message) == 128);

// The longest text a message holds (one byte is left for the NUL).
inline constexpr std::size_t max_text_length = sizeof(Message::text) - 1;

inline constexpr const char* primary_to_secondary = "PRI_2_SEC";
inline constexpr const char* secondary_to_primary = "SEC_2_PRI";
inline constexpr const char* message_pool_name = "MSG_POOL";
inline constexpr unsigned ring_slots = 64; // holds 63 messages
inline constexpr unsigned pool_messages = 1024;
inline constexpr unsigned pool_cache = 32;

class MessageChannel {
public:
    // Primary: creates both rings and the pool, and frees them at exit.
    static MessageChannel create()
    {
        MessageChannel channel;
        channel.owned_send_ = mp::Ring<Message>::create(primary_to_secondary, ring_slots);
        channel.owned_receive_ = mp::Ring<Message>::create(secondary_to_primary, ring_slots);
        channel.owned_pool_ = mp::Mempool<Message>::create(message_pool_name, pool_messages,
                                                           pool_cache, sizeof(Message));
        channel.send_ = channel.owned_send_;
        channel.receive_ = channel.owned_receive_;
        channel.pool_ = channel.owned_pool_;
        return channel;
    }

    // Secondary: finds what the primary created. The rings swap roles: what the
    // primary sends on is what this process receives from.
    static MessageChannel attach()
    {
        MessageChannel channel;
        channel.send_ = mp::Ring<Message>::lookup(secondary_to_primary);
        channel.receive_ = mp::Ring<Message>::lookup(primary_to_secondary);
        channel.pool_ = mp::Mempool<Message>::lookup(message_pool_name);
        // A pool of another layout would let a long message overrun its buffer.
        if (channel.pool_.element_size() < sizeof(Message))
            throw mp::StartupError(mp::strprintf(
                "mempool '%s' holds %u-byte elements, simple_mp needs %zu: is the primary "
                "another program?",
                message_pool_name, channel.pool_.element_size(), sizeof(Message)));
        return channel;
    }

    // Primary: the objects stay when this process exits, so that a secondary that
    // still runs never uses freed memory (it finds the primary gone instead).
    void keep_at_exit() noexcept
    {
        (void)owned_send_.release();
        (void)owned_receive_.release();
        (void)owned_pool_.release();
    }

    mp::Ring<Message> send_ring() const noexcept { return send_; }
    mp::Ring<Message> receive_ring() const noexcept { return receive_; }
    mp::Mempool<Message> pool() const noexcept { return pool_; }

private:
    MessageChannel() = default;

    // Set in the primary only; the views below are what both sides use.
    mp::Ring<Message>::Owner owned_send_;
    mp::Ring<Message>::Owner owned_receive_;
    mp::Mempool<Message>::Owner owned_pool_;
    mp::Ring<Message> send_;
    mp::Ring<Message> receive_;
    mp::Mempool<Message> pool_;
};

} // namespace simple_mp
