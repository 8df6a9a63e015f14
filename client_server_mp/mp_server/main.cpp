/* SPDX-License-Identifier: BSD-3-Clause */
// mp_server: the primary process of the client-server example. It reads every
// port in turn and hands the packets to the client processes round-robin,
// through one ring per client; the clients send them out themselves.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <optional>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_mbuf.h>

#include <mp/all.hpp>
#include <mp/usage.hpp>

#include "../shared/config.hpp"
#include "../shared/port_info.hpp"
#include "../shared/return_rings.hpp"
#include "distributor.hpp"
#include "options.hpp"
#include "stats.hpp"

namespace client_server_mp {
namespace {

// Sizes as upstream's server, so that the pool holds what every queue, ring and
// cache can keep at once.
constexpr unsigned rx_descriptors = 1024;
constexpr unsigned tx_descriptors = 1024;
constexpr unsigned client_ring_size = 128;
constexpr unsigned mbuf_cache_size = 512;
constexpr uint16_t read_burst = 32;

// The lock-free stack driver: a client killed in the middle of a put or a get
// cannot leave the pool locked for everybody else, as the default ring driver
// can (its producer and consumer heads stay ahead of the tails for good).
constexpr const char* pool_driver = "lf_stack";

unsigned pool_size(unsigned ports, unsigned clients)
{
    return rx_descriptors * ports +
           clients * (client_ring_size + tx_descriptors * ports + return_ring_slots) +
           (clients + 1) * mbuf_cache_size;
}

// The distributor's way out: the clients' rings, and freeing what they refuse.
struct RingSink {
    std::array<rte_ring*, max_clients> rings{};

    unsigned enqueue_bulk(unsigned client, rte_mbuf* const* pkts, unsigned n) noexcept
    {
        return rte_ring_sp_enqueue_bulk(rings[client], reinterpret_cast<void* const*>(pkts), n,
                                        nullptr);
    }
    void drop(rte_mbuf* const* pkts, unsigned n) noexcept
    {
        rte_pktmbuf_free_bulk(const_cast<rte_mbuf**>(pkts), n);
    }
};

using Distributor = RoundRobinDistributor<rte_mbuf, RingSink, read_burst>;
using Refiller = MbufRefiller<rte_mbuf, mp::LcoreCache<rte_mbuf>>;

// The counters to show; reachable from the telemetry callback, which has no
// user pointer in 22.11.
struct StatsSource {
    const PortInfo* info = nullptr;
    Config* config = nullptr;
    std::vector<std::string> macs;

