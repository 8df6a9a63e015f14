/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// The server's forwarding loop: it reads the ports in turn and deals the
// packets to the clients' rings through the round-robin distributor
// (distributor.hpp), topping up its mbuf cache from the clients' return rings.

#include <array>
#include <cstdint>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <mp/all.hpp>

#include "../shared/config.hpp"
#include "../shared/port_info.hpp"
#include "../shared/return_rings.hpp"
#include "distributor.hpp"
#include "shared_objects.hpp"
#include "stats_display.hpp"

namespace client_server_mp {

inline constexpr uint16_t read_burst = 32;

// The distributor's way out: the clients' rings, and freeing what they refuse.
struct RingSink {
    std::array<mp::Ring<rte_mbuf>, max_clients> rings{};

    unsigned enqueue_bulk(unsigned client, rte_mbuf* const* pkts, unsigned n) noexcept
    {
        return rings[client].enqueue_bulk(pkts, n);
    }
    void drop(rte_mbuf* const* pkts, unsigned n) noexcept
    {
        rte_pktmbuf_free_bulk(const_cast<rte_mbuf**>(pkts), n);
    }
};

using Distributor = RoundRobinDistributor<rte_mbuf, RingSink, read_burst>;
static_assert(client_ring_size - 1 >= (max_clients - 1) * read_burst,
              "a client's ring takes the buffers of every other client at once");
using Refiller = MbufRefiller<rte_mbuf, mp::LcoreCache<rte_mbuf>>;

// What the loop works with: `cache`, the main lcore's, from which RX
// allocates; the refiller of it from the return rings; the distributor.
struct ForwardingPath {
    mp::LcoreCache<rte_mbuf> cache;
    Refiller refill;
    Distributor distributor;

    ForwardingPath(const SharedObjects& shared, unsigned num_clients)
        : cache(shared.pool, rte_lcore_id()), refill(cache, shared.config->clients),
          distributor(sink_of(shared, num_clients), num_clients, shared.config->clients)
    {
        for (unsigned c = 0; c < num_clients; ++c)
            refill.add_ring(mp::Ring<rte_mbuf>(shared.return_rings[c].native()));
    }

private:
    static RingSink sink_of(const SharedObjects& shared, unsigned num_clients)
    {
        RingSink sink;
        for (unsigned c = 0; c < num_clients; ++c)
            sink.rings[c] = mp::Ring<rte_mbuf>(shared.rings[c].native());
        return sink;
    }
};

// Reads the ports in turn until Ctrl-C, topping up the cache before each
// round. Given `stats` (no second lcore), shows them itself once a second (one
// TSC read per round of ports).
inline void forward(PortInfo& info, ForwardingPath& path, const StatsSource* stats)
{
    const mp::LcoreCache<rte_mbuf>& cache = path.cache;
    Refiller& refill = path.refill;
    Distributor& distributor = path.distributor;
    const unsigned num_ports = info.num_ports;
    std::array<uint16_t, RTE_MAX_ETHPORTS> ids{};
    for (unsigned j = 0; j < num_ports; ++j)
        ids[j] = info.id[j];
    const unsigned full_round = num_ports * read_burst;
    const uint64_t second = rte_get_tsc_hz();
    uint64_t next_display = rte_rdtsc() + second;

    rte_mbuf* pkts[read_burst];
    while (!mp::QuitFlag::raised()) {
        refill();
        unsigned round = 0;
        for (unsigned j = 0; j < num_ports; ++j) {
            // The mbufs the next burst will get were last written by a client's
            // core: their lines are on their way while this burst is handled.
            cache.prefetch_for_write(read_burst, read_burst);
            const uint16_t n = rte_eth_rx_burst(ids[j], 0, pkts, read_burst);
            add(info.rx_stats.rx[j], n);
            distributor.distribute(pkts, n);
            round += n;
        }
        // Under load buffers go out when full; when the ports run dry nothing
        // may wait for a full buffer.
        if (round < full_round)
            distributor.flush_all();
        if (stats != nullptr && rte_rdtsc() >= next_display) {
            stats->show(true);
            next_display += second;
        }
    }
    distributor.flush_all();
}

} // namespace client_server_mp
