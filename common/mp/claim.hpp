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
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>

#include <sys/types.h>
#include <unistd.h>

namespace mp {

// The pid in the low 32 bits, the low 32 bits of the process start time
// (clock ticks since boot, /proc/<pid>/stat field 22) in the high ones. 0: nobody.
using OwnerKey = uint64_t;

inline pid_t pid_of(OwnerKey key) noexcept { return static_cast<pid_t>(key & 0xffffffffU); }

// What /proc says of a pid. `unknown` when it cannot be read for another reason
// than the process being gone (too many open files, hidepid, another PID
// namespace): such a process may well run, so it is never taken over.
enum class Liveness { running, gone, unknown };

struct ProcessProbe {
    Liveness liveness = Liveness::gone;
    OwnerKey key = 0; // when running
};

inline ProcessProbe probe_process(pid_t pid) noexcept
{
    if (pid <= 0)
        return {};
    char path[64];
    std::snprintf(path, sizeof(path), "/proc/%d/stat", static_cast<int>(pid));
    const auto failure = [] {
        return errno == ENOENT || errno == ESRCH ? ProcessProbe{}
                                                 : ProcessProbe{Liveness::unknown, 0};
    };
    std::FILE* file = std::fopen(path, "r");
    if (file == nullptr)
        return failure();
    char line[1024];
    errno = 0;
    const bool read = std::fgets(line, sizeof(line), file) != nullptr;
    std::fclose(file);
    if (!read)
        return failure();
    // The command name (field 2) may hold spaces and ')': after the last ')'
    // come state, ppid, ... and starttime is the 20th of those.
    const char* rest = std::strrchr(line, ')');
    char state = 0;
    unsigned long long start = 0;
    if (rest == nullptr ||
        std::sscanf(rest + 1, " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d "
                              "%*d %*d %*d %llu",
                    &state, &start) != 2)
        return {Liveness::unknown, 0};
    // A zombie (Z) or a dying task (X) runs no more code: its effects on shared
    // memory are final, whether or not its parent has reaped it yet.
    if (state == 'Z' || state == 'X')
        return {};
    return {Liveness::running,
            (static_cast<uint64_t>(start & 0xffffffffU) << 32) | static_cast<uint32_t>(pid)};
}

// The key of the running process `pid`, or 0 if there is none (or it cannot be read).
inline OwnerKey owner_key(pid_t pid) noexcept { return probe_process(pid).key; }

// This process's key (read from /proc each call: after fork() it is the child's).
// Throws when /proc cannot tell it: an owner without a key could not be told
// from a free slot.
inline OwnerKey self_key()
{
    const ProcessProbe me = probe_process(getpid());
    if (me.key == 0)
        throw std::runtime_error(std::string("cannot read this process's start time from "
                                             "/proc/self/stat (") +
                                 std::strerror(errno) +
                                 "): it names the owner of a shared slot; is /proc mounted?");
    return me.key;
}

// Whether the process a key names may still run: yes if it runs with the same
// start time, or if /proc cannot tell; no if it is gone or its pid was reused.
inline bool is_alive(OwnerKey key) noexcept
{
    if (key == 0)
        return false;
    const ProcessProbe probe = probe_process(pid_of(key));
    switch (probe.liveness) {
    case Liveness::running: return probe.key == key;
    case Liveness::unknown: return true;
    case Liveness::gone: return false;
    }
    return true;
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

    // Undoes a claim of `self`'s that found `previous` (0: the slot was free;
    // else a dead owner, whose slot then still shows that it died holding it).
    bool give_back(OwnerKey self, OwnerKey previous) noexcept
    {
        OwnerKey expected = self;
        return owner.compare_exchange_strong(expected, previous, std::memory_order_acq_rel);
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
// Shared between processes: only a lock-free atomic works across them.
static_assert(std::atomic<OwnerKey>::is_always_lock_free);

} // namespace mp
