/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// What the kill-point test (the primary) and its peer (a secondary) agree on:
// the shared objects of one trial and the scenarios, each one operation of the
// suite that touches a DPDK internal (mp/dpdk_internals.hpp), run by a process
// that is killed after a given number of instructions of it.

#include <cstdint>
#include <string_view>

#include <rte_config.h>

#include <mp/lcore_cache.hpp>

namespace kill_test {

inline constexpr const char* pool_name = "KP_POOL";
inline constexpr const char* ring_name = "KP_RING";
inline constexpr const char* state_name = "KP_STATE";

// An mbuf pool as the programs make theirs: lock-free stack, per-lcore caches.
inline constexpr unsigned pool_size = 2047;
inline constexpr unsigned cache_size = 256; // flush threshold: 384
inline constexpr unsigned ring_slots = 1024; // single producer, single consumer
inline constexpr unsigned burst = 32;

inline constexpr unsigned peer_lcore = 3; // the lcore id the peer's process runs on
inline constexpr unsigned dead_lcore = 5; // whose cache the recovery scenarios recover

struct State {
    mp::LcoreClaim lcores[RTE_MAX_LCORE]; // the put marks, as in the programs' memzones
};

enum class Scenario {
    put_fits,      // a marked put of a burst that fits the cache (100 cached before)
    put_flushes,   // a marked put of a burst that makes the cache flush (370 cached)
    ring_enqueue,  // the sole producer enqueues a burst
    ring_dequeue,  // the sole consumer dequeues a burst (64 waiting)
    recovery,      // recovery of a dead owner's cache of 300, left outside a put
};

inline constexpr Scenario all_scenarios[] = {Scenario::put_fits, Scenario::put_flushes,
                                             Scenario::ring_enqueue, Scenario::ring_dequeue,
                                             Scenario::recovery};

// Objects cached on the cache under test before the operation.
inline constexpr unsigned cached_before(Scenario s)
{
    switch (s) {
    case Scenario::put_fits: return 100;
    case Scenario::put_flushes: return 370;
    case Scenario::recovery: return 300;
    default: return 0;
    }
}
// Objects waiting in the ring before the operation.
inline constexpr unsigned queued_before(Scenario s)
{
    return s == Scenario::ring_dequeue ? 64 : 0;
}

inline constexpr std::string_view name_of(Scenario s)
{
    switch (s) {
    case Scenario::put_fits: return "put_fits";
    case Scenario::put_flushes: return "put_flushes";
    case Scenario::ring_enqueue: return "ring_enqueue";
    case Scenario::ring_dequeue: return "ring_dequeue";
    case Scenario::recovery: return "recovery";
    }
    return "?";
}

inline bool scenario_named(std::string_view name, Scenario& out)
{
    for (const Scenario s : all_scenarios)
        if (name_of(s) == name) {
            out = s;
            return true;
        }
    return false;
}

} // namespace kill_test
