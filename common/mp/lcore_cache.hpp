/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// A shared mempool keeps one cache per lcore id, in shared memory. A process
// killed (kill -9, crash) leaves its lcore's cache behind; the next process
// on that lcore id inherits it. Whether the contents can be trusted depends on
// where the kill landed:
//  - outside any marked region: the cache holds exactly the objects it
//    counts; they go back to the pool (flush);
//  - inside a region that gets from or puts into the cache (an RX burst, whose
//    driver allocates; a TX burst, whose driver frees; a free): the top of the
//    cache may count slots whose pointers were not written yet, or objects
//    already handed out. Those are dropped (counted as discarded) rather than
//    risk handing one mbuf out twice.
// The owner's mark says how much of the cache such a region cannot touch: 0
// outside any region, K + 1 inside one that leaves objs[0 .. K) alone. K comes
// from what the region may do at most (mp::internals::CacheUse: N gets, M
// puts): before entering, the owner makes room for M puts below the flush
// threshold (so no put in the region flushes), and then K = len - N (no get
// reaches below it, none empties the cache). A region whose use is unknown has
// K = 0: the whole cache is dropped, as with the plain MempoolPutMark(flag).
// docs/internals.rst derives this per DPDK release.
//
//   mp::LcoreClaim& lc = table->lcore_owner[lcore];       // in a memzone
//   if (lc.slot.claim(me).result == mp::ClaimResult::taken_over)
//       mp::recover_lcore_cache(lc, pool, lcore);
//   lc.clear_put_mark();
//   mp::LcoreCacheMark cache(lc.in_mempool_put, pool.native(), lcore);
//   ... { const mp::MempoolPutMark mark(cache, tx_use); tx_or_free(...); }

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <type_traits>

#include <rte_ethdev.h>
#include <rte_mempool.h>
#include <rte_prefetch.h>

#include "claim.hpp"
#include "dpdk_internals.hpp"
#include "kill_point.hpp"
#include "mempool.hpp"

namespace mp {

// The claim of one lcore id and its owner's cache mark (0 outside a marked
// region, K + 1 inside one). A cache line each: the mark is written twice per
// burst by its owner alone.
struct alignas(RTE_CACHE_LINE_SIZE) LcoreClaim {
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

// One lcore id's cache of a pool, for the thread running on that lcore only
// (the same rule as DPDK's own get and put, which use it unlocked). With it a
// process moves objects between its cache and rings of its own without going
// through the pool's backend: client_server_mp hands the mbufs a client's TX
// freed back to the server this way, as arrays of pointers.
template <typename T>
class LcoreCache {
public:
    LcoreCache(Mempool<T> pool, unsigned lcore) noexcept
        : pool_(pool.native()), cache_(rte_mempool_default_cache(pool_, lcore))
    {
    }

    // Objects in the cache (always 0 for a pool created without caches).
    unsigned size() const noexcept { return cache_ != nullptr ? cache_->len : 0; }

    // Moves the n most recently cached objects to `objs`. n <= size(): the
    // cache alone serves them, the backend is not touched.
    void take(T** objs, unsigned n) noexcept
    {
        rte_mempool_generic_get(pool_, reinterpret_cast<void**>(objs), n, cache_);
    }
    // Caches n objects; past the cache's flush threshold the cache goes to the
    // backend, as with any put.
    void give(T* const* objs, unsigned n) noexcept
    {
        rte_mempool_generic_put(pool_, reinterpret_cast<void* const*>(objs), n, cache_);
    }

    // Starts fetching, for writing, the objects that the gets after the next
    // `skip` objects will return: the n below the top `skip` of the cache.
    void prefetch_for_write(unsigned skip, unsigned n) const noexcept
    {
        const unsigned len = size();
        const unsigned end = len > skip + n ? len - skip - n : 0;
        for (unsigned i = len > skip ? len - skip : 0; i > end; --i)
            for (unsigned off = 0; off < sizeof(T); off += RTE_CACHE_LINE_SIZE)
                rte_prefetch0_write(static_cast<const char*>(cache_->objs[i - 1]) + off);
    }

private:
    rte_mempool* pool_;
    rte_mempool_cache* cache_;
};

// One lcore's cache of a pool and its owner's mark, for the thread running on
// that lcore only (the only one that changes the cache's length while alive).
class LcoreCacheMark {
public:
    LcoreCacheMark(std::atomic<uint32_t>& mark, rte_mempool* pool, unsigned lcore) noexcept
        : mark_(mark), pool_(pool), cache_(rte_mempool_default_cache(pool, lcore))
    {
    }

