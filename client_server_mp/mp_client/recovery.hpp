/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// What a client that starts after a killed one (kill -9, crash) puts right
// before it reads its ring. Both repairs are only safe for the sole user of
// the object, which the client's claims in the "MProc_config" memzone ensure.

#include <cstdint>

#include <rte_mempool.h>
#include <rte_ring.h>

namespace client_server_mp {

// A single-consumer dequeue first moves cons.head past the entries it takes,
// copies them, then sets cons.tail = cons.head. A consumer killed between the
// two leaves head ahead of tail: the next single consumer starts from head, so
// the entries in between (packets the dead one never handled) would be skipped
// and lost, while the producer cannot reuse their slots until tail moves on.
// Moving head back to tail hands them to the new consumer. Returns how many.
inline unsigned take_back_claimed_entries(rte_ring* ring) noexcept
{
    const uint32_t head = ring->cons.head;
    const uint32_t tail = ring->cons.tail;
    if (head == tail || ring->cons.sync_type != RTE_RING_SYNC_ST)
        return 0;
    ring->cons.head = tail;
    return (head - tail) & ring->mask;
}

struct CacheRecovery {
    unsigned returned = 0;  // mbufs given back to the pool
    unsigned discarded = 0; // mbufs given up (they could be stale or duplicates)
};

// The per-lcore mempool cache of a process that died while holding `lcore`.
// Outside a put its contents are exact, and go back to the pool. Inside one,
// rte_mempool_do_generic_put may have raised cache->len before copying the new
// pointers, or flushed the cache to the pool before resetting len: its entries
// are then not trustworthy, and using them could hand one mbuf out twice, so
// they are dropped (a bounded loss, at most the cache's flush threshold).
inline CacheRecovery recover_lcore_cache(rte_mempool* pool, unsigned lcore,
                                         bool died_inside_put) noexcept
{
    CacheRecovery result;
    rte_mempool_cache* cache = rte_mempool_default_cache(pool, lcore);
    if (cache == nullptr || cache->len == 0)
        return result;
    if (died_inside_put || cache->len > cache->flushthresh) {
        result.discarded = cache->len;
        cache->len = 0;
    } else {
        result.returned = cache->len;
        rte_mempool_cache_flush(cache, pool);
    }
    return result;
}

} // namespace client_server_mp
