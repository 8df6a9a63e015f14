/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// A process-wide quit flag, raised by SIGINT or SIGTERM (Ctrl-C, kill, timeout)
// and polled by every loop. Lock-free, so it is safe to set from a signal handler
// and cheap to read on the fast path.

#include <atomic>
#include <csignal>

namespace mp {

class QuitFlag {
public:
    // Installs the handlers. Call once, early in main().
    static void install() noexcept
    {
        struct sigaction action {};
        action.sa_handler = &QuitFlag::on_signal;
        sigemptyset(&action.sa_mask);
        sigaction(SIGINT, &action, nullptr);
        sigaction(SIGTERM, &action, nullptr);
    }
    static bool raised() noexcept { return flag_.load(std::memory_order_relaxed); }
    static void raise() noexcept { flag_.store(true, std::memory_order_relaxed); }
    // The signal that raised the flag (0 if raised by the program itself).
    static int signal_number() noexcept { return signal_.load(std::memory_order_relaxed); }

private:
    static void on_signal(int sig) noexcept
    {
        signal_.store(sig, std::memory_order_relaxed);
        raise();
    }
    static_assert(std::atomic<bool>::is_always_lock_free);
    static inline std::atomic<bool> flag_{false};
    static inline std::atomic<int> signal_{0};
};

} // namespace mp