    // Puts back to the backend, outside any region, the top of the cache down
    // to what a refill leaves (or lower, if needed) so that `puts` more objects
    // fit below the flush threshold. It moves at most `put_back_chunk` at a
    // time, each under a mark that keeps the rest: killed in a chunk, the next
    // owner drops that chunk only. Costs a comparison when there is room.
    void make_room(unsigned puts) noexcept
    {
        if (cache_ == nullptr || internals::cache_has_room(*cache_, puts) ||
            puts > cache_->flushthresh)
            return;
        const unsigned target = std::min<unsigned>(cache_->size, cache_->flushthresh - puts);
        while (cache_->len > target) {
            const unsigned n = std::min<unsigned>(cache_->len - target, put_back_chunk);
            set(cache_->len - n);
            internals::cache_put_back_top(pool_, *cache_, n);
        }
        clear();
    }

    // Marks a region that leaves objs[0 .. untouched) alone.
    void set(unsigned untouched) noexcept
    {
        mark_.store(untouched + 1, std::memory_order_relaxed);
        // The mark reaches memory before any store of the region does.
        std::atomic_thread_fence(std::memory_order_release);
    }
    void clear() noexcept { mark_.store(0, std::memory_order_release); }

    // What a region with `use` leaves alone; 0 without a cache.
    unsigned untouched_prefix(internals::CacheUse use) const noexcept
    {
        return cache_ != nullptr ? internals::cache_untouched_prefix(*cache_, use) : 0;
    }

    std::atomic<uint32_t>& mark() noexcept { return mark_; }

    static constexpr unsigned put_back_chunk = 32;

private:
    std::atomic<uint32_t>& mark_;
    rte_mempool* pool_;
    rte_mempool_cache* cache_;
};

// Sets the mark for its lifetime: a few plain stores (and a compiler/CPU
// release fence on the way in), so it costs nothing measurable per burst.
class MempoolPutMark {
public:
    // A region that may get or put up to `use` objects: room is made for its
    // puts first, then the mark records what it cannot touch.
    MempoolPutMark(LcoreCacheMark& cache, internals::CacheUse use) noexcept : flag_(cache.mark())
    {
        cache.make_room(use.puts);
        cache.set(cache.untouched_prefix(use));
    }
    // A region whose use of the cache is not known: the next owner trusts
    // nothing of the cache (mark 1: nothing untouched).
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
// mark is `put_mark`: drops what its last region may have touched, returns the
// rest to the pool, and clears the mark for the new owner. Only for the sole
// user of that lcore id, i.e. right after taking its claim over.
template <typename T>
CacheRecovery recover_lcore_cache(std::atomic<uint32_t>& put_mark, Mempool<T> pool,
                                  unsigned lcore) noexcept
{
    CacheRecovery result;
    rte_mempool_cache* cache = rte_mempool_default_cache(pool.native(), lcore);
    if (cache != nullptr && cache->len != 0) {
        const uint32_t mark = put_mark.load(std::memory_order_acquire);
        unsigned keep = mark == 0 ? cache->len : std::min<unsigned>(cache->len, mark - 1);
        if (!internals::cache_length_possible(*cache))
            keep = 0;
        result.discarded = cache->len - keep;
        if (result.discarded != 0) {
            MP_KILL_POINT("recovery.discarding");
            // The mark still says what to keep: killed here, the next owner
            // drops the same top.
            internals::cache_keep_bottom(*cache, keep);
        }
        if (keep != 0) {
            result.returned = keep;
            // Flushing is a put into the backend: if we die in it, the next
            // owner must trust nothing, not flush the same again.
            const MempoolPutMark mark_all(put_mark);
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

// What one RX burst of at most n packets on `port` does to the per-lcore
// cache, and one TX burst of n packets received on `from` and sent on `to`.
// For start-up, not the per-packet path.
inline internals::CacheUse rx_cache_use(uint16_t port, unsigned n) noexcept
{
    rte_eth_dev_info info{};
    if (rte_eth_dev_info_get(port, &info) != 0 || info.driver_name == nullptr)
        return internals::unknown_cache_use;
    return internals::rx_burst_cache_use(info.driver_name, n);
}
inline internals::CacheUse tx_cache_use(uint16_t from, uint16_t to, unsigned n) noexcept
{
    rte_eth_dev_info rx{};
    rte_eth_dev_info tx{};
    if (rte_eth_dev_info_get(from, &rx) != 0 || rte_eth_dev_info_get(to, &tx) != 0 ||
        rx.driver_name == nullptr || tx.driver_name == nullptr ||
        !internals::rx_packets_single_segment(rx.driver_name))
        return internals::unknown_cache_use;
    return internals::tx_burst_cache_use(tx.driver_name, n);
}

} // namespace mp
