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
using Refiller = MbufRefiller<rte_mbuf, mp::LcoreCache<rte_mbuf>>;

// The counters to show, on the screen and through telemetry.
struct StatsSource {
    const PortInfo* info = nullptr;
    const Config* config = nullptr;
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

int telemetry_reply(const StatsSource& source, rte_tel_data* data)
{
    const StatsSnapshot snap = source.snapshot();
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
                          source.config->clients[c].returned.get());
        mp::telemetry_add(data, (base + "tx").c_str(), snap.clients[c].tx);
        mp::telemetry_add(data, (base + "tx_drop").c_str(), snap.clients[c].tx_drop);
    }
    return 0;
}

// A second lcore, when given, shows the statistics so that the main lcore does
// nothing but forward.
struct StatsDisplay {
    const StatsSource* source = nullptr;
    std::atomic<bool> stop{false};
};

constexpr auto display_period = std::chrono::seconds(1);
constexpr auto display_poll = std::chrono::milliseconds(50); // how soon it sees `stop`

int display_lcore(void* arg)
{
    const StatsDisplay& display = *static_cast<const StatsDisplay*>(arg);
    std::printf("Core %u displaying statistics\n", rte_lcore_id());
    auto next = std::chrono::steady_clock::now() + display_period;
    while (!display.stop.load(std::memory_order_relaxed)) {
        std::this_thread::sleep_for(display_poll);
        if (std::chrono::steady_clock::now() >= next) {
            display.source->show(true);
            next += display_period;
        }
    }
    return 0;
}

