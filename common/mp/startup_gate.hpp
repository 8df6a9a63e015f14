/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// Secondaries of one --file-prefix go through their start-up (rte_eal_init()
// and the look-ups of the primary's objects) one at a time, and the one after
// a process killed in there puts right what the dead one left held.
//
// A secondary's start-up takes locks that are words in the shared
// configuration: in rte_eal_init(), the memzone lock for writing
// (rte_eal_memzone_init) and the memory hotplug lock for reading while it maps
// the primary's memory (from rte_eal_memory_init to
// rte_eal_malloc_heap_init); in look-ups, the memzone, tailq and mempool locks
// for reading. A kill leaves what it held: a writer blocks everyone that looks
// up or reserves a memzone; a reader blocks the next writer (the primary
// freeing a ring, a pool or a memzone, its rte_eal_cleanup(), a heap that
// grows), which, while it waits, lets no new reader in. Either way every later
// start-up, or the primary's exit, hangs.
//
// The gate is an flock on a file in the runtime folder, which the kernel drops
// when its holder dies, and the file holds the holder's pid until it is
// through. So a pid found in the file by the next holder means: its
// predecessor died inside its start-up. No other start-up is running then, and
// the processes already running take these locks for microseconds at a time,
// so a lock word that stays the same, not zero, for `settle` is what the dead
// one left: repair_startup_locks() clears it. A write hold of the memory
// hotplug lock is left alone: a start-up does not take it (Eal frees the
// service tables, so the heap does not grow there), and a live writer may keep
// it for seconds while it waits for the other processes' replies.
//
// A primary takes the gate too before it frees what its secondaries look up
// (Eal::hold_back_startups()): then no start-up runs while it frees, and what
// the last one killed in its start-up left held is released first.

#include <sys/file.h>
#include <sys/mman.h>

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <string>
#include <system_error>
#include <thread>

#include "dpdk_internals.hpp"
#include "error.hpp"
#include "kill_point.hpp"
#include "signals.hpp"

namespace mp {

// The shared EAL locks a start-up takes, as repair_startup_locks() reports them.
enum StartupLock : unsigned {
    memzone_lock = 1U << 0,
    tailq_lock = 1U << 1,
    memory_hotplug_lock = 1U << 2,
    mempool_lock = 1U << 3,
};

inline std::string startup_lock_names(unsigned locks)
{
    std::string names;
    for (const auto& [lock, name] : {std::pair{memzone_lock, "the memzone lock"},
                                     std::pair{tailq_lock, "the tailq lock"},
                                     std::pair{memory_hotplug_lock, "the memory hotplug lock"},
                                     std::pair{mempool_lock, "the mempool lock"}})
        if ((locks & lock) != 0)
            names += (names.empty() ? "" : ", ") + std::string(name);
    return names;
}

// What repair_startup_locks() found.
struct StartupLockRepair {
    unsigned released = 0;      // StartupLock bits
    unsigned left_held = 0;     // held for writing: the memory hotplug lock
};

// The head of a primary's shared configuration (the runtime folder's "config"
// file), mapped for reading and writing while this object lives; head() is
// nullptr if the file cannot be mapped or is not a configuration this build
// may read (internals::mem_config_usable).
class MemConfigMapping {
public:
    explicit MemConfigMapping(const std::string& config_path)
    {
        const int fd = open(config_path.c_str(), O_RDWR | O_CLOEXEC);
        if (fd < 0)
            return;
        void* mapped = mmap(nullptr, sizeof(internals::MemConfigHead), PROT_READ | PROT_WRITE,
                            MAP_SHARED, fd, 0);
        close(fd);
        if (mapped == MAP_FAILED)
            return;
        head_ = static_cast<internals::MemConfigHead*>(mapped);
        if (!internals::mem_config_usable(*head_)) {
            munmap(head_, sizeof(internals::MemConfigHead));
            head_ = nullptr;
        }
    }
    MemConfigMapping(const MemConfigMapping&) = delete;
    MemConfigMapping& operator=(const MemConfigMapping&) = delete;
    ~MemConfigMapping()
    {
        if (head_ != nullptr)
            munmap(head_, sizeof(internals::MemConfigHead));
    }

