/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// The server's fast path: packets go to the clients in turn, one each, in an
// order that carries on from one burst to the next. Each client has a buffer;
// a full buffer goes to the client's ring in one bulk enqueue. A ring that
// cannot take the whole buffer (its client is off the CPU: preempted by
// another client sharing its CPU, or killed) passes the buffer to another
// client's ring with room, first the one that took the last such buffer (most
// likely the client running now). Only when no ring has room is the buffer
// freed and counted as the first client's rx_drop. Clients that keep up see
// plain round robin; with more clients than CPUs the running ones get the
// traffic instead of the rings of those waiting for a time slice.
//
// The ring and the free are template parameters, so that this runs in unit
// tests without DPDK, and inlines to direct calls in the server:
//
//   struct Sink {
//       unsigned enqueue_bulk(unsigned client, T* const* pkts, unsigned n); // n or 0
//       void drop(T* const* pkts, unsigned n);                              // frees
//   };

#include <array>
#include <cstdint>

#include <mp/burst.hpp>

#include "../shared/config.hpp"

namespace client_server_mp {

template <class T, class Sink, uint16_t BufferSize = 32>
class RoundRobinDistributor {
public:
    // `counters[c]` receives client c's rx and rx_drop; it must hold `clients` entries.
    RoundRobinDistributor(Sink sink, unsigned clients, ClientCounters* counters) noexcept
        : sink_(sink), clients_(clients), counters_(counters)
    {
    }

    void distribute(T* const* pkts, unsigned n) noexcept
    {
        unsigned next = next_;
        for (unsigned i = 0; i < n; ++i) {
            if (buffers_[next].push(pkts[i]))
                flush(next);
            if (++next == clients_)
                next = 0;
        }
        next_ = next;
    }

    // Sends what client `c`'s buffer holds.
    void flush(unsigned c) noexcept
    {
        Buffer& buffer = buffers_[c];
        const unsigned n = buffer.count;
        if (n == 0)
            return;
        buffer.count = 0;
        if (sink_.enqueue_bulk(c, buffer.data(), n) != 0) {
            counters_[c].rx.add(n);
            return;
        }
        if (spill(c, buffer.data(), n))
            return;
        sink_.drop(buffer.data(), n);
        counters_[c].rx_drop.add(n);
    }

    void flush_all() noexcept
    {
        for (unsigned c = 0; c < clients_; ++c)
            flush(c);
    }

    unsigned clients() const noexcept { return clients_; }
    // The client the next packet goes to.
    unsigned next_client() const noexcept { return next_; }
    // Packets waiting in client `c`'s buffer.
    unsigned buffered(unsigned c) const noexcept { return buffers_[c].count; }

private:
    using Buffer = mp::Burst<BufferSize, T>;

    // Passes the `n` packets client `c`'s ring refused to another client's ring
    // with room, the one that took the last such buffer first. False when no
    // ring has room.
    bool spill(unsigned c, T* const* pkts, unsigned n) noexcept
    {
        unsigned other = spill_;
        for (unsigned tried = 0; tried < clients_; ++tried) {
            if (other != c && sink_.enqueue_bulk(other, pkts, n) != 0) {
                counters_[other].rx.add(n);
                spill_ = other;
                return true;
            }
            other = other + 1 == clients_ ? 0 : other + 1;
        }
        return false;
    }

    Sink sink_;
    unsigned clients_;
    unsigned next_ = 0;
    unsigned spill_ = 0; // the client that took the last buffer of a full ring
    ClientCounters* counters_;
    std::array<Buffer, max_clients> buffers_{};
};

} // namespace client_server_mp
