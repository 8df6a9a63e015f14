/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// The client's forwarding loop: it reads the packets the server put in its
// ring and sends each one out of the port paired with the one it arrived on,
// on its own TX queue (queue = client id), handing the mbufs its TX freed back
// to the server, until Ctrl-C or the server's exit.

#include <algorithm>
#include <cstdint>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_mbuf.h>

#include <mp/all.hpp>

#include "../shared/port_info.hpp"
#include "../shared/return_rings.hpp"
#include "tx_buffers.hpp"

namespace client_server_mp {

// Up to this many packets per ring read.
inline constexpr unsigned read_burst = 64;
inline constexpr uint16_t tx_burst = 32;
// Under load the TSC is read for the server check once per this many ring
// reads (a power of two), not on every one.
inline constexpr unsigned reads_per_clock_check = 1024;
static_assert((reads_per_clock_check & (reads_per_clock_check - 1)) == 0);

// Sends on the client's own TX queue; the PMD frees the packets it sent (or
// will free them later) into our per-lcore cache, and we free what it refused.
struct EthTransmit {
    uint16_t queue;
    mp::LcoreCacheMark* cache;
    mp::internals::CacheUse use; // of one burst of up to tx_burst packets

    uint16_t operator()(uint16_t port, rte_mbuf** pkts, uint16_t n) noexcept
    {
        // Inside a put: see mp::MempoolPutMark.
        const mp::MempoolPutMark mark(*cache, use);
        return mp::tx_or_free(port, queue, pkts, n);
    }
};

// What one TX burst may do to our cache: the packets come from the server's
// RX on any of the ports and leave by any of them, so the largest use of all.
inline mp::internals::CacheUse tx_cache_use(const PortInfo& info)
{
    mp::internals::CacheUse most{};
    for (unsigned j = 0; j < info.num_ports; ++j)
        for (unsigned k = 0; k < info.num_ports; ++k) {
            const auto use = mp::tx_cache_use(info.id[j], info.id[k], tx_burst);
            most = {std::max(most.gets, use.gets), std::max(most.puts, use.puts)};
        }
    return most;
}

using TxBuffers = PortTxBuffers<EthTransmit, tx_burst>;
using Returner = MbufReturner<rte_mbuf, mp::LcoreCache<rte_mbuf>>;

// A buffer per output port, each port routed to its pair; `cache` must
// outlive the buffers.
inline TxBuffers make_tx_buffers(PortInfo& info, unsigned client, mp::LcoreCacheMark& cache)
{
    const EthTransmit transmit{static_cast<uint16_t>(client), &cache, tx_cache_use(info)};
    TxBuffers tx(transmit, info.tx_stats[client]);
    for (unsigned j = 0; j < info.num_ports; ++j)
        tx.add_route(info.id[j], info.id[mp::paired_index(j)]);
    return tx;
}

struct ForwardingEnd {
    uint64_t received = 0;
    bool server_gone = false; // else Ctrl-C
};

// Whatever waited in the ring (a restarted client) goes out first, as any packet.
inline ForwardingEnd forward_until_quit(mp::Ring<rte_mbuf> ring, TxBuffers& tx,
                                        Returner& give_back)
{
    rte_mbuf* pkts[read_burst];
    ForwardingEnd end;
    const uint64_t second = rte_get_tsc_hz();
    uint64_t next_check = rte_rdtsc() + second;
    unsigned loops = 0;
    while (!mp::QuitFlag::raised()) {
        const unsigned n = ring.dequeue_burst(pkts, read_burst);
        if (n != 0) {
            tx.forward(pkts, n);
            end.received += n;
        } else {
            tx.flush_all();
        }
        give_back();
        // Once a second (and only then), look whether the server still runs.
        const bool check_due = n == 0 || (++loops & (reads_per_clock_check - 1)) == 0;
        if (check_due && rte_rdtsc() >= next_check) {
            next_check += second;
            if (rte_eal_primary_proc_alive(nullptr) == 0) {
                end.server_gone = true;
                break;
            }
        }
    }
    tx.flush_all();
    return end;
}

} // namespace client_server_mp
