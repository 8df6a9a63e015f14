/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// Who serves which proc-id: a table in shared memory with one slot per proc-id,
// naming the process that serves it (0 when free).
//
// Processes come and go without asking anyone (kill -9 included), so a slot is
// taken with a compare-exchange and a slot whose owner no longer exists may be
// taken over: that is how a restarted process resumes the queue of the one that
// died. Each slot also records the lcore ids its owner runs on, because two live
// processes on one lcore id would share (and corrupt) a per-lcore mempool cache.
//
// No DPDK calls here: the tests drive the table in ordinary memory.

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <span>

#include <sys/types.h>

#include "options.hpp"

namespace symmetric_mp {

// Lcore ids recorded per slot (DPDK's RTE_MAX_LCORE must not exceed this; the
// program checks it at compile time).
inline constexpr unsigned max_lcore_ids = 128;

// A process as the table knows it: its pid in the low 32 bits and the low 32 bits
// of its start time (clock ticks since boot) in the high ones. Pids are reused
// (pid_max is often 32768); a pid with the same start time is the same process.
using OwnerKey = uint64_t;

inline pid_t pid_of(OwnerKey key) noexcept { return static_cast<pid_t>(key & 0xffffffffU); }

// The key of the running process `pid`, or 0 if there is none.
inline OwnerKey owner_key(pid_t pid) noexcept
{
    char path[64];
    std::snprintf(path, sizeof(path), "/proc/%d/stat", static_cast<int>(pid));
    std::FILE* file = std::fopen(path, "r");
    if (file == nullptr)
        return 0;
    char line[1024];
    const bool read = std::fgets(line, sizeof(line), file) != nullptr;
    std::fclose(file);
    // The command name (field 2) may hold spaces and ')': fields after the last
    // ')' are: state, ppid, ... and the 22nd field, starttime, is the 20th of those.
    const char* rest = read ? std::strrchr(line, ')') : nullptr;
    if (rest == nullptr)
        return 0;
    unsigned long long start = 0;
    if (std::sscanf(rest + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d "
                              "%*d %*d %*d %llu",
                    &start) != 1)
        return 0;
    return (static_cast<uint64_t>(start & 0xffffffffU) << 32) | static_cast<uint32_t>(pid);
}

// Whether the process a key names still runs.
inline bool owner_alive(OwnerKey key) noexcept { return key != 0 && owner_key(pid_of(key)) == key; }

struct ProcSlot {
    std::atomic<OwnerKey> owner;                      // 0 = free
    std::atomic<uint64_t> lcores[max_lcore_ids / 64]; // owner's lcore ids, as bits
};

enum class ClaimStatus {
    claimed,   // the slot was free
    took_over, // the slot's owner had died; it is ours now
    held,      // a live process holds it: refused
};

struct Claim {
    ClaimStatus status;
    OwnerKey other; // the dead previous owner (took_over) or the live holder (held); else 0
};

struct LcoreConflict {
    unsigned lcore;
    unsigned proc_id;
    OwnerKey owner;
};

struct ProcTable {
    ProcSlot slots[max_procs];

    // Takes slot `proc_id` for `me`. `alive(key)` says whether a holder still runs.
    template <typename IsAlive = bool (*)(OwnerKey)>
    Claim claim(unsigned proc_id, OwnerKey me, IsAlive alive = &owner_alive) noexcept
    {
        std::atomic<OwnerKey>& owner = slots[proc_id].owner;
        OwnerKey seen = 0;
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
            const OwnerKey dead = seen;
            if (owner.compare_exchange_strong(seen, me))
                return {ClaimStatus::took_over, dead};
        }
    }

    // Frees slot `proc_id` if `me` still holds it.
    void release(unsigned proc_id, OwnerKey me) noexcept
    {
        OwnerKey expected = me;
        if (slots[proc_id].owner.compare_exchange_strong(expected, 0))
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
    template <typename IsAlive = bool (*)(OwnerKey)>
    std::optional<LcoreConflict> lcore_conflict(unsigned proc_id, std::span<const unsigned> lcores,
                                                IsAlive alive = &owner_alive) const noexcept
    {
        for (unsigned other = 0; other < max_procs; ++other) {
            if (other == proc_id)
                continue;
            const OwnerKey owner = slots[other].owner.load();
            if (owner == 0)
                continue;
            for (unsigned lcore : lcores) {
                const uint64_t word = slots[other].lcores[lcore / 64].load();
                if ((word & (uint64_t{1} << (lcore % 64))) != 0 && alive(owner))
                    return LcoreConflict{lcore, other, owner};
            }
        }
        return std::nullopt;
    }
};

} // namespace symmetric_mp
