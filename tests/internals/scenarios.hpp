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
inline constexpr unsigned held_lcore = 6; // held by the live peer (claim_gives_back)

struct State {
    mp::LcoreClaim lcores[RTE_MAX_LCORE]; // the put marks, as in the programs' memzones
    mp::ClaimSlot id;                     // a process's id (claim_gives_back)
};

enum class Scenario {
    put_fits,        // a marked TX-like put of a burst into a cache holding 100
    put_fits_full,   // the same into a cache holding 352: it fills it to the threshold
    put_makes_room,  // the same into a cache holding 370: room is made first
    put_flushes,     // a put marked "use unknown" that makes the cache flush (370 cached)
    make_room,       // room made for 64 puts in a cache holding 370, nothing else held
    rx_get_put,      // an RX-like region: a burst got from a cache holding 100 into the
                     // ring, another burst put
    rx_refills,      // an RX-like get of a burst from a cache holding 10: it refills
    ring_enqueue,    // the sole producer enqueues a burst
    ring_dequeue,    // the sole consumer dequeues a burst (64 waiting)
    recovery,        // recovery of a dead owner's cache of 300, left outside a region
    recovery_marked, // recovery of a cache of 300 left inside a region that kept 270
    claim_gives_back, // mp::ProcessClaims of a dead owner's id and dead_lcore (its cache
                      // as in recovery_marked) with held_lcore, which a live process
                      // holds: all is given back and the claim refused
};

inline constexpr Scenario all_scenarios[] = {
    Scenario::put_fits,     Scenario::put_fits_full, Scenario::put_makes_room,
    Scenario::put_flushes,  Scenario::make_room,     Scenario::rx_get_put,
    Scenario::rx_refills,   Scenario::ring_enqueue,  Scenario::ring_dequeue,
    Scenario::recovery,     Scenario::recovery_marked, Scenario::claim_gives_back};

// Whether the scenario starts from a cache a dead owner left on dead_lcore.
inline constexpr bool dead_owner_cache(Scenario s)
{
    return s == Scenario::recovery || s == Scenario::recovery_marked ||
           s == Scenario::claim_gives_back;
}

// Objects cached on the cache under test before the operation.
inline constexpr unsigned cached_before(Scenario s)
{
    switch (s) {
    case Scenario::put_fits: return 100;
    case Scenario::put_fits_full: return 384 - burst;
    case Scenario::put_makes_room: return 370;
    case Scenario::put_flushes: return 370;
    case Scenario::make_room: return 370;
    case Scenario::rx_get_put: return 100;
    case Scenario::rx_refills: return 10;
    case Scenario::recovery: return 300;
    case Scenario::recovery_marked: return 300;
    case Scenario::claim_gives_back: return 300;
    default: return 0;
    }
}
// The bottom of the cache the dead owner's mark keeps (recovery_marked,
// claim_gives_back).
inline constexpr unsigned marked_untouched = 270;

// Objects waiting in the ring before the operation.
inline constexpr unsigned queued_before(Scenario s)
{
    return s == Scenario::ring_dequeue ? 64 : 0;
}

// The most objects one kill inside the operation may lose (the dead process's
// burst in hand and what the recovery drops), where the design bounds it.
inline constexpr unsigned max_lost(Scenario s)
{
    switch (s) {
    case Scenario::put_fits:
    case Scenario::put_fits_full:
    case Scenario::make_room:
    case Scenario::ring_enqueue:
    case Scenario::ring_dequeue: return burst;
    // A chunk being put back while the burst waits in hand; the gets the
    // mark gives up with the burst to free in hand.
    case Scenario::put_makes_room:
    case Scenario::rx_get_put: return 2 * burst;
    // The claimer touches no object; the dead owner's top, in the ring too,
    // is the recovery's to drop.
    case Scenario::claim_gives_back: return 0;
    // A kill inside the recovery's flush has the next one drop what is left.
    default: return pool_size;
    }
}

// How densely a long operation is sampled: about `points` kills spread evenly,
// plus its first and last `ends` instructions. Every instruction costs a
// trial that long: claim_gives_back's 120 000 (/proc reads, the refusal's
// throw) get fewer, since only its claims leave anything behind, and each of
// their states is killed in (kill_schedule: after each change).
struct Sampling {
    long points;
    long ends;
};
inline constexpr Sampling sampling_of(Scenario s)
{
    return s == Scenario::claim_gives_back ? Sampling{30, 4} : Sampling{300, 40};
}

inline constexpr std::string_view name_of(Scenario s)
{
    switch (s) {
    case Scenario::put_fits: return "put_fits";
    case Scenario::put_fits_full: return "put_fits_full";
    case Scenario::put_makes_room: return "put_makes_room";
    case Scenario::put_flushes: return "put_flushes";
    case Scenario::make_room: return "make_room";
    case Scenario::rx_get_put: return "rx_get_put";
    case Scenario::rx_refills: return "rx_refills";
    case Scenario::ring_enqueue: return "ring_enqueue";
    case Scenario::ring_dequeue: return "ring_dequeue";
    case Scenario::recovery: return "recovery";
    case Scenario::recovery_marked: return "recovery_marked";
    case Scenario::claim_gives_back: return "claim_gives_back";
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
