/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// The client's fast path: each packet read from the ring goes out on the port
// paired with the one it arrived on, through a buffer per output port. A buffer
// is sent as one TX burst when it is full, and every buffer is sent when the
// ring has nothing more (flush_all), so that packets never wait for company.
//
// Transmit is a template parameter (unit tests record instead of sending):
//   uint16_t operator()(uint16_t port, rte_mbuf** pkts, uint16_t n);
//       sends, frees what the port refused, returns how many it refused.

#include <array>
#include <cstdint>

#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include <mp/burst.hpp>

#include "../shared/port_info.hpp"

namespace client_server_mp {

template <class Transmit, uint16_t BufferSize = 32>
class PortTxBuffers {
    static_assert(RTE_IS_POWER_OF_2(RTE_MAX_ETHPORTS), "port ids are masked, not checked");
    static constexpr uint16_t port_mask = RTE_MAX_ETHPORTS - 1;

public:
    // Counts go to `stats` (this client's entry of the shared PortInfo).
    PortTxBuffers(Transmit transmit, volatile TxStats& stats) noexcept
        : transmit_(transmit), stats_(stats)
    {
    }

    // Packets that arrive on port `in` leave on port `out`.
    void add_route(uint16_t in, uint16_t out) noexcept
    {
        if (route_count_ == 0)
            route_.fill(out); // a port id we do not expect still goes somewhere valid
        route_[in & port_mask] = out;
        out_ports_[route_count_++] = out;
    }

    // Buffers a burst read from the ring, sending buffers that fill up.
    void forward(rte_mbuf* const* pkts, unsigned n) noexcept
    {
        // Both header lines of every packet were last written by the server's
        // core: start fetching them all before the first one is needed.
        for (unsigned i = 0; i < n; ++i) {
            rte_prefetch0(pkts[i]);
            rte_prefetch0(reinterpret_cast<const char*>(pkts[i]) + RTE_CACHE_LINE_MIN_SIZE);
        }
        for (unsigned i = 0; i < n; ++i) {
            const uint16_t out = route_[pkts[i]->port & port_mask];
            if (buffers_[out].push(pkts[i]))
                flush(out);
        }
    }

    void flush(uint16_t port) noexcept
    {
        Buffer& buffer = buffers_[port];
        if (buffer.empty())
            return;
        const uint16_t dropped = transmit_(port, buffer.data(), buffer.count);
        const uint16_t sent = static_cast<uint16_t>(buffer.count - dropped);
        add(stats_.tx[port], sent);
        if (dropped != 0)
            add(stats_.tx_drop[port], dropped);
        sent_ += sent;
        dropped_ += dropped;
        buffer.count = 0;
    }

    void flush_all() noexcept
    {
        for (unsigned i = 0; i < route_count_; ++i)
            flush(out_ports_[i]);
    }

    // Packets waiting in all buffers.
    unsigned buffered() const noexcept
    {
        unsigned total = 0;
        for (unsigned i = 0; i < route_count_; ++i)
            total += buffers_[out_ports_[i]].count;
        return total;
    }
    uint64_t sent() const noexcept { return sent_; }
    uint64_t dropped() const noexcept { return dropped_; }
    Transmit& transmit() noexcept { return transmit_; }

private:
    using Buffer = mp::Burst<BufferSize>;

    Transmit transmit_;
    volatile TxStats& stats_;
    std::array<uint16_t, RTE_MAX_ETHPORTS> route_{};
    std::array<uint16_t, RTE_MAX_ETHPORTS> out_ports_{};
    unsigned route_count_ = 0;
    uint64_t sent_ = 0;
    uint64_t dropped_ = 0;
    std::array<Buffer, RTE_MAX_ETHPORTS> buffers_{};
};

} // namespace client_server_mp
