/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// A statistics counter in shared memory with ONE writer (the lcore that owns
// it) and any number of readers (telemetry, a stats screen, other processes).
//
// The single writer makes a locked read-modify-write unnecessary: a relaxed
// load and store cost the same as on a private variable, and a reader never
// sees a torn value. Two writers on one counter would lose increments.
//
// Plain data: standard layout, trivially destructible, zero = 0, so it lives in
// a memzone (mp::Memzone zero-initialises) as well as in ordinary memory.

#include <atomic>
#include <cstdint>
#include <type_traits>

namespace mp {

struct Counter {
    std::atomic<uint64_t> value{0};

    // Writer only.
    void add(uint64_t n) noexcept
    {
        value.store(value.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    // Writer only (or when the writer is known not to run).
    void reset() noexcept { value.store(0, std::memory_order_relaxed); }
    // Anyone.
    uint64_t get() const noexcept { return value.load(std::memory_order_relaxed); }
};

static_assert(std::is_standard_layout_v<Counter> && std::is_trivially_destructible_v<Counter>);
static_assert(sizeof(Counter) == sizeof(uint64_t));
// Shared between processes: only a lock-free atomic works across them.
static_assert(std::atomic<uint64_t>::is_always_lock_free);

} // namespace mp
