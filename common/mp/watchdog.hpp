/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// A bound on start-up and on exit. DPDK's control-plane locks in shared memory
// (the memory hotplug lock, heap locks, ...) are not released when their holder
// is killed, so a process started after such a death can block forever inside
// rte_eal_init() or a lookup, and a primary inside rte_eal_cleanup() or a free.
// Rather than hang, it says so in one line and exits 1.
//
//   mp::Watchdog watchdog("symmetric_mp", "start-up", mp::default_startup_limit,
//                         mp::held_lock_hint);
//   ... start-up ...
//   watchdog.done();

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace mp {

// Longer than any healthy start-up: EAL, a 64K-mbuf pool, up to 9 s of link wait.
inline constexpr std::chrono::seconds default_startup_limit{20};

// Freeing the shared objects and rte_eal_cleanup() take well under a second.
inline constexpr std::chrono::seconds default_exit_limit{5};

// The cause the programs name when a limit is hit.
inline constexpr const char* held_lock_hint =
    "a DPDK lock in the shared memory is held, most likely by a process that was killed "
    "during its own start-up; the running processes are not affected, but new ones cannot "
    "attach: stop them all and start the run again";
inline constexpr const char* held_lock_exit_hint =
    "a DPDK lock in the shared memory is held, most likely by a process that was killed "
    "during its own start-up; leaving the shared memory as it is (remove the hugepage files "
    "of this --file-prefix before the next run)";

class Watchdog {
public:
    // `what` names the phase in the message: "start-up", "exit".
    Watchdog(const char* program, const char* what, std::chrono::seconds limit, const char* hint)
        : thread_([this, program, what, limit, hint] {
              std::unique_lock lock(mutex_);
              if (changed_.wait_for(lock, limit, [this] { return done_; }))
                  return;
              // Watchdogs may overlap (mp::Eal's around rte_eal_init(), a
              // program's around its whole start-up): one line, from the first.
              if (fired_.exchange(true))
                  return;
              std::fflush(stdout);
              std::fprintf(stderr, "%s: error: %s did not finish within %lld s: %s\n", program,
                           what, static_cast<long long>(limit.count()), hint);
              // The main thread is stuck in DPDK: nothing it holds can be released.
              std::_Exit(EXIT_FAILURE);
          })
    {
    }
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;
    ~Watchdog()
    {
        done();
        thread_.join();
    }

    // The phase is over.
    void done()
    {
        {
            std::lock_guard lock(mutex_);
            done_ = true;
        }
        changed_.notify_all();
    }

private:
    static inline std::atomic<bool> fired_{false};
    std::mutex mutex_;
    std::condition_variable changed_;
    bool done_ = false;
    std::thread thread_; // last: starts once the members above exist
};

} // namespace mp
