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
//
// Surviving kill -9: each ring has one producer and one consumer (one process
// each way), so our primary creates them single-producer/single-consumer: a
// process killed inside an enqueue or dequeue then leaves a state the next
// user of that side can repair (mp::Ring), where a multi-thread ring would
// make every later user spin. The pool uses the lock-free "lf_stack" driver,
// which a kill cannot block. The repair is only exact for the sole user of a
// side, so our primary also creates "SMP_CLAIMS": who runs the secondary side
// and who holds each lcore id (the pool's per-lcore caches). The upstream
// program creates no such memzone and takes no claims: with it, nothing is
// repaired.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include <cmdline_parse_string.h>
#include <rte_config.h>

#include <mp/claim.hpp>
#include <mp/lcore_cache.hpp>
#include <mp/log.hpp>
#include <mp/mempool.hpp>
#include <mp/process_claims.hpp>
#include <mp/memzone.hpp>
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
inline constexpr unsigned ring_flags = RING_F_SP_ENQ | RING_F_SC_DEQ;
inline constexpr const char* pool_driver = "lf_stack";

inline constexpr const char* claims_name = "SMP_CLAIMS";
inline constexpr uint32_t claims_magic = 0x534d5031; // "SMP1": layout version 1

// Who uses what, in the memzone "SMP_CLAIMS" (our primary only).
struct Claims {
    uint32_t magic;
    // The secondary side: consumer of PRI_2_SEC and producer of SEC_2_PRI.
    // The primary side needs none: a primary is never replaced under a live
    // secondary (a new primary starts afresh).
    mp::ClaimSlot secondary;
    // Per lcore id: who gets and puts on it, and whether it is inside a put.
    mp::LcoreClaim lcore_owner[RTE_MAX_LCORE];
};

// Why this process cannot have the secondary side or one of its lcore ids.
inline std::string refusal(const mp::ClaimConflict& conflict)
{
    return mp::claim_refusal(
        conflict,
        [](int pid) {
            return mp::strprintf("a secondary simple_mp is already running (process %d): only "
                                 "one process can receive from %s; quit it first",
                                 pid, primary_to_secondary);
        },
        [](unsigned lcore, int pid) {
            return mp::strprintf("lcore %u is already in use by process %d: give each simple_mp "
                                 "process its own lcore ids (they share the message pool's "
                                 "per-lcore caches)",
                                 lcore, pid);
        });
}

using ChannelClaims = mp::ProcessClaims<Message>;

class MessageChannel {
public:
    // Primary: creates both rings, the pool and the claims, and frees them at
    // exit unless keep_at_exit() is called. `lcores`: those that use the pool.
    static MessageChannel create(std::span<const unsigned> lcores)
    {
        MessageChannel channel;
        channel.owned_send_ =
            mp::Ring<Message>::create(primary_to_secondary, ring_slots, ring_flags);
        channel.owned_receive_ =
            mp::Ring<Message>::create(secondary_to_primary, ring_slots, ring_flags);
        channel.owned_pool_ = mp::Mempool<Message>::create(
            message_pool_name, pool_messages, pool_cache, sizeof(Message), 0,
            static_cast<int>(rte_socket_id()), pool_driver);
        channel.owned_claims_ = mp::Memzone<Claims>::reserve(claims_name);
        channel.owned_claims_->magic = claims_magic;
        channel.send_ = channel.owned_send_;
        channel.receive_ = channel.owned_receive_;
        channel.pool_ = channel.owned_pool_;
        channel.claims_ = std::make_unique<ChannelClaims>(
            nullptr, channel.owned_claims_->lcore_owner, lcores, channel.pool_, "messages",
            &refusal);
        return channel;
    }

    // Secondary: finds what the primary created, and takes the secondary side.
    // The rings swap roles: what the primary sends on is what this process
    // receives from.
    static MessageChannel attach(std::span<const unsigned> lcores)
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
        const auto claims = mp::Memzone<Claims>::find(claims_name);
        if (!claims) {
            mp::log(RTE_LOG_WARNING, "no memzone '%s': the primary is not this simple_mp, so "
                                     "a killed process's leftovers are not repaired",
                    claims_name);
            channel.claims_ =
                std::make_unique<ChannelClaims>(ChannelClaims::unclaimed(channel.pool_, lcores));
            return channel;
        }
        if (claims->magic != claims_magic)
            throw mp::StartupError(mp::strprintf("memzone '%s' has an unknown layout: is the "
                                                 "primary another version of simple_mp?",
                                                 claims_name));
        channel.claims_ = std::make_unique<ChannelClaims>(
            &claims->secondary, claims->lcore_owner, lcores, channel.pool_, "messages", &refusal);
        // We are now the sole consumer of our receive ring and the sole producer
        // of our send ring: what a killed predecessor left half done is ours to undo.
        if (channel.claims_->id_taken_over()) {
            if (const unsigned n = channel.receive_.take_back_claimed_entries())
                mp::log(RTE_LOG_INFO, "%s: taking back %u messages a killed secondary had "
                                      "taken but not printed",
                        primary_to_secondary, n);
            if (const unsigned n = channel.send_.forget_unpublished_entries())
                mp::log(RTE_LOG_INFO, "%s: forgetting %u messages a killed secondary was "
                                      "sending",
                        secondary_to_primary, n);
        }
        return channel;
    }

    // Primary: the objects stay when this process exits, so that a secondary that
    // still runs never uses freed memory (it finds the primary gone instead).
    void keep_at_exit() noexcept
    {
        (void)owned_send_.release();
        (void)owned_receive_.release();
        (void)owned_pool_.release();
        (void)owned_claims_.release();
    }

    // The put mark for the pool's puts made on `lcore`, one of those claimed.
    std::atomic<uint32_t>& put_mark(unsigned lcore) const { return claims_->put_mark(lcore); }

    mp::Ring<Message> send_ring() const noexcept { return send_; }
    mp::Ring<Message> receive_ring() const noexcept { return receive_; }
    mp::Mempool<Message> pool() const noexcept { return pool_; }

private:
    MessageChannel() = default;

    // Set in the primary only; the views below are what both sides use.
    mp::Ring<Message>::Owner owned_send_;
    mp::Ring<Message>::Owner owned_receive_;
    mp::Mempool<Message>::Owner owned_pool_;
    mp::Memzone<Claims>::Owner owned_claims_;
    mp::Ring<Message> send_;
    mp::Ring<Message> receive_;
    mp::Mempool<Message> pool_;
    // Last: at exit it flushes our caches into the pool, which must still exist.
    std::unique_ptr<ChannelClaims> claims_;
};

} // namespace simple_mp
