/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// A bound on start-up time. DPDK's control-plane locks in shared memory (the
// memory hotplug lock, heap locks, ...) are not released when their holder is
// killed, so a process started after such a death can block forever inside
// rte_eal_init() or a lookup. Rather than hang, it says so and exits 1.
//
//   mp::StartupWatchdog watchdog("symmetric_mp", std::chrono::seconds(20), "hint");
//   ... start-up ...
//   watchdog.done();

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace mp {

class StartupWatchdog {
public:
    StartupWatchdog(const char* program, std::chrono::seconds limit, const char* hint)
        : thread_([this, program, limit, hint] {
              std::unique_lock lock(mutex_);
              if (changed_.wait_for(lock, limit, [this] { return done_; }))
                  return;
              std::fprintf(stderr, "%s: error: start-up did not finish within %lld s: %s\n",
                           program, static_cast<long long>(limit.count()), hint);
              // The main thread is stuck in DPDK: nothing it holds can be released.
              std::_Exit(EXIT_FAILURE);
          })
    {
    }
    StartupWatchdog(const StartupWatchdog&) = delete;
    StartupWatchdog& operator=(const StartupWatchdog&) = delete;
    ~StartupWatchdog()
    {
        done();
        thread_.join();
    }

    // Start-up is over.
    void done()
    {
        {
            std::lock_guard lock(mutex_);
            done_ = true;
        }
        changed_.notify_all();
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    bool done_ = false;
    std::thread thread_; // last: starts once the members above exist
};

} // namespace mp
