/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// Fixed-size burst buffers for the fast path: no allocation, no exceptions.
//
//   mp::Burst<32> out;
//   if (out.push(m)) drops += mp::tx_flush(port, queue, out);  // full: send now

#include <array>
#include <cstdint>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

namespace mp {

// `T` is the packet type: rte_mbuf here; unit tests of code built on it use
// any type of their own.
template <uint16_t Capacity, typename T = rte_mbuf>
struct Burst {
    std::array<T*, Capacity> mbufs{};
    uint16_t count = 0;

    // Adds a packet; returns true when the buffer is now full.
    bool push(T* m) noexcept
    {
        mbufs[count++] = m;
        return count == Capacity;
    }
    bool empty() const noexcept { return count == 0; }
    T** data() noexcept { return mbufs.data(); }
};

// Sends `n` packets on (port, queue) and frees what the queue refuses.
// Returns the number dropped.
inline uint16_t tx_or_free(uint16_t port, uint16_t queue, rte_mbuf** mbufs, uint16_t n) noexcept
{
    const uint16_t sent = rte_eth_tx_burst(port, queue, mbufs, n);
    if (sent < n)
        rte_pktmbuf_free_bulk(mbufs + sent, n - sent);
    return static_cast<uint16_t>(n - sent);
}

// Sends a whole burst on (port, queue) and empties the buffer; packets the
// queue does not take are freed. Returns the number dropped.
template <uint16_t Capacity>
inline uint16_t tx_flush(uint16_t port, uint16_t queue, Burst<Capacity>& burst) noexcept
{
    const uint16_t dropped = tx_or_free(port, queue, burst.data(), burst.count);
    burst.count = 0;
    return dropped;
}

} // namespace mp
