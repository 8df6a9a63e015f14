/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// Every place where the suite's kill safety depends on how DPDK does a thing
// inside, rather than on what its API promises. DPDK may change any of them in
// any release, so this header builds only against the releases it was checked
// on; docs/internals.rst derives, per release, why each function is right.
//
//  - ring repair: a single producer or consumer moves its head, copies the
//    entries, then publishes them by moving its tail;
//  - mempool cache recovery: rte_mempool_do_generic_put's order of stores into
//    a per-lcore cache (cache->len, cache->objs[], the backend enqueue);
//  - pool renewal: the mempool ring drivers keep their ring in pool_data;
//  - runtime files: the names a secondary process gives the files it leaves in
//    the runtime folder (its socket, its private memseg arrays).

#include <rte_version.h>

// To add a release: re-read, in its sources, rte_mempool_do_generic_put and
// rte_mempool_cache_flush (lib/mempool/rte_mempool.h), the single-thread head
// and tail updates of rte_ring (lib/ring/rte_ring_*_pvt.h), where the mempool
// ring drivers keep their ring (drivers/mempool/ring), and the names of
// the secondary's mp socket (lib/eal/common/eal_common_proc.c) and private
// fbarrays (lib/eal/linux/eal_memalloc.c); update docs/internals.rst; run the
// kill-point tests (meson test --suite internals); then add it here.
#define MP_DPDK_RELEASE_IS(year, month) (RTE_VER_YEAR == (year) && RTE_VER_MONTH == (month))
#if !(MP_DPDK_RELEASE_IS(22, 11) || MP_DPDK_RELEASE_IS(24, 11) || MP_DPDK_RELEASE_IS(25, 11))
#error "mp/dpdk_internals.hpp: this DPDK release was not verified (verified: 22.11, 24.11, 25.11). Re-verify the mempool cache put order (recovery of a dead process's cache), the rte_ring single producer/consumer head-tail order (ring repair) and the EAL runtime file names (clean-up after a dead secondary): see the comment above this line and docs/internals.rst"
#endif

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include <rte_mempool.h>
#include <rte_ring.h>

namespace mp::internals {

// ---- rte_ring ---------------------------------------------------------------

// Moves a single-thread head back to its tail, for the side (producer or
// consumer) of a ring whose only user was killed between the two updates.
// Returns how many entries lay between them; 0 (and nothing is touched) for a
// side that is not single-thread, whose head belongs to several processes.
inline unsigned rewind_head(rte_ring_headtail& side, uint32_t mask) noexcept
{
    if (side.sync_type != RTE_RING_SYNC_ST)
        return 0;
    const uint32_t head = side.head;
    const uint32_t tail = side.tail;
    if (head == tail)
        return 0;
    side.head = tail;
    return (head - tail) & mask;
}

inline bool single_producer(const rte_ring& ring) noexcept
{
    return ring.prod.sync_type == RTE_RING_SYNC_ST;
}
inline bool single_consumer(const rte_ring& ring) noexcept
{
    return ring.cons.sync_type == RTE_RING_SYNC_ST;
}

// ---- rte_mempool per-lcore cache ---------------------------------------------

// A put never leaves more than the flush threshold in a cache: more can only
// be seen in the middle of one.
inline bool cache_length_possible(const rte_mempool_cache& cache) noexcept
{
    return cache.len <= cache.flushthresh;
}

// Forgets what a cache holds without returning it to the pool.
inline void cache_forget(rte_mempool_cache& cache) noexcept
{
    cache.len = 0;
}

// The ring of a pool whose driver is one of the mempool ring drivers
// ("ring_mp_mc", "ring_sp_sc", ...: drivers/mempool/ring keeps its rte_ring in
// pool_data); nullptr for any other driver. For a pool that nobody uses, the
// ring can then be emptied (rte_ring_reset) and refilled.
inline rte_ring* pool_ring(const rte_mempool& pool) noexcept
{
    const std::string_view driver = rte_mempool_get_ops(pool.ops_index)->name;
    return driver.starts_with("ring_") ? static_cast<rte_ring*>(pool.pool_data) : nullptr;
}

// ---- EAL runtime folder -----------------------------------------------------

// Whether `name` (a file in the runtime folder) belongs to secondary process
// `pid` alone: its request socket "mp_socket_<pid>_<tsc in hex>" or one of its
// private memseg arrays, "fbarray_<primary's array name>_<pid>" or, from the
// stable releases 23.11.7, 24.11.5 and 25.11.1 on (upstream "eal/linux: fix
// fbarray name collision in containers"), "..._<pid>_<tsc in hex>". Both array
// forms are accepted on every release: the point release a program runs on can
// be newer than the headers it was built with. A secondary removes these files
// in rte_eal_cleanup(); one killed leaves them behind.
inline bool is_secondary_runtime_file(std::string_view name, pid_t pid)
{
    const std::string id = "_" + std::to_string(pid);
    // "<id>_<hex digits>" at the start of `rest`, and nothing after.
    const auto id_then_tsc = [&id](std::string_view rest) {
        if (!rest.starts_with(id + "_") || rest.size() == id.size() + 1)
            return false;
        return rest.substr(id.size() + 1).find_first_not_of("0123456789abcdef") ==
               std::string_view::npos;
    };
    if (name.starts_with("mp_socket"))
        return id_then_tsc(name.substr(std::string_view("mp_socket").size()));
    if (!name.starts_with("fbarray_"))
        return false;
    if (name.ends_with(id))
        return true;
    const auto at = name.rfind(id + "_");
    return at != std::string_view::npos && id_then_tsc(name.substr(at));
}

} // namespace mp::internals
