/* SPDX-License-Identifier: BSD-3-Clause */
// symmetric_mp: N copies of one program forward between pairs of ports, each on
// its own RX/TX queue of every port (the first process configures the ports with
// N queues and RSS spreads the traffic over them). This file is the start-up
// and the run; the claims are in claims.hpp, the telemetry in telemetry.hpp.

#include "app.hpp"

#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include <mp/all.hpp>

#include "claims.hpp"
#include "forward.hpp"
#include "options.hpp"
#include "shared_config.hpp"
#include "telemetry.hpp"

namespace symmetric_mp {
namespace {

// Upstream's pool name and size, so that the C program and this one can share a run.
constexpr const char* mbuf_pool_name = "SMP_MBUF_POOL";
constexpr unsigned mbuf_count = 64 * 1024;
constexpr unsigned mbuf_cache = 256;
// Lock-free pool driver: a process killed inside a get or put can lose a few
// mbufs, but cannot leave the pool blocked for everyone else, as the default
// ring driver can (a producer killed between its head and tail update).
constexpr const char* mbuf_pool_driver = "lf_stack";

// A queue this process will use must exist: a primary started with a smaller
// --num-procs (the upstream one does not publish its value) configured fewer.
void check_queues(const std::vector<uint16_t>& ports, unsigned proc_id)
{
    for (const uint16_t port : ports) {
        rte_eth_dev_info info{};
        mp::check(rte_eth_dev_info_get(port, &info),
                  mp::strprintf("port %u: cannot get device info", port));
        if (proc_id >= info.nb_rx_queues || proc_id >= info.nb_tx_queues)
            throw mp::StartupError(mp::strprintf(
                "port %u has %u RX and %u TX queues, so there is no queue for --proc-id %u: "
                "was the primary started with a smaller --num-procs?",
                port, info.nb_rx_queues, info.nb_tx_queues, proc_id));
    }
}

struct LcoreWork {
    std::span<const uint16_t> ports;
    std::vector<mp::internals::CacheUse> cache_uses; // by position in `ports`
    uint16_t queue = 0;
    PortCounters* counters = nullptr;
    rte_mempool* pool = nullptr;
    std::atomic<uint32_t>* in_put = nullptr; // the lcore's mempool cache mark
};

int lcore_main(void* arg)
{
    const LcoreWork& work = static_cast<const LcoreWork*>(arg)[rte_lcore_id()];
    if (work.ports.empty()) {
        std::printf("Lcore %u has nothing to do\n", rte_lcore_id());
        return 0;
    }
    std::string line = mp::strprintf("Lcore %u using ports ", rte_lcore_id());
    for (const uint16_t port : work.ports)
        line += mp::strprintf("%u ", port);
    std::printf("%s\nlcore %u using queue %u of each port\n", line.c_str(), rte_lcore_id(),
                work.queue);
    mp::LcoreCacheMark cache(*work.in_put, work.pool, rte_lcore_id());
    while (!mp::QuitFlag::raised())
        forward_once(work.ports, work.cache_uses, work.queue, work.counters, cache);
    return 0;
}

// What every process of the run shares: the pool and, when the primary is
// ours, the SMP_CONFIG table (nullptr under the upstream primary).
struct Shared {
    mp::PktmbufPool pool;
    SharedConfig* config = nullptr;
};

// Primary: everything made here outlives this process (the others keep using
// it, and a restarted process attaches to it), and the ports get one RX and
// one TX queue per process.
Shared create_shared(const Options& options, const std::vector<uint16_t>& ports)
{
    Shared shared;
    shared.pool =
        mp::PktmbufPool::create(mbuf_pool_name, mbuf_count, mbuf_cache, mbuf_pool_driver).release();
    shared.config = mp::Memzone<SharedConfig>::reserve(config_memzone).release().get();
    shared.config->num_procs = options.num_procs;
    shared.config->portmask = options.portmask;
    mp::PortSetup setup;
    setup.rx_queues = setup.tx_queues = static_cast<uint16_t>(options.num_procs);
    setup.rss = true;
    setup.rx_checksum = true;
    setup.drop_when_full = true;
    for (const uint16_t port : ports)
        mp::setup_port(port, shared.pool.native(), setup);
    mp::wait_for_links(ports);
    return shared;
}

// Secondary: finds the primary's objects and checks our options against them.
Shared attach_shared(const Options& options, const std::vector<uint16_t>& ports)
{
    Shared shared;
    shared.pool = mp::PktmbufPool::lookup(mbuf_pool_name);
    if (const auto found = mp::Memzone<SharedConfig>::find(config_memzone)) {
        shared.config = found.get();
        check_matches(*shared.config, options);
    } else {
        mp::log(RTE_LOG_WARNING, "no %s memzone: the primary is not this program (the upstream "
                                 "example?), so --num-procs, -p and the proc-id cannot be "
                                 "checked against the other processes",
                config_memzone);
    }
    check_queues(ports, options.proc_id);
    return shared;
}

// Each of our lcores gets its share of the port pairs, on queue `proc_id`.
void plan_lcores(std::span<LcoreWork, RTE_MAX_LCORE> work, std::span<const unsigned> lcores,
                 std::span<const uint16_t> ports, uint16_t queue, PortCounters* counters,
                 rte_mempool* pool, const Claims& claims)
{
    const std::vector<PortSlice> slices = assign_port_pairs(ports.size(), lcores.size());
    for (std::size_t i = 0; i < lcores.size(); ++i) {
        const auto mine = ports.subspan(slices[i].start, slices[i].count);
        work[lcores[i]] = {mine,     port_cache_uses(mine), queue,
                           counters, pool,                  &claims.put_mark(lcores[i])};
    }
}

void print_totals(std::span<const uint16_t> ports, const PortCounters* counters)
{
    std::printf("\nExiting on signal %d\n\n", mp::QuitFlag::signal_number());
    for (const uint16_t port : ports)
        std::printf("Port %u: RX - %" PRIu64 ", TX - %" PRIu64 ", Drop - %" PRIu64 "\n", port,
                    counters[port].rx.get(), counters[port].tx.get(), counters[port].drop.get());
}

} // namespace

int run(int argc, char** argv)
{
    const Options options =
        mp::parse_app_args({"symmetric_mp", usage_text}, argc, argv, parse_options);
    // A process killed inside DPDK's start-up or a lookup can leave a shared
    // control-plane lock held; the next process to need it would wait forever.
    mp::Watchdog watchdog("symmetric_mp", "start-up", mp::default_startup_limit,
                          mp::held_lock_hint);
    // A restarted process attaches on purpose to the memory a dead primary left.
    mp::Eal eal(argc, argv, {.require_live_primary = false});
    const mp::PacketCapture capture(eal);
    if (rte_eth_dev_count_avail() == 0)
        throw mp::StartupError("no Ethernet ports: bind NIC ports to a DPDK driver or give "
                               "virtual devices (--vdev=net_null0 --vdev=net_null1)");
    const std::vector<uint16_t> ports = mp::ports_from_mask(options.portmask);
    const std::vector<unsigned> lcores = mp::enabled_lcores();

    const Shared shared = eal.primary() ? create_shared(options, ports)
                                        : attach_shared(options, ports);
    // Held until we exit, when our caches go back to the pool; our lcores must
    // have stopped by then.
    const Claims claims = claim_proc_id(shared.config != nullptr ? &shared.config->procs : nullptr,
                                        options.proc_id, shared.pool, lcores);

    // This process's counters: in shared memory for telemetry, or our own when
    // the primary published no table. Static, as the lcores' work: they are
    // used until the very end of the process.
    static ProcCounters own_counters;
    PortCounters* const counters = shared.config != nullptr
                                       ? shared.config->counters[options.proc_id].port
                                       : own_counters.port;
    if (shared.config != nullptr) {
        // Every process that serves this proc-id counts from zero.
        for (PortCounters& port_counters : shared.config->counters[options.proc_id].port)
            port_counters.reset();
        register_stats_command(*shared.config, shared.pool.native(), ports);
    }
    static LcoreWork work[RTE_MAX_LCORE];
    plan_lcores(work, lcores, ports, static_cast<uint16_t>(options.proc_id), counters,
                shared.pool.native(), claims);

    if (eal.primary())
        eal.keep_shared_state_at_exit(); // the others go on without us; ports stay up
    eal.mark_ready();
    watchdog.done();

    rte_eal_mp_remote_launch(lcore_main, work, CALL_MAIN);
    rte_eal_mp_wait_lcore();
    print_totals(ports, counters);
    return 0;
}

} // namespace symmetric_mp
