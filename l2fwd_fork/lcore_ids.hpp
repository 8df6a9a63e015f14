/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// Lcore ids for floating slaves. A mempool keeps one cache per lcore id, so two
// processes running with the same id would corrupt each other's cache. The
// master's own lcore ids are reserved; every other id below RTE_MAX_LCORE is
// free for floating slaves. A slave's id is claimed (compare-and-swap, in the
// master's shared memory) before the slave is started, and given back when the
// master has reclaimed what the slave left behind.
//
// The table is an array of atomic words, one per lcore id: reserved, free, or
// the tag of the owner (slave index + 1). Pure, so that the unit tests drive it.

#include <atomic>
#include <cstdint>
#include <optional>
#include <span>

namespace l2fwd_fork {

class LcoreIdAllocator {
public:
    static constexpr int32_t reserved = -1;
    static constexpr int32_t free = 0;

    explicit LcoreIdAllocator(std::span<std::atomic<int32_t>> slots) noexcept : slots_(slots) {}

    // Marks every id free except `reserved_ids` (the master's lcores).
    void reset(std::span<const unsigned> reserved_ids) noexcept
    {
        for (auto& slot : slots_)
            slot.store(free, std::memory_order_relaxed);
        for (unsigned id : reserved_ids)
            if (id < slots_.size())
                slots_[id].store(reserved, std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_release);
    }

    // The lowest free id, now owned by `owner` (> 0); nothing if all are taken.
    std::optional<unsigned> claim(int32_t owner) noexcept
    {
        if (owner <= 0)
            return std::nullopt;
        for (unsigned id = 0; id < slots_.size(); ++id) {
            int32_t expected = free;
            if (slots_[id].compare_exchange_strong(expected, owner, std::memory_order_acq_rel))
                return id;
        }
        return std::nullopt;
    }

    // Gives `id` back if `owner` holds it; false otherwise (never frees a
    // reserved id).
    bool release(unsigned id, int32_t owner) noexcept
    {
        if (id >= slots_.size() || owner <= 0)
            return false;
        int32_t expected = owner;
        return slots_[id].compare_exchange_strong(expected, free, std::memory_order_acq_rel);
    }

    int32_t owner(unsigned id) const noexcept
    {
        return slots_[id].load(std::memory_order_acquire);
    }

    unsigned free_count() const noexcept
    {
        unsigned n = 0;
        for (const auto& slot : slots_)
            n += slot.load(std::memory_order_relaxed) == free ? 1 : 0;
        return n;
    }

private:
    std::span<std::atomic<int32_t>> slots_;
};

} // namespace l2fwd_fork