// Reads the ports in turn until Ctrl-C, topping up its mbuf cache (`cache`,
// from which RX allocates) from the clients' return rings before each round.
// Given `stats` (no second lcore), shows them itself once a second (one TSC
// read per round of ports).
void forward(PortInfo& info, Distributor& distributor, Refiller& refill,
             const mp::LcoreCache<rte_mbuf>& cache, const StatsSource* stats)
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
        if (stats != nullptr && rte_rdtsc() >= next_display) {
            stats->show(true);
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

// What the server makes for its clients: freed at exit, unless clients still
// run (they would crash on freed memory).
struct SharedObjects {
    mp::Memzone<PortInfo>::Owner info;
    mp::Memzone<Config>::Owner config;
    mp::PktmbufPool::Owner pool;
    std::vector<mp::Ring<rte_mbuf>::Owner> rings;        // per client: its packets
    std::vector<mp::Ring<rte_mbuf>::Owner> return_rings; // and the mbufs it hands back

    static SharedObjects create(const std::vector<uint16_t>& ports, unsigned num_clients)
    {
        SharedObjects shared;
        shared.info = mp::Memzone<PortInfo>::reserve(port_info_name);
        shared.info->num_ports = static_cast<uint16_t>(ports.size());
        for (std::size_t j = 0; j < ports.size(); ++j)
            shared.info->id[j] = ports[j];
        shared.config = mp::Memzone<Config>::reserve(config_name);
        shared.config->num_clients = num_clients;
        shared.config->server_pid = getpid();
        shared.config->magic = config_magic;

        const unsigned mbufs = pool_size(shared.info->num_ports, num_clients);
        std::printf("Creating mbuf pool '%s' [%u mbufs, %s driver] ...\n", pktmbuf_pool_name,
                    mbufs, pool_driver);
        shared.pool =
            mp::PktmbufPool::create(pktmbuf_pool_name, mbufs, mbuf_cache_size, pool_driver);
        for (unsigned c = 0; c < num_clients; ++c) {
            shared.rings.push_back(mp::Ring<rte_mbuf>::create(
                client_ring_name(c), client_ring_size, RING_F_SP_ENQ | RING_F_SC_DEQ));
            shared.return_rings.push_back(mp::Ring<rte_mbuf>::create(
                return_ring_name(c), return_ring_slots, RING_F_SP_ENQ | RING_F_SC_DEQ));
        }
        return shared;
    }

    void keep_at_exit()
    {
        for (auto& ring : rings)
            (void)ring.release();
        for (auto& ring : return_rings)
            (void)ring.release();
        (void)pool.release();
        (void)config.release();
        (void)info.release();
    }

    // Every mbuf not in the pool (or a cache) must be in a ring once every
    // client has stopped (they flush theirs at Ctrl-C). What is not was lost by
    // a client that was killed (docs/client_server_mp.rst).
    void print_accounting() const
    {
        unsigned in_rings = 0;
        for (std::size_t c = 0; c < rings.size(); ++c)
            in_rings += rings[c].count() + return_rings[c].count();
        const unsigned in_use = pool.in_use();
        std::printf("Mbuf pool: %u mbufs, %u in use, %u of them in the rings, %d unaccounted "
                    "for\n",
                    pool.size(), in_use, in_rings,
                    static_cast<int>(in_use) - static_cast<int>(in_rings));
    }
};

void setup_ports(const std::vector<uint16_t>& ports, unsigned num_clients, rte_mempool* pool)
{
    mp::PortSetup setup;
    setup.rx_queues = 1;
    setup.tx_queues = static_cast<uint16_t>(num_clients); // client N sends on queue N
    setup.rx_descriptors = rx_descriptors;
    setup.tx_descriptors = tx_descriptors;
    for (uint16_t port : ports)
        mp::setup_port(port, pool, setup);
    mp::wait_for_links(ports);
}

void print_final_statistics(const StatsSource& stats, const SharedObjects& shared)
{
    std::printf("\nmp_server stopping (%s); final statistics:\n",
                strsignal(mp::QuitFlag::signal_number()));
    stats.show(false);
    for (std::size_t c = 0; c < shared.rings.size(); ++c)
        std::printf("Client %zu: %u packets left in its ring\n", c, shared.rings[c].count());
    for (std::size_t c = 0; c < shared.rings.size(); ++c)
        std::printf("Return ring of client %zu: %lu mbufs handed back\n", c,
                    static_cast<unsigned long>(shared.config->clients[c].returned.get()));
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

    SharedObjects shared = SharedObjects::create(ports, num_clients);
    // Our lcore ids are taken: a client on one of them would share our caches.
    const mp::ProcessClaims<rte_mbuf> claims(nullptr, shared.config->lcore_owner,
                                             mp::enabled_lcores(), shared.pool, "mbufs");
    RingSink sink;
    const mp::LcoreCache<rte_mbuf> cache(shared.pool, rte_lcore_id());
    Refiller refill(cache, shared.config->clients);
    for (unsigned c = 0; c < num_clients; ++c) {
        sink.rings[c] = mp::Ring<rte_mbuf>(shared.rings[c].native());
        refill.add_ring(mp::Ring<rte_mbuf>(shared.return_rings[c].native()));
    }
    setup_ports(ports, num_clients, shared.pool.native());

    // Read by the telemetry thread until exit.
    static StatsSource stats;
    stats = {shared.info.get(), shared.config.get(), {}};
    for (uint16_t port : ports)
        stats.macs.push_back(mac_text(port));
    mp::register_telemetry<&telemetry_reply>("/mp_server/stats", stats,
                                             "mp_server port and client counters. Takes no "
                                             "parameters");
    Distributor distributor(sink, num_clients, shared.config->clients);
    eal.mark_ready();

    const std::vector<unsigned> workers = mp::worker_lcores();
    StatsDisplay display{&stats};
    if (!workers.empty())
        mp::check(rte_eal_remote_launch(display_lcore, &display, workers.front()),
                  "cannot start the statistics lcore");
    forward(*shared.info, distributor, refill, cache, workers.empty() ? &stats : nullptr);
    exit_watchdog.emplace("mp_server", "exit", mp::default_exit_limit, mp::held_lock_exit_hint);
    // From here no client starts (so none is missed by the count below), and
    // what one killed in its start-up left held is released before the frees.
    eal.hold_back_startups(mp::default_exit_limit);
    if (!workers.empty()) {
        display.stop.store(true);
        rte_eal_wait_lcore(workers.front());
    }
    print_final_statistics(stats, shared);

    if (const unsigned live = live_clients(*shared.config); live != 0) {
        std::printf("%u client%s still running: leaving the ports and shared objects in place\n",
                    live, live == 1 ? "" : "s");
        eal.keep_shared_state_at_exit();
        shared.keep_at_exit();
    } else {
        shared.print_accounting();
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
