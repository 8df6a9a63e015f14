/* SPDX-License-Identifier: BSD-3-Clause */
// mp_client: a secondary process of the client-server example. It reads the
// packets mp_server put in its ring and sends each one out of the port paired
// with the one it arrived on, on its own TX queue (queue = client id).
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <span>

#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_memzone.h>

#include <mp/all.hpp>
#include <mp/usage.hpp>

#include "../shared/config.hpp"
#include "../shared/port_info.hpp"
#include "../shared/return_rings.hpp"
#include "options.hpp"
#include "tx_buffers.hpp"

namespace client_server_mp {
namespace {

// Up to this many packets per ring read (the ring holds 127).
constexpr unsigned read_burst = 64;
constexpr uint16_t tx_burst = 32;
// Under load the TSC is read for the server check once per this many ring
// reads (a power of two), not on every one.
constexpr unsigned reads_per_clock_check = 1024;
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
mp::internals::CacheUse tx_cache_use(const PortInfo& info)
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

using Claims = mp::ProcessClaims<rte_mbuf>;

// Why this client cannot have its id or its lcore id.
std::string refusal(const Config& config, unsigned client, const mp::ClaimConflict& conflict)
{
    const int pid = static_cast<int>(mp::pid_of(conflict.holder));
    if (!conflict.lcore)
        return mp::strprintf("client id %u is already in use by process %d: each client needs "
                             "its own id",
                             client, pid);
    return mp::strprintf("lcore %u is already in use by process %d%s: give each process its own "
                         "lcore ids (e.g. --lcores=%u@1 with another id)",
                         *conflict.lcore, pid, pid == config.server_pid ? " (mp_server)" : "",
                         *conflict.lcore + 1);
}

// The client id and lcore claims in our server's "MProc_config", held for the
// life of the process (see <mp/process_claims.hpp>); none under an upstream server.
Claims claim_client(unsigned client, unsigned lcore, mp::PktmbufPool pool)
{
    const unsigned lcores[] = {lcore};
    const auto config = mp::Memzone<Config>::find(config_name);
    if (!config) {
        mp::log(RTE_LOG_WARNING, "no memzone '%s': the server is not this suite's mp_server, so "
                                 "the client id and lcore are not checked against other clients",
                config_name);
        return Claims::unclaimed(pool, lcores);
    }
    if (config->magic != config_magic)
        throw mp::StartupError("memzone 'MProc_config' has an unknown layout: is mp_server "
                               "from another version of this suite?");
    if (client >= config->num_clients)
        throw mp::UsageError(mp::strprintf(
            "client id %u is out of range: mp_server runs %u client%s (ids 0 to %u)", client,
            config->num_clients, config->num_clients == 1 ? "" : "s", config->num_clients - 1));
    return Claims(&config->client_owner[client], config->lcore_owner, lcores, pool, "mbufs",
                  [&](const mp::ClaimConflict& c) { return refusal(*config, client, c); });
}

void check_ports(const PortInfo& info, unsigned client)
{
    if (info.num_ports == 0 || info.num_ports % 2 != 0 || info.num_ports > RTE_MAX_ETHPORTS)
        throw mp::StartupError(mp::strprintf("the server's port list holds %u ports: an even "
                                             "number from 2 to %u is needed",
                                             info.num_ports, RTE_MAX_ETHPORTS));
    for (unsigned j = 0; j < info.num_ports; ++j) {
        rte_eth_dev_info dev{};
        if (rte_eth_dev_info_get(info.id[j], &dev) != 0)
            throw mp::StartupError(mp::strprintf("port %u of the server is not visible here",
                                                 info.id[j]));
        if (client >= dev.nb_tx_queues)
            throw mp::UsageError(mp::strprintf(
                "client id %u is out of range: port %u has %u TX queues (one per client)", client,
                info.id[j], dev.nb_tx_queues));
    }
}

int run(int argc, char** argv)
{
    const ClientOptions options =
        mp::parse_app_args({"mp_client", client_usage}, argc, argv, parse_client_options);
    // A secondary killed during its start-up can leave a DPDK lock held in
    // the shared memory: say so and exit rather than wait for it forever.
    mp::Watchdog watchdog("mp_client", "start-up", mp::default_startup_limit, mp::held_lock_hint);
    mp::Eal eal(argc, argv);
    if (eal.primary())
        throw mp::StartupError(mp::strprintf(
            "no mp_server is running with --file-prefix=%s: start the server first "
            "(mp_client runs as a secondary process only)",
            eal.file_prefix().c_str()));
    const mp::PacketCapture capture(eal);
    const unsigned client = options.client_id;

    auto info = mp::Memzone<PortInfo>::lookup(port_info_name);
    auto pool = mp::PktmbufPool::lookup(pktmbuf_pool_name);
    const unsigned lcore = rte_lcore_id();

    // Held until we exit, when our cache goes back to the pool.
    const Claims claims = claim_client(client, lcore, pool);
    const bool our_server = claims.claimed();

    check_ports(*info, client);
    // We send on every port and poll none: see map_memif_ports_here().
    mp::map_memif_ports_here(std::span<const uint16_t>(info->id, info->num_ports));
    auto ring = mp::Ring<rte_mbuf>::lookup(client_ring_name(client));
    if (our_server)
        if (const unsigned n = ring.take_back_claimed_entries())
            mp::log(RTE_LOG_INFO, "client %u: taking back %u packets a killed client had "
                                  "dequeued but not handled", client, n);

    // The mbufs our TX frees go back to our server through our return ring
    // (an upstream server has none: they go through the pool as upstream's do).
    mp::Ring<rte_mbuf> return_ring;
    if (our_server) {
        return_ring = mp::Ring<rte_mbuf>::lookup(return_ring_name(client));
        if (const unsigned n = return_ring.forget_unpublished_entries())
            mp::log(RTE_LOG_INFO, "client %u: forgetting %u mbufs a killed client was handing "
                                  "back", client, n);
    }
    Returner give_back(mp::LcoreCache<rte_mbuf>(pool, lcore), return_ring);

    mp::LcoreCacheMark cache_mark(claims.put_mark(lcore), pool.native(), lcore);
    EthTransmit transmit{static_cast<uint16_t>(client), &cache_mark, tx_cache_use(*info)};
    TxBuffers tx(transmit, info->tx_stats[client]);
    for (unsigned j = 0; j < info->num_ports; ++j)
        tx.add_route(info->id[j], info->id[mp::paired_index(j)]);

    eal.mark_ready();
    watchdog.done();
    std::printf("\nClient process %u handling packets\n[Press Ctrl-C to quit ...]\n", client);

    // Whatever waited in the ring (a restarted client) goes out first, as any packet.
    rte_mbuf* pkts[read_burst];
    uint64_t received = 0;
    bool server_gone = false;
    const uint64_t second = rte_get_tsc_hz();
    uint64_t next_check = rte_rdtsc() + second;
    unsigned loops = 0;
    while (!mp::QuitFlag::raised()) {
        const unsigned n = ring.dequeue_burst(pkts, read_burst);
        if (n != 0) {
            tx.forward(pkts, n);
            received += n;
        } else {
            tx.flush_all();
        }
        give_back();
        // Once a second (and only then), look whether the server still runs.
        if ((n == 0 || (++loops & (reads_per_clock_check - 1)) == 0) && rte_rdtsc() >= next_check) {
            next_check += second;
            if (rte_eal_primary_proc_alive(nullptr) == 0) {
                server_gone = true;
                break;
            }
        }
    }
    tx.flush_all();

    std::printf("Client %u - rx: %lu, tx: %lu, tx_drop: %lu\n", client,
                static_cast<unsigned long>(received), static_cast<unsigned long>(tx.sent()),
                static_cast<unsigned long>(tx.dropped()));
    if (server_gone)
        throw mp::StartupError("mp_server has exited: the client stops with it");
    return EXIT_SUCCESS;
}

} // namespace
} // namespace client_server_mp

int main(int argc, char** argv)
{
    return mp::run_app("mp_client", [&] { return client_server_mp::run(argc, argv); });
}