    StatsSnapshot snapshot() const
    {
        return take_snapshot(*info, config->clients, config->num_clients);
    }
    void show(bool clear) const
    {
        const std::string text = format_stats(snapshot(), macs);
        std::printf("%s%s", clear ? clear_screen : "", text.c_str());
        std::fflush(stdout);
    }
};
StatsSource stats_source;

int telemetry_stats(const char*, const char*, rte_tel_data* data)
{
    const StatsSnapshot snap = stats_source.snapshot();
    rte_tel_data_start_dict(data);
    for (const PortRow& port : snap.ports) {
        const std::string base = "port_" + std::to_string(port.id) + "_";
        mp::telemetry_add(data, (base + "rx").c_str(), port.rx);
        mp::telemetry_add(data, (base + "tx").c_str(), port.tx);
        mp::telemetry_add(data, (base + "tx_drop").c_str(), port.tx_drop);
    }
    for (std::size_t c = 0; c < snap.clients.size(); ++c) {
        const std::string base = "client_" + std::to_string(c) + "_";
        mp::telemetry_add(data, (base + "rx").c_str(), snap.clients[c].rx);
        mp::telemetry_add(data, (base + "rx_drop").c_str(), snap.clients[c].rx_drop);
        mp::telemetry_add(data, (base + "returned").c_str(),
                                  stats_source.config->clients[c].returned.get());
        mp::telemetry_add(data, (base + "tx").c_str(), snap.clients[c].tx);
        mp::telemetry_add(data, (base + "tx_drop").c_str(), snap.clients[c].tx_drop);
    }
    return 0;
}

// A second lcore, when given, shows the statistics so that the main lcore does
// nothing but forward.
std::atomic<bool> stop_display{false};

int display_lcore(void*)
{
    std::printf("Core %u displaying statistics\n", rte_lcore_id());
    auto next = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (!stop_display.load(std::memory_order_relaxed)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        if (std::chrono::steady_clock::now() >= next) {
            stats_source.show(true);
            next += std::chrono::seconds(1);
        }
    }
    return 0;
}

// Reads the ports in turn until Ctrl-C, topping up its mbuf cache (`cache`,
// from which RX allocates) from the clients' return rings before each round. With no second lcore, shows the
// statistics itself once a second (one TSC read per round of ports).
void forward(PortInfo& info, Distributor& distributor, Refiller& refill,
             const mp::LcoreCache<rte_mbuf>& cache, bool show_stats)
{
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
        if (show_stats && rte_rdtsc() >= next_display) {
            stats_source.show(true);
            next_display += second;
        }
    }
    distributor.flush_all();
}

std::string mac_text(uint16_t port)
{
    rte_ether_addr mac{};
    char text[RTE_ETHER_ADDR_FMT_SIZE];
    rte_eth_macaddr_get(port, &mac);
    rte_ether_format_addr(text, sizeof(text), &mac);
    return text;
}

unsigned live_clients(const Config& config)
{
    unsigned live = 0;
    for (unsigned c = 0; c < config.num_clients; ++c)
        if (config.client_owner[c].live_holder() != 0)
            ++live;
    return live;
}

int run(int argc, char** argv)
{
    // Freeing the shared objects at exit may wait for a DPDK lock that a killed
    // secondary left held: the exit is bounded. First here, so that it
    // outlives every object below.
    std::optional<mp::Watchdog> exit_watchdog;
    const ServerOptions options =
        mp::parse_app_args({"mp_server", server_usage}, argc, argv, parse_server_options);
    mp::Eal eal(argc, argv);
    if (!eal.primary())
        throw mp::StartupError("mp_server creates the shared objects and must be the primary "
                               "process: do not pass --proc-type=secondary");
    const mp::PacketCapture capture(eal);
    const std::vector<uint16_t> ports = mp::ports_from_mask(options.portmask);
    const unsigned num_clients = options.num_clients;

    auto info = mp::Memzone<PortInfo>::reserve(port_info_name);
    info->num_ports = static_cast<uint16_t>(ports.size());
    for (std::size_t j = 0; j < ports.size(); ++j)
        info->id[j] = ports[j];

    auto config = mp::Memzone<Config>::reserve(config_name);
    config->num_clients = num_clients;
    config->server_pid = getpid();
    config->magic = config_magic;

    const unsigned mbufs = pool_size(info->num_ports, num_clients);
    std::printf("Creating mbuf pool '%s' [%u mbufs, %s driver] ...\n", pktmbuf_pool_name, mbufs,
                pool_driver);
    auto pool = mp::PktmbufPool::create(pktmbuf_pool_name, mbufs, mbuf_cache_size, pool_driver);
    // Our lcore ids are taken: a client on one of them would share our caches.
    const mp::ProcessClaims<rte_mbuf> claims(nullptr, config->lcore_owner, mp::enabled_lcores(),
                                             pool, "mbufs");

    // Per client: its RX ring, and the ring it hands freed mbufs back through.
    std::vector<mp::Ring<rte_mbuf>::Owner> rings, return_rings;
    RingSink sink;
    const mp::LcoreCache<rte_mbuf> cache(pool, rte_lcore_id());
    Refiller refill(cache, config->clients);
    for (unsigned c = 0; c < num_clients; ++c) {
        rings.push_back(mp::Ring<rte_mbuf>::create(client_ring_name(c), client_ring_size,
                                                   RING_F_SP_ENQ | RING_F_SC_DEQ));
        sink.rings[c] = rings.back().native();
        return_rings.push_back(mp::Ring<rte_mbuf>::create(
            return_ring_name(c), return_ring_slots, RING_F_SP_ENQ | RING_F_SC_DEQ));
        refill.add_ring(mp::Ring<rte_mbuf>(return_rings.back().native()));
    }

    mp::PortSetup setup;
    setup.rx_queues = 1;
    setup.tx_queues = static_cast<uint16_t>(num_clients); // client N sends on queue N
    setup.rx_descriptors = rx_descriptors;
    setup.tx_descriptors = tx_descriptors;
    for (uint16_t port : ports)
        mp::setup_port(port, pool.native(), setup);
    mp::wait_for_links(ports);

    stats_source.info = info.get();
    stats_source.config = config.get();
    for (uint16_t port : ports)
        stats_source.macs.push_back(mac_text(port));
    mp::register_telemetry("/mp_server/stats", telemetry_stats,
                           "mp_server port and client counters. Takes no parameters");

    Distributor distributor(sink, num_clients, config->clients);
    eal.mark_ready();

    const std::vector<unsigned> workers = mp::worker_lcores();
    const bool display_on_worker = !workers.empty();
    if (display_on_worker)
        mp::check(rte_eal_remote_launch(display_lcore, nullptr, workers.front()),
                  "cannot start the statistics lcore");

    forward(*info, distributor, refill, cache, !display_on_worker);
    exit_watchdog.emplace("mp_server", "exit", mp::default_exit_limit, mp::held_lock_exit_hint);

    if (display_on_worker) {
        stop_display.store(true);
        rte_eal_wait_lcore(workers.front());
    }
    std::printf("\nmp_server stopping (%s); final statistics:\n",
                strsignal(mp::QuitFlag::signal_number()));
    stats_source.show(false);
    for (unsigned c = 0; c < num_clients; ++c)
        std::printf("Client %u: %u packets left in its ring\n", c, rings[c].count());
    for (unsigned c = 0; c < num_clients; ++c)
        std::printf("Return ring of client %u: %lu mbufs handed back\n", c,
                    static_cast<unsigned long>(config->clients[c].returned.get()));

    if (const unsigned live = live_clients(*config); live != 0) {
        // Freeing the pool and rings, or closing the ports, under running
        // clients would crash them: leave everything to the clients' exit.
        std::printf("%u client%s still running: leaving the ports and shared objects in place\n",
                    live, live == 1 ? "" : "s");
        eal.keep_shared_state_at_exit();
        for (auto& ring : rings)
            (void)ring.release();
        for (auto& ring : return_rings)
            (void)ring.release();
        (void)pool.release();
        (void)config.release();
        (void)info.release();
    } else {
        // Every mbuf not in the pool (or a cache) must be in a ring now: the
        // clients flushed theirs at Ctrl-C. What is not was lost by a client
        // that was killed (at most a few hundred per kill, docs/client_server_mp.rst).
        unsigned in_rings = 0;
        for (unsigned c = 0; c < num_clients; ++c)
            in_rings += rings[c].count() + return_rings[c].count();
        const unsigned in_use = pool.in_use();
        std::printf("Mbuf pool: %u mbufs, %u in use, %u of them in the rings, %d unaccounted "
                    "for\n",
                    pool.size(), in_use, in_rings,
                    static_cast<int>(in_use) - static_cast<int>(in_rings));
        mp::PortsGuard close_ports(ports);
    }
    return EXIT_SUCCESS;
}

} // namespace
} // namespace client_server_mp

int main(int argc, char** argv)
{
    return mp::run_app("mp_server", [&] { return client_server_mp::run(argc, argv); });
}
