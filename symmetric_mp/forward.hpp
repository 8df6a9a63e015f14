/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// The work of a symmetric_mp process: read queue `proc-id` of each port and send
// what arrived out of the same queue of the paired port (0<->1, 2<->3, ...).
// Only this process touches that queue of any port, so there is no locking.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <mp/burst.hpp>
#include <mp/counter.hpp>
#include <mp/lcore_cache.hpp>
#include <mp/port.hpp>

namespace symmetric_mp {

inline constexpr uint16_t burst_size = 32;

// Counters of one port as seen by one process: single writer (the lcore that
// serves the port), any number of readers (telemetry, other processes).
struct PortCounters {
    mp::Counter rx;
    mp::Counter tx;
    mp::Counter drop;

    void reset() noexcept
    {
        rx.reset();
        tx.reset();
        drop.reset();
    }
};

// One process's counters, indexed by port id, in cache lines of their own.
struct alignas(RTE_CACHE_LINE_SIZE) ProcCounters {
    PortCounters port[RTE_MAX_ETHPORTS];
};

// What one port's step may do to the lcore's mempool cache, by position in
// `ports`: its RX burst, then the TX burst, on its pair, of what it received.
// Found once, at start-up, from the ports' drivers. Both bursts run under one
// cache mark: gets and puts add up, and a step that fits the cache leaves the
// same prefix alone as its two bursts would under a mark each; one mark per
// step instead of two is most of the mark's cost per packet.
inline std::vector<mp::internals::CacheUse> port_cache_uses(std::span<const uint16_t> ports)
{
    using mp::internals::unbounded;
    const auto sum = [](unsigned a, unsigned b) {
        return a == unbounded || b == unbounded ? unbounded : a + b;
    };
    std::vector<mp::internals::CacheUse> uses(ports.size());
    for (std::size_t i = 0; i < ports.size(); ++i) {
        const auto rx = mp::rx_cache_use(ports[i], burst_size);
        const auto tx = mp::tx_cache_use(ports[i], ports[mp::paired_index(i)], burst_size);
        uses[i] = {sum(rx.gets, tx.gets), sum(rx.puts, tx.puts)};
    }
    return uses;
}

// One pass over `ports` (an even number, paired by position): a burst from
// queue `queue` of each, sent on the same queue of its pair; what the TX queue
// refuses is freed and counted as dropped. Each port's step runs under this
// lcore's cache mark (`cache`): the RX driver allocates from our per-lcore
// cache (and some free into it), the TX driver frees sent mbufs into it, and
// we free what it refused. Returns the packets received.
inline unsigned forward_once(std::span<const uint16_t> ports,
                             std::span<const mp::internals::CacheUse> uses, uint16_t queue,
                             PortCounters* counters, mp::LcoreCacheMark& cache) noexcept
{
    unsigned received = 0;
    for (std::size_t i = 0; i < ports.size(); ++i) {
        const uint16_t src = ports[i];
        const uint16_t dst = ports[mp::paired_index(i)];
        rte_mbuf* burst[burst_size];
        const mp::MempoolPutMark mark(cache, uses[i]);
        const uint16_t rx = rte_eth_rx_burst(src, queue, burst, burst_size);
        if (rx == 0)
            continue;
        received += rx;
        counters[src].rx.add(rx);
        const uint16_t dropped = mp::tx_or_free(dst, queue, burst, rx);
        counters[dst].tx.add(rx - dropped);
        if (dropped != 0)
            counters[dst].drop.add(dropped);
    }
    return received;
}

// The slice of the selected ports one lcore serves: whole pairs, starting at an
// even position so that pairing by position still holds inside the slice.
struct PortSlice {
    std::size_t start = 0;
    std::size_t count = 0;
};

// Spreads the port pairs over `lcores` lcores as evenly as possible (the first
// ones get one pair more); lcores beyond the number of pairs get nothing.
inline std::vector<PortSlice> assign_port_pairs(std::size_t num_ports, std::size_t lcores)
{
    std::vector<PortSlice> slices(lcores);
    if (lcores == 0)
        return slices;
    const std::size_t pairs = num_ports / 2;
    std::size_t next = 0;
    for (std::size_t i = 0; i < lcores; ++i) {
        const std::size_t mine = pairs / lcores + (i < pairs % lcores ? 1 : 0);
        slices[i] = {next, mine * 2};
        next += mine * 2;
    }
    return slices;
}

} // namespace symmetric_mp
