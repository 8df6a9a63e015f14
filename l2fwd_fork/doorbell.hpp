/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// The master's doorbell: a counter in the shared memzone that a slave rings
// when it is ready and a launcher thread rings when its slave has ended. The
// master sleeps on it (a futex) between looks at its slaves instead of waking
// every millisecond.
//
// Why not poll: the master's threads share CPUs with busy slaves and with the
// reaping of ended slaves. Reaping a DPDK process runs the kernel's /proc
// dentry shrink (release_task -> proc_invalidate_siblings_dcache ->
// shrink_dcache_parent), which gives way and starts over each time its CPU is
// wanted. A main lcore waking every 1 ms on the same CPU kept a reap going for
// seconds (measured 0.5 to over 20 s); with the master asleep it takes a few ms.
//
// The memzone is a shared mapping, so a non-private futex on it works across
// the processes. A missed wake-up costs at most the wait's timeout. A slave
// waiting for its "go" sleeps on its command word the same way.

#include <atomic>
#include <chrono>
#include <climits>
#include <cstdint>
#include <ctime>

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace l2fwd_fork {

static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t) &&
              std::atomic<uint32_t>::is_always_lock_free);

inline void futex_wake_all(std::atomic<uint32_t>& word) noexcept
{
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAKE, INT_MAX, nullptr, nullptr,
            0);
}

// Returns when `word` is woken (or no longer `expected`), on a signal, or
// after `timeout`.
inline void futex_wait(std::atomic<uint32_t>& word, uint32_t expected,
                       std::chrono::nanoseconds timeout) noexcept
{
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout);
    const timespec relative{static_cast<time_t>(seconds.count()),
                            static_cast<long>((timeout - seconds).count())};
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAIT, expected, &relative,
            nullptr, 0);
}

class Doorbell {
public:
    explicit Doorbell(std::atomic<uint32_t>& word) noexcept : word_(word) {}

    // Read before looking at what the ringers publish; pass to wait().
    uint32_t rung() const noexcept { return word_.load(std::memory_order_acquire); }

    void ring() noexcept
    {
        word_.fetch_add(1, std::memory_order_release);
        futex_wake_all(word_);
    }

    // Returns when rung since `seen`, on a signal, or after `timeout`.
    void wait(uint32_t seen, std::chrono::nanoseconds timeout) const noexcept
    {
        futex_wait(word_, seen, timeout);
    }

private:
    std::atomic<uint32_t>& word_;
};

} // namespace l2fwd_fork
