/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// A shared mempool keeps one cache per lcore id, in shared memory. A process
// killed (kill -9, crash) leaves its lcore's cache behind; the next process
// on that lcore id inherits it. Whether the contents can be trusted depends on
// where the kill landed:
//  - outside a put: the cache holds exactly the objects it counts; they go
//    back to the pool (flush);
//  - inside a put (or a flush): the cache may count slots whose pointers were
//    not written yet, or objects the put already handed to the pool's backend
//    (docs/internals.rst derives this per DPDK release). Using them could hand
//    one mbuf out twice; they are dropped instead (discard: a loss of at most
//    a cache's worth of objects).
// So the owner marks "inside a put" around the calls that put into the pool
// (TX bursts, whose PMD frees sent mbufs, and frees), and the process that
// takes the lcore over after the death reads the mark. The recovery's own
// flush is a put too, and is marked the same way: a recovery killed half-way
// is recovered by the next owner.
//
//   mp::LcoreClaim& lc = table->lcore_owner[lcore];       // in a memzone
//   if (lc.slot.claim(me).result == mp::ClaimResult::taken_over)
//       mp::recover_lcore_cache(lc, pool, lcore);
//   lc.clear_put_mark();
//   ... { const mp::MempoolPutMark mark(lc.in_mempool_put); tx_or_free(...); }

#include <atomic>
#include <cstdint>
#include <type_traits>

#include <rte_mempool.h>

#include "claim.hpp"
#include "dpdk_internals.hpp"
#include "kill_point.hpp"
#include "mempool.hpp"

namespace mp {

// The claim of one lcore id and its owner's "inside a mempool put" mark. A
// cache line each: the mark is written twice per burst by its owner alone.
struct alignas(64) LcoreClaim {
    ClaimSlot slot;
    std::atomic<uint32_t> in_mempool_put{0};

    bool died_inside_put() const noexcept
    {
        return in_mempool_put.load(std::memory_order_acquire) != 0;
    }
    void clear_put_mark() noexcept { in_mempool_put.store(0, std::memory_order_release); }
};

static_assert(std::is_standard_layout_v<LcoreClaim> &&
              std::is_trivially_destructible_v<LcoreClaim>);
static_assert(std::atomic<uint32_t>::is_always_lock_free);

// Sets the mark for its lifetime: two plain stores (and a compiler/CPU release
// fence on the way in), so it costs nothing measurable per burst.
class MempoolPutMark {
public:
    explicit MempoolPutMark(std::atomic<uint32_t>& flag) noexcept : flag_(flag)
    {
        flag_.store(1, std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_release);
    }
    MempoolPutMark(const MempoolPutMark&) = delete;
    MempoolPutMark& operator=(const MempoolPutMark&) = delete;
    ~MempoolPutMark() { flag_.store(0, std::memory_order_release); }

private:
    std::atomic<uint32_t>& flag_;
};

struct CacheRecovery {
    unsigned returned = 0;  // objects given back to the pool
    unsigned discarded = 0; // objects given up (possibly stale or duplicates)
};

// Puts right the per-lcore cache `lcore` of `pool` left by a dead owner whose
// put mark is `put_mark`; clears the mark for the new owner. Only for the sole
// user of that lcore id, i.e. right after taking its claim over.
template <typename T>
CacheRecovery recover_lcore_cache(std::atomic<uint32_t>& put_mark, Mempool<T> pool,
                                  unsigned lcore) noexcept
{
    CacheRecovery result;
    rte_mempool_cache* cache = rte_mempool_default_cache(pool.native(), lcore);
    if (cache != nullptr && cache->len != 0) {
        if (put_mark.load(std::memory_order_acquire) != 0 ||
            !internals::cache_length_possible(*cache)) {
            result.discarded = cache->len;
            MP_KILL_POINT("recovery.discarding");
            internals::cache_forget(*cache);
        } else {
            result.returned = cache->len;
            // Flushing is a put into the backend: if we die in it, the next
            // owner must find the mark and discard, not flush the same again.
            const MempoolPutMark mark(put_mark);
            MP_KILL_POINT("recovery.flushing");
            pool.flush_cache(lcore);
            MP_KILL_POINT("recovery.flushed");
            return result; // the mark is cleared on the way out
        }
    }
    put_mark.store(0, std::memory_order_release);
    return result;
}

// The same for an lcore claim, which holds its owner's put mark.
template <typename T>
CacheRecovery recover_lcore_cache(LcoreClaim& claim, Mempool<T> pool, unsigned lcore) noexcept
{
    return recover_lcore_cache(claim.in_mempool_put, pool, lcore);
}

} // namespace mp
