/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// A slot in shared memory that one process owns at a time: a client id, a
// proc-id, an lcore id. Processes come and go without asking anyone (kill -9
// included), so a slot is taken with a compare-exchange, and a slot whose owner
// no longer runs may be taken over: that is how a restarted process resumes the
// work of the one that died.
//
//   mp::ClaimSlot& slot = table->client_owner[id];       // in a memzone
//   const mp::OwnerKey me = mp::self_key();
//   const mp::Claim c = slot.claim(me);
//   if (c.result == mp::ClaimResult::held) -> refuse (mp::pid_of(c.previous) runs)
//   ...
//   slot.release(me);                                     // on a normal exit
//
// An owner is named by its pid AND its start time: pids are reused (pid_max is
// often 32768), and a dead owner's pid given to an unrelated process must not
// keep the slot held. No DPDK calls here: the tests drive slots in plain memory.

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <type_traits>

#include <sys/types.h>
#include <unistd.h>

namespace mp {

// The pid in the low 32 bits, the low 32 bits of the process start time
// (clock ticks since boot, /proc/<pid>/stat field 22) in the high ones. 0: nobody.
using OwnerKey = uint64_t;

inline pid_t pid_of(OwnerKey key) noexcept { return static_cast<pid_t>(key & 0xffffffffU); }

// The key of the running process `pid`, or 0 if there is none.
inline OwnerKey owner_key(pid_t pid) noexcept
{
    if (pid <= 0)
        return 0;
    char path[64];
    std::snprintf(path, sizeof(path), "/proc/%d/stat", static_cast<int>(pid));
    std::FILE* file = std::fopen(path, "r");
    if (file == nullptr)
        return 0;
    char line[1024];
    const bool read = std::fgets(line, sizeof(line), file) != nullptr;
    std::fclose(file);
    // The command name (field 2) may hold spaces and ')': after the last ')'
    // come state, ppid, ... and starttime is the 20th of those.
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

// This process's key (read from /proc each call: after fork() it is the child's).
inline OwnerKey self_key() noexcept { return owner_key(getpid()); }

// Whether the process a key names still runs (same pid, same start time).
inline bool is_alive(OwnerKey key) noexcept
{
    return key != 0 && owner_key(pid_of(key)) == key;
}

enum class ClaimResult {
    taken,      // the slot was free (or already ours)
    taken_over, // its owner had died: it is ours now
    held,       // a live process holds it: refused
};

struct Claim {
    ClaimResult result;
    OwnerKey previous; // the holder we found: dead (taken_over), live (held); else 0
};

struct ClaimSlot {
    std::atomic<OwnerKey> owner{0}; // 0: free

    // Takes the slot for `self`. `alive(key)` says whether a holder still runs
    // (a parameter so that unit tests can play dead and live processes).
    template <typename IsAlive = bool (*)(OwnerKey)>
    Claim claim(OwnerKey self, IsAlive alive = &is_alive) noexcept
    {
        OwnerKey seen = owner.load(std::memory_order_acquire);
        for (;;) {
            if (seen == self)
                return {ClaimResult::taken, 0};
            if (seen != 0 && alive(seen))
                return {ClaimResult::held, seen};
            // Free, or a dead holder: replace exactly the one we looked at. If
            // another newcomer won meanwhile, `seen` is now that one: look again.
            const OwnerKey found = seen;
            if (owner.compare_exchange_strong(seen, self, std::memory_order_acq_rel))
                return found == 0 ? Claim{ClaimResult::taken, 0}
                                  : Claim{ClaimResult::taken_over, found};
        }
    }

    // Frees the slot if `self` still holds it; false if it did not.
    bool release(OwnerKey self) noexcept
    {
        OwnerKey expected = self;
        return owner.compare_exchange_strong(expected, 0, std::memory_order_acq_rel);
    }

    OwnerKey holder() const noexcept { return owner.load(std::memory_order_acquire); }

    // The holder's key if it still runs, else 0.
    template <typename IsAlive = bool (*)(OwnerKey)>
    OwnerKey live_holder(IsAlive alive = &is_alive) const noexcept
    {
        const OwnerKey key = holder();
        return key != 0 && alive(key) ? key : 0;
    }
};

static_assert(std::is_standard_layout_v<ClaimSlot> && std::is_trivially_destructible_v<ClaimSlot>);

} // namespace mp
