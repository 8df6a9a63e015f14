/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// The slave's fast path: upstream l2fwd forwarding for the slave's RX ports.
// Each packet received on port p gets destination MAC 02:00:00:00:00:<q> and
// the MAC of q as source, where q is p's pair, and is buffered for q's TX queue;
// a full buffer goes out at once, the others every ~100 us (the drain tick).
// The drain tick is also when the slave looks at its command word, so STOP
// costs the fast path one relaxed load per tick.

#include <array>
#include <chrono>
#include <cstdint>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include <mp/burst.hpp>
#include <mp/signals.hpp>

#include "shared.hpp"

namespace l2fwd_fork {

inline constexpr uint16_t max_pkt_burst = 32;
inline constexpr unsigned drain_interval_us = 100;
// How often a slave waiting for "go" looks at the quit flag (SIGTERM).
inline constexpr std::chrono::milliseconds go_wake{10};

// l2fwd's MAC update for a packet that leaves on `dst_port`.
inline void update_macs(rte_ether_hdr& eth, uint16_t dst_port,
                        const rte_ether_addr& dst_port_mac) noexcept
{
    eth.dst_addr = rte_ether_addr{{0x02, 0, 0, 0, 0, static_cast<uint8_t>(dst_port)}};
    rte_ether_addr_copy(&dst_port_mac, &eth.src_addr);
}

class Forwarder {
public:
    Forwarder(SharedState& shared, SlaveRecord& self) noexcept
        : shared_(shared), channel_(self.channel), n_(self.n_rx_ports)
    {
        for (unsigned i = 0; i < n_; ++i) {
            paths_[i].rx_port = self.rx_ports[i];
            paths_[i].tx_port = shared.dst_port[self.rx_ports[i]];
        }
    }

    // Waits for `go`, forwards until the master sends STOP (or SIGTERM
    // arrives), then sends what is buffered and acknowledges.
    void run() noexcept
    {
        // Asleep on the command word rather than waking every few us: see
        // doorbell.hpp for what frequent wake-ups on a shared CPU cost.
        while (command() == Command::none && !mp::QuitFlag::raised())
            futex_wait(channel_.command, static_cast<uint32_t>(Command::none),
                       go_wake);
        const uint64_t drain_tsc =
            (rte_get_tsc_hz() + US_PER_S - 1) / US_PER_S * drain_interval_us;
        uint64_t prev_tsc = rte_rdtsc();
        std::array<rte_mbuf*, max_pkt_burst> burst;
        while (true) {
            const uint64_t cur_tsc = rte_rdtsc();
            if (cur_tsc - prev_tsc > drain_tsc) {
                drain();
                if (command() == Command::stop || mp::QuitFlag::raised())
                    break;
                prev_tsc = cur_tsc;
            }
            for (unsigned i = 0; i < n_; ++i) {
                Path& path = paths_[i];
                const uint16_t nb_rx = rte_eth_rx_burst(path.rx_port, 0, burst.data(),
                                                        max_pkt_burst);
                if (nb_rx == 0)
                    continue;
                shared_.port_stats[path.rx_port].rx.add(nb_rx);
                const rte_ether_addr& tx_mac = shared_.port_mac[path.tx_port];
                for (uint16_t j = 0; j < nb_rx; ++j) {
                    rte_mbuf* m = burst[j];
                    rte_prefetch0(rte_pktmbuf_mtod(m, void*));
                    update_macs(*rte_pktmbuf_mtod(m, rte_ether_hdr*), path.tx_port, tx_mac);
                    if (path.pending.push(m))
                        send(path);
                }
            }
        }
        drain();
        channel_.ack.store(static_cast<uint32_t>(Command::stop), std::memory_order_release);
    }

private:
    struct Path {
        uint16_t rx_port = 0;
        uint16_t tx_port = 0;
        mp::Burst<max_pkt_burst> pending;
    };

    Command command() const noexcept
    {
        return static_cast<Command>(channel_.command.load(std::memory_order_acquire));
    }

    void send(Path& path) noexcept
    {
        const uint16_t n = path.pending.count;
        const uint16_t dropped = mp::tx_flush(path.tx_port, 0, path.pending);
        PortStatistics& stats = shared_.port_stats[path.tx_port];
        stats.tx.add(n - dropped);
        if (dropped != 0)
            stats.dropped.add(dropped);
    }

    void drain() noexcept
    {
        for (unsigned i = 0; i < n_; ++i)
            if (!paths_[i].pending.empty())
                send(paths_[i]);
    }

    SharedState& shared_;
    CommandChannel& channel_;
    unsigned n_;
    std::array<Path, max_rx_ports_per_lcore> paths_{};
};

} // namespace l2fwd_fork
