/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// One slave's launch, between the master (main lcore) and the launcher that
// runs on the slave's worker lcore. The launcher publishes its result and the
// exit notification; the master collects it once. A launch that could not even
// be handed to the lcore ends at once, with its error as the result: then there
// is no launcher to wait for, and nothing (the master's loop, its destructor)
// waits for a notification that will never come. Pure, so that the unit tests
// drive it.

#include <atomic>
#include <chrono>
#include <string>
#include <utility>

#include "launcher.hpp"

namespace l2fwd_fork {

class LaunchSlot {
public:
    // Before the launch: a result is due from now on.
    void arm() noexcept
    {
        ended_.store(false, std::memory_order_relaxed);
        launched_ = false;
        collected_ = false;
    }
    // The launcher runs (rte_eal_remote_launch succeeded).
    void launched() noexcept { launched_ = true; }
    // The launch failed: the slave has ended, never started.
    void launch_failed(std::string error)
    {
        result_ = LaunchResult{};
        result_.error = std::move(error);
        result_.ended_at = std::chrono::steady_clock::now();
        ended_.store(true, std::memory_order_release);
    }
    // On the launcher's lcore: the slave has ended.
    void finish(LaunchResult result) noexcept
    {
        result_ = std::move(result);
        ended_.store(true, std::memory_order_release);
    }

    // A result is due and has not been collected.
    bool outstanding() const noexcept { return !collected_; }
    // ... and it is there.
    bool due() const noexcept { return !collected_ && ended_.load(std::memory_order_acquire); }
    bool ended() const noexcept { return ended_.load(std::memory_order_acquire); }

    // Takes a due result; `wait_launcher()` (rte_eal_wait_lcore) only if a
    // launcher ran, which has returned or is about to.
    template <class Wait>
    const LaunchResult& collect(Wait&& wait_launcher)
    {
        if (launched_)
            wait_launcher();
        collected_ = true;
        return result_;
    }
    const LaunchResult& result() const noexcept { return result_; }

private:
    std::atomic<bool> ended_{false};
    bool launched_ = false;
    bool collected_ = true; // nothing launched yet: nothing due
    LaunchResult result_;
};

} // namespace l2fwd_fork