    internals::MemConfigHead* head() const noexcept { return head_; }

private:
    internals::MemConfigHead* head_ = nullptr;
};

// Clears what a dead process left in the start-up locks of the primary whose
// configuration file is `config_path`: each lock word that stays the same and
// not zero for `settle`. Only for a caller that knows its predecessor died
// inside its start-up and that no other start-up runs.
inline StartupLockRepair repair_startup_locks(const std::string& config_path,
                                              std::chrono::milliseconds settle)
{
    StartupLockRepair result;
    const MemConfigMapping config(config_path);
    if (config.head() == nullptr)
        return result;
    internals::MemConfigHead& head = *config.head();
    struct Watched {
        StartupLock lock;
        std::atomic_ref<int32_t> word;
        int32_t seen = 0;
        std::chrono::steady_clock::time_point since{};
    };
    std::array<Watched, 4> watched{{
        {memzone_lock, internals::rwlock_word(head.mlock)},
        {tailq_lock, internals::rwlock_word(head.qlock)},
        {memory_hotplug_lock, internals::rwlock_word(head.memory_hotplug_lock)},
        {mempool_lock, internals::rwlock_word(head.mplock)},
    }};
    const auto start = std::chrono::steady_clock::now();
    for (Watched& w : watched) {
        w.seen = w.word.load(std::memory_order_acquire);
        w.since = start;
    }
    const auto repairable = [](const Watched& w) {
        return w.seen != 0 &&
               !(w.lock == memory_hotplug_lock && (w.seen & RTE_RWLOCK_WRITE) != 0);
    };
    constexpr auto sample_every = std::chrono::milliseconds(1);
    const auto unsettled = [&] {
        const auto now = std::chrono::steady_clock::now();
        for (const Watched& w : watched)
            if (repairable(w) && now - w.since < settle)
                return true;
        return false;
    };
    // A word that live processes keep changing is theirs: after a while,
    // what has not settled is left alone.
    constexpr int settles_to_wait = 8;
    const auto give_up_at = start + settles_to_wait * settle;
    while (unsettled() && std::chrono::steady_clock::now() < give_up_at) {
        std::this_thread::sleep_for(sample_every);
        const auto now = std::chrono::steady_clock::now();
        for (Watched& w : watched)
            if (const int32_t value = w.word.load(std::memory_order_acquire);
                value != w.seen) {
                w.seen = value;
                w.since = now;
            }
    }
    const auto now = std::chrono::steady_clock::now();
    for (const Watched& w : watched) {
        const bool settled = now - w.since >= settle;
        if (repairable(w) && settled && internals::release_dead_holders(w.word, w.seen))
            result.released |= w.lock;
        else if (w.seen != 0 && !repairable(w))
            result.left_held |= w.lock;
    }
    return result;
}

class StartupGate {
public:
    // How long a lock word must stay unchanged to count as a dead holder's:
    // far longer than any live process holds one outside a start-up.
    static constexpr std::chrono::milliseconds settle{250};

    // Whether Ctrl-C ends the wait: yes for a start-up; no for a primary's
    // exit, which comes after Ctrl-C.
    enum class OnQuit { give_up, keep_waiting };

    // Waits (up to `limit`) for the gate of the primary whose runtime folder
    // is `runtime_dir`, then repairs after a predecessor that died holding it.
    // Returns without a gate if the folder does not exist: there is no
    // primary, and rte_eal_init() will say so. `while_closed`, if given, runs
    // once, only if the gate is held by another process, before the wait.
    StartupGate(const std::string& runtime_dir, std::chrono::milliseconds limit,
                OnQuit on_quit = OnQuit::give_up, void (*while_closed)() = nullptr)
    {
        fd_ = open((runtime_dir + "/mp_startup_gate").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd_ < 0)
            return;
        wait_for_gate(limit, on_quit, while_closed);
        dead_predecessor_ = recorded_pid();
        MP_KILL_POINT("startup_gate.taken");
        record(getpid());
        if (dead_predecessor_ != 0)
            repair_ = repair_startup_locks(runtime_dir + "/config", settle);
    }
    StartupGate(const StartupGate&) = delete;
    StartupGate& operator=(const StartupGate&) = delete;
    ~StartupGate()
    {
        if (fd_ < 0)
            return;
        if (ftruncate(fd_, 0) != 0) {
            // The next holder will look at the lock for nothing: harmless.
        }
        close(fd_); // drops the flock
    }

    // The pid of a process that died inside its start-up before us, or 0.
    pid_t dead_predecessor() const noexcept { return dead_predecessor_; }
    const StartupLockRepair& repair() const noexcept { return repair_; }

private:
    void wait_for_gate(std::chrono::milliseconds limit, OnQuit on_quit, void (*while_closed)())
    {
        constexpr auto poll_every = std::chrono::milliseconds(2);
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
            if (errno != EWOULDBLOCK && errno != EINTR)
                throw StartupError(std::string("cannot take the start-up gate: ") +
                                   std::generic_category().message(errno));
            if (while_closed != nullptr) {
                while_closed();
                while_closed = nullptr;
                continue;
            }
            if (on_quit == OnQuit::give_up && QuitFlag::raised())
                throw StartupError("interrupted while waiting for another process's start-up");
            if (std::chrono::steady_clock::now() > deadline)
                throw StartupError(
                    "another process of this --file-prefix has been starting for too long (" +
                    std::to_string(std::chrono::duration_cast<std::chrono::seconds>(limit).count()) +
                    " s): it is stuck or stopped; end it and try again");
            std::this_thread::sleep_for(poll_every);
        }
    }

    pid_t recorded_pid() const noexcept
    {
        char text[24] = {};
        const ssize_t got = pread(fd_, text, sizeof(text) - 1, 0);
        pid_t pid = 0;
        if (got > 0)
            std::from_chars(text, text + got, pid);
        return pid;
    }

    void record(pid_t pid) noexcept
    {
        char text[24];
        const int length = std::snprintf(text, sizeof(text), "%d\n", static_cast<int>(pid));
        if (ftruncate(fd_, 0) != 0 || pwrite(fd_, text, static_cast<size_t>(length), 0) != length) {
            // Unrecorded, a death of ours goes unseen by the next holder,
            // which then repairs nothing: as without the gate.
        }
    }

    int fd_ = -1;
    pid_t dead_predecessor_ = 0;
    StartupLockRepair repair_;
};

} // namespace mp
