/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// What one process holds in a shared claim table for its whole life: an id
// (a proc-id, a client id, a side of a channel) and the lcore ids from which
// it uses a shared pool. One object takes them all, in this order:
//   1. the id: refused if a live process holds it, taken over from a dead one;
//   2. every lcore id, all or none: on a conflict, what was taken goes back to
//      the state it was found in (free, or a dead owner's and so still due for
//      recovery by whoever takes it next), the id included;
//   3. the per-lcore caches a dead owner left on the lcore ids taken over are
//      put right (mp::recover_lcore_cache).
// At a normal exit (the destructor) our caches go back to the pool under
// their marks, then the lcore ids and the id are freed. A killed process frees
// nothing: the next process to claim the same ids takes them over.
//
//   mp::ProcessClaims<rte_mbuf> claims(&table->procs[id], table->lcores,
//                                      mp::enabled_lcores(), pool, "mbufs", refusal_text);
//   mp::LcoreCacheMark cache(claims.put_mark(lcore), pool.native(), lcore);
//
// Without a table (the primary is another program, e.g. the upstream
// example) nothing can be claimed: ProcessClaims::unclaimed() forgets the
// caches of our lcore ids instead (they may be a dead process's, half
// written) and keeps the put marks in this process's memory.

#include <algorithm>
#include <atomic>
#include <iterator>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <rte_config.h>
#include <rte_log.h>

#include "claim.hpp"
#include "error.hpp"
#include "lcore_cache.hpp"
#include "log.hpp"
#include "mempool.hpp"

namespace mp {

// Every lcore id's claim, as a shared table lays them out.
using LcoreClaimTable = std::span<LcoreClaim, RTE_MAX_LCORE>;

// What a live process holds of what a newcomer asked for.
struct ClaimConflict {
    std::optional<unsigned> lcore; // that lcore id; none: the newcomer's id itself
    OwnerKey holder;
};

struct TakenOver {
    unsigned lcore;
    OwnerKey previous; // the dead owner
};

struct LcoreClaims {
    std::optional<ClaimConflict> conflict; // then nothing is held
    std::vector<TakenOver> taken_over;     // from dead owners: their caches need recovery
};

// Takes every lcore id of `lcores` (each < RTE_MAX_LCORE) in `table` for `me`,
// or none if a live process holds one of them. A compare-exchange per lcore: of
// two processes that start at once on one lcore, exactly one gets it.
template <typename IsAlive = bool (*)(OwnerKey)>
LcoreClaims claim_lcores(LcoreClaimTable table, std::span<const unsigned> lcores, OwnerKey me,
                         IsAlive alive = &is_alive)
{
    LcoreClaims result;
    std::vector<OwnerKey> previous(lcores.size(), 0);
    for (std::size_t i = 0; i < lcores.size(); ++i) {
        const Claim claim = table[lcores[i]].slot.claim(me, alive);
        previous[i] = claim.previous;
        if (claim.result == ClaimResult::held) {
            for (std::size_t j = 0; j < i; ++j)
                table[lcores[j]].slot.give_back(me, previous[j]);
            result.conflict = ClaimConflict{lcores[i], claim.previous};
            result.taken_over.clear();
            return result;
        }
        if (claim.result == ClaimResult::taken_over)
            result.taken_over.push_back({lcores[i], claim.previous});
    }
    return result;
}

// A refusal in a program's own words: `id_taken(pid)` when a live process
// holds the newcomer's id, `lcore_taken(lcore, pid)` when it holds one of its
// lcore ids.
template <typename IdTaken, typename LcoreTaken>
std::string claim_refusal(const ClaimConflict& conflict, IdTaken id_taken, LcoreTaken lcore_taken)
{
    const int pid = static_cast<int>(pid_of(conflict.holder));
    return conflict.lcore ? lcore_taken(*conflict.lcore, pid) : id_taken(pid);
}

// The refusal of a program that has no words of its own for it.
inline std::string default_claim_refusal(const ClaimConflict& conflict)
{
    return claim_refusal(
        conflict, [](int pid) { return strprintf("this id is already in use by process %d", pid); },
        [](unsigned lcore, int pid) {
            return strprintf("lcore %u is already in use by process %d: give each process its "
                             "own lcore ids (they index the pool's per-lcore caches)",
                             lcore, pid);
        });
}

template <typename T>
class ProcessClaims {
public:
    // Takes `id` (nullptr: a process with no id, e.g. a primary) and `lcores`
    // in `table`, recovering what dead owners left, or throws StartupError with
    // `refusal(conflict)` (called at most once, at start-up) as its message.
    // `objects` names the pool's elements in the log ("mbufs").
    template <typename Refusal = std::string (*)(const ClaimConflict&)>
    ProcessClaims(ClaimSlot* id, LcoreClaimTable table, std::span<const unsigned> lcores,
                  Mempool<T> pool, const char* objects, Refusal refusal = &default_claim_refusal)
        : pool_(pool), table_(table.data()), id_(id), self_(self_key())
    {
        if (id_ != nullptr) {
            const Claim claim = id_->claim(self_);
            if (claim.result == ClaimResult::held)
                throw StartupError(refusal(ClaimConflict{std::nullopt, claim.previous}));
            id_previous_ = claim.previous;
        }
        const LcoreClaims taken = claim_lcores(table, lcores, self_);
        if (taken.conflict) {
            if (id_ != nullptr)
                id_->give_back(self_, id_previous_);
            throw StartupError(refusal(*taken.conflict));
        }
        hold(lcores, [&](unsigned lcore) { return &table[lcore].in_mempool_put; });
        for (const TakenOver& dead : taken.taken_over)
            recover(dead, objects);
        for (const unsigned lcore : lcores_)
            table[lcore].clear_put_mark();
    }

