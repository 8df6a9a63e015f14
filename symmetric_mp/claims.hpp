/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// Who serves which proc-id: a table in shared memory with one slot per proc-id,
// holding the pid of the process that serves it (0 when free).
//
// Processes come and go without asking anyone (kill -9 included), so a slot is
// taken with a compare-exchange and a slot whose owner no longer exists may be
// taken over: that is how a restarted process resumes the queue of the one that
// died. Each slot also records the lcore ids its owner runs on, because two live
// processes on one lcore id would share (and corrupt) a per-lcore mempool cache.
//
// No DPDK calls here: the tests drive the table in ordinary memory.

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <optional>
#include <span>

#include <signal.h>
#include <sys/types.h>

#include "options.hpp"

namespace symmetric_mp {

// Lcore ids recorded per slot (DPDK's RTE_MAX_LCORE must not exceed this; the
// program checks it at compile time).
inline constexpr unsigned max_lcore_ids = 128;

// Whether process `pid` still exists (EPERM: it exists, it is someone else's).
inline bool process_alive(pid_t pid) noexcept
{
    return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

struct ProcSlot {
    std::atomic<int32_t> pid;                                 // owner, 0 = free
    std::atomic<uint64_t> lcores[max_lcore_ids / 64];         // owner's lcore ids, as bits
};

enum class ClaimStatus {
    claimed,   // the slot was free
    took_over, // the slot's owner had died; it is ours now
    held,      // a live process holds it: refused
};

struct Claim {
    ClaimStatus status;
    pid_t other; // the dead previous owner (took_over) or the live holder (held); else 0
};

struct LcoreConflict {
    unsigned lcore;
    unsigned proc_id;
    pid_t pid;
};

struct ProcTable {
    ProcSlot slots[max_procs];

    // Takes slot `proc_id` for `me`. `alive(pid)` says whether a holder still runs.
    template <typename IsAlive = bool (*)(pid_t)>
    Claim claim(unsigned proc_id, pid_t me, IsAlive alive = &process_alive) noexcept
    {
        std::atomic<int32_t>& owner = slots[proc_id].pid;
        int32_t seen = 0;
        if (owner.compare_exchange_strong(seen, me))
            return {ClaimStatus::claimed, 0};
        // Someone holds it. Only a dead holder may be replaced, and only the
        // holder we looked at: if another newcomer won the race, check it again.
        while (true) {
            if (seen == 0) {
                if (owner.compare_exchange_strong(seen, me))
                    return {ClaimStatus::claimed, 0};
                continue;
            }
            if (alive(seen))
                return {ClaimStatus::held, seen};
            const int32_t dead = seen;
            if (owner.compare_exchange_strong(seen, me))
                return {ClaimStatus::took_over, dead};
        }
    }

    // Frees slot `proc_id` if `me` still holds it.
    void release(unsigned proc_id, pid_t me) noexcept
    {
        int32_t expected = me;
        if (slots[proc_id].pid.compare_exchange_strong(expected, 0))
            for (auto& word : slots[proc_id].lcores)
                word.store(0);
    }

    // Records the lcore ids the holder of `proc_id` runs on (each < max_lcore_ids).
    void set_lcores(unsigned proc_id, std::span<const unsigned> lcores) noexcept
    {
        uint64_t bits[max_lcore_ids / 64] = {};
        for (unsigned lcore : lcores)
            bits[lcore / 64] |= uint64_t{1} << (lcore % 64);
        for (unsigned w = 0; w < max_lcore_ids / 64; ++w)
            slots[proc_id].lcores[w].store(bits[w]);
    }

    // The first lcore id of `lcores` that a live process holding another slot
    // also runs on. Call after set_lcores(): of two processes that start at once
    // on the same lcore, at least one sees the other.
    template <typename IsAlive = bool (*)(pid_t)>
    std::optional<LcoreConflict> lcore_conflict(unsigned proc_id, std::span<const unsigned> lcores,
                                                IsAlive alive = &process_alive) const noexcept
    {
        for (unsigned other = 0; other < max_procs; ++other) {
            if (other == proc_id)
                continue;
            const pid_t pid = slots[other].pid.load();
            if (pid == 0)
                continue;
            for (unsigned lcore : lcores) {
                const uint64_t word = slots[other].lcores[lcore / 64].load();
                if ((word & (uint64_t{1} << (lcore % 64))) != 0 && alive(pid))
                    return LcoreConflict{lcore, other, pid};
            }
        }
        return std::nullopt;
    }
};

} // namespace symmetric_mp
