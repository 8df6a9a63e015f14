/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// The server's fast path: packets go to the clients in turn, one each, in an
// order that carries on from one burst to the next. Each client has a buffer;
// a full buffer goes to the client's ring in one bulk enqueue, and a ring that
// cannot take the whole buffer makes the server free it and count it as that
// client's rx_drop (all or nothing, as upstream).
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
        if (buffer.empty())
            return;
        if (sink_.enqueue_bulk(c, buffer.data(), buffer.count) != 0) {
            counters_[c].rx.add(buffer.count);
        } else {
            sink_.drop(buffer.data(), buffer.count);
            counters_[c].rx_drop.add(buffer.count);
        }
        buffer.count = 0;
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
    Sink& sink() noexcept { return sink_; }

private:
    using Buffer = mp::Burst<BufferSize, T>;

    Sink sink_;
    unsigned clients_;
    unsigned next_ = 0;
    ClientCounters* counters_;
    std::array<Buffer, max_clients> buffers_{};
};

} // namespace client_server_mp