    // No claim table: see the top of this file.
    static ProcessClaims unclaimed(Mempool<T> pool, std::span<const unsigned> lcores)
    {
        return ProcessClaims(pool, lcores);
    }

    // Moved from, an object holds nothing: it frees and flushes nothing.
    ProcessClaims(ProcessClaims&& other) noexcept
        : pool_(other.pool_), table_(std::exchange(other.table_, nullptr)),
          id_(std::exchange(other.id_, nullptr)), self_(other.self_),
          id_previous_(other.id_previous_), lcores_(std::exchange(other.lcores_, {})),
          own_marks_(std::move(other.own_marks_))
    {
        std::copy(std::begin(other.marks_), std::end(other.marks_), std::begin(marks_));
    }
    ProcessClaims& operator=(ProcessClaims&&) = delete;

    // Call only when no lcore of ours runs any more (after rte_eal_mp_wait_lcore).
    ~ProcessClaims()
    {
        // The next process on these lcore ids starts from empty caches, and the
        // pool's counts stay exact. A flush is a put: under the mark.
        for (const unsigned lcore : lcores_) {
            const MempoolPutMark mark(*marks_[lcore]);
            pool_.flush_cache(lcore);
        }
        if (table_ == nullptr)
            return;
        for (const unsigned lcore : lcores_)
            table_[lcore].slot.release(self_);
        if (id_ != nullptr)
            id_->release(self_);
    }

    // False without a claim table (unclaimed()).
    bool claimed() const noexcept { return table_ != nullptr; }

    // True when the id's last holder died holding it: what it was doing with
    // what the id stands for (its rings, its queues) is ours to finish.
    bool id_taken_over() const noexcept { return id_previous_ != 0; }
    pid_t previous_id_holder() const noexcept { return pid_of(id_previous_); }

    // The put mark of one of our lcore ids (a start-up call: it throws for others).
    std::atomic<uint32_t>& put_mark(unsigned lcore) const
    {
        if (lcore >= RTE_MAX_LCORE || marks_[lcore] == nullptr)
            throw StartupError(strprintf("lcore %u was not claimed by this process", lcore));
        return *marks_[lcore];
    }

private:
    ProcessClaims(Mempool<T> pool, std::span<const unsigned> lcores)
        : pool_(pool), own_marks_(std::make_unique<std::atomic<uint32_t>[]>(RTE_MAX_LCORE))
    {
        hold(lcores, [&](unsigned lcore) { return &own_marks_[lcore]; });
        for (const unsigned lcore : lcores_)
            pool_.discard_cache(lcore);
    }

    template <typename MarkOf>
    void hold(std::span<const unsigned> lcores, MarkOf mark_of)
    {
        lcores_.assign(lcores.begin(), lcores.end());
        for (const unsigned lcore : lcores_)
            marks_[lcore] = mark_of(lcore);
    }

    void recover(const TakenOver& dead, const char* objects) noexcept
    {
        const CacheRecovery got = recover_lcore_cache(table_[dead.lcore], pool_, dead.lcore);
        if (got.returned + got.discarded != 0)
            mp::log(RTE_LOG_INFO,
                "lcore %u: process %d died holding %u %s in its mempool cache: returned %u to "
                "the pool, dropped %u (what its last burst may have touched)",
                dead.lcore, static_cast<int>(pid_of(dead.previous)), got.returned + got.discarded,
                objects, got.returned, got.discarded);
    }

    Mempool<T> pool_;
    LcoreClaim* table_ = nullptr; // nullptr: unclaimed
    ClaimSlot* id_ = nullptr;
    OwnerKey self_ = 0;
    OwnerKey id_previous_ = 0;
    std::vector<unsigned> lcores_;
    std::atomic<uint32_t>* marks_[RTE_MAX_LCORE] = {};
    std::unique_ptr<std::atomic<uint32_t>[]> own_marks_; // unclaimed only
};

} // namespace mp
