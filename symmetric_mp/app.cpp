/* SPDX-License-Identifier: BSD-3-Clause */
// symmetric_mp: N copies of one program forward between pairs of ports, each on
// its own RX/TX queue of every port (the first process configures the ports with
// N queues and RSS spreads the traffic over them).

#include "app.hpp"

#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_memzone.h>

#include <mp/all.hpp>
#include <mp/watchdog.hpp>

#include "claims.hpp"
#include "forward.hpp"
#include "options.hpp"
#include "shared_config.hpp"

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

// What the telemetry callback reports (callbacks take no user pointer in 22.11).
struct TelemetrySource {
    const SharedConfig* config = nullptr;
    rte_mempool* pool = nullptr;
    std::vector<uint16_t> ports;
};
TelemetrySource g_telemetry;

int telemetry_stats(const char*, const char*, rte_tel_data* data)
{
    const SharedConfig& config = *g_telemetry.config;
    mp::telemetry_dict(data, {{"num_procs", config.num_procs},
                              {"portmask", config.portmask},
                              {"mbufs_available", rte_mempool_avail_count(g_telemetry.pool)},
                              {"mbufs_in_use", rte_mempool_in_use_count(g_telemetry.pool)}});
    // Arrays indexed by proc-id: "pid" (0 = not running) and, per port,
    // "portN_rx", "portN_tx", "portN_drop".
    const auto add_array = [&](const char* name, auto value_of) {
        rte_tel_data* array = rte_tel_data_alloc();
        if (array == nullptr)
            return;
        rte_tel_data_start_array(array, RTE_TEL_U64_VAL);
        for (unsigned proc = 0; proc < config.num_procs; ++proc)
            mp::telemetry_add(array, value_of(proc));
        rte_tel_data_add_dict_container(data, name, array, 0);
    };
    add_array("pid", [&](unsigned proc) {
        return static_cast<uint64_t>(mp::pid_of(config.procs.procs[proc].live_holder()));
    });
    for (const uint16_t port : g_telemetry.ports) {
        const auto counter = [&](const char* what, auto member) {
            const std::string name = mp::strprintf("port%u_%s", port, what);
            add_array(name.c_str(), [&](unsigned proc) {
                return (config.counters[proc].port[port].*member).get();
            });
        };
        counter("rx", &PortCounters::rx);
        counter("tx", &PortCounters::tx);
        counter("drop", &PortCounters::drop);
    }
    return 0;
}

std::vector<unsigned> enabled_lcores()
{
    std::vector<unsigned> lcores;
    unsigned lcore = 0;
    RTE_LCORE_FOREACH(lcore)
    {
        lcores.push_back(lcore);
    }
    return lcores;
}

// Frees our proc-id and lcore claims when the process leaves normally (a
// killed process leaves them to be taken over).
class ProcClaim {
public:
    ProcClaim() = default;
    ProcClaim(ProcTable* table, unsigned proc_id) : table_(table), proc_id_(proc_id) {}
    ProcClaim(const ProcClaim&) = delete;
    ProcClaim& operator=(const ProcClaim&) = delete;
    ~ProcClaim()
    {
        if (table_ != nullptr)
            table_->release(proc_id_, mp::self_key());
    }

private:
    ProcTable* table_ = nullptr;
    unsigned proc_id_ = 0;
};

// Takes `proc_id` in the shared table for this process, and its lcore ids:
// refuses to share an lcore id with a live process (they would share a mempool
// cache). Returns the lcore ids taken over from dead processes.
std::vector<unsigned> claim_proc_id(SharedConfig& config, unsigned proc_id,
                                    std::span<const unsigned> lcores)
{
    const mp::OwnerKey me = mp::self_key();
    const mp::Claim claim = config.procs.procs[proc_id].claim(me);
    const int previous = static_cast<int>(mp::pid_of(claim.previous));
    if (claim.result == mp::ClaimResult::held)
        throw mp::StartupError(mp::strprintf("--proc-id %u is already served by process %d, which "
                                             "is still running: give each process its own "
                                             "--proc-id",
                                             proc_id, previous));
    if (claim.result == mp::ClaimResult::taken_over)
        mp::log(RTE_LOG_INFO, "proc-id %u was served by process %d, which has exited: resuming "
                              "its queues",
                proc_id, previous);
    LcoreClaims taken = config.procs.claim_lcores(lcores, me);
    if (const auto& conflict = taken.conflict) {
        config.procs.procs[proc_id].release(me);
        const int pid = static_cast<int>(mp::pid_of(conflict->owner));
        // The holder's proc-id is unknown only if it released it a moment ago.
        const std::string who =
            conflict->proc_id ? mp::strprintf("proc-id %u (process %d)", *conflict->proc_id, pid)
                              : mp::strprintf("process %d", pid);
        throw mp::StartupError(mp::strprintf(
            "lcore %u is already used by %s: give each process its own lcore ids "
            "(-l/--lcores), they index the mbuf pool's per-lcore caches",
            conflict->lcore, who.c_str()));
    }
    for (PortCounters& counters : config.counters[proc_id].port)
        counters.reset();
    return std::move(taken.taken_over);
}

// The per-lcore caches a dead process left on the lcore ids we took over from
// it: returned to the pool when it died outside a put, dropped when inside.
void recover_caches(SharedConfig& config, mp::PktmbufPool pool,
                    std::span<const unsigned> taken_over)
{
    for (const unsigned lcore : taken_over) {
        const mp::CacheRecovery got =
            mp::recover_lcore_cache(config.procs.lcores[lcore], pool, lcore);
        if (got.returned + got.discarded != 0)
            mp::log(RTE_LOG_INFO, "lcore %u: a process that died there left %u mbufs in its "
                                  "mempool cache: returned %u to the pool, dropped %u (what "
                                  "its last burst may have touched)",
                    lcore, got.returned + got.discarded, got.returned, got.discarded);
    }
}

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
    std::vector<PortCacheUse> cache_uses; // by position in `ports`
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

} // namespace

int run(int argc, char** argv)
{
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
    const Options options = [&] {
        try {
            return parse_options(eal.app_args());
        } catch (const mp::UsageError&) {
            std::fputs(usage_text, stderr);
            throw;
        }
    }();
    const std::vector<uint16_t> ports = mp::ports_from_mask(options.portmask);
    const std::vector<unsigned> lcores = enabled_lcores();

    mp::PktmbufPool pool;
    SharedConfig* config = nullptr;
    if (eal.primary()) {
        // Everything made here outlives this process: the others keep using it,
        // and a restarted process attaches to it.
        pool = mp::PktmbufPool::create(mbuf_pool_name, mbuf_count, mbuf_cache, mbuf_pool_driver)
                   .release();
        config = mp::Memzone<SharedConfig>::reserve(config_memzone).release().get();
        config->num_procs = options.num_procs;
        config->portmask = options.portmask;
        (void)claim_proc_id(*config, options.proc_id, lcores); // a new pool: nothing to recover
        mp::PortSetup setup;
        setup.rx_queues = setup.tx_queues = static_cast<uint16_t>(options.num_procs);
        setup.rss = true;
        setup.rx_checksum = true;
        setup.drop_when_full = true;
        for (const uint16_t port : ports)
            mp::setup_port(port, pool.native(), setup);
        mp::wait_for_links(ports);
    } else {
        pool = mp::PktmbufPool::lookup(mbuf_pool_name);
        if (rte_memzone_lookup(config_memzone) != nullptr) {
            config = mp::Memzone<SharedConfig>::lookup(config_memzone).get();
            check_matches(*config, options);
        } else {
            mp::log(RTE_LOG_WARNING, "no %s memzone: the primary is not this program (the upstream "
                                     "example?), so --num-procs, -p and the proc-id cannot be "
                                     "checked against the other processes",
                    config_memzone);
        }
        check_queues(ports, options.proc_id);
        // Last check: nothing may fail between taking the slot and ProcClaim below.
        if (config != nullptr)
            recover_caches(*config, pool, claim_proc_id(*config, options.proc_id, lcores));
        else
            // Without the claim table nobody knows whether a process that ran on our
            // lcore ids died inside a put: forget what their caches hold (at most a
            // cache's worth of mbufs each) rather than use possibly stale pointers.
            for (const unsigned lcore : lcores)
                pool.discard_cache(lcore);
    }
    const ProcClaim claim(config != nullptr ? &config->procs : nullptr, options.proc_id);

    // This process's counters: in shared memory for telemetry, or our own when
    // the primary published no table.
    static ProcCounters own_counters;
    PortCounters* const counters =
        config != nullptr ? config->counters[options.proc_id].port : own_counters.port;
    if (config != nullptr) {
        g_telemetry = {config, pool.native(), ports};
        mp::register_telemetry("/symmetric_mp/stats", telemetry_stats,
                               "Live counters of every symmetric_mp process: arrays indexed by "
                               "proc-id (pid, portN_rx, portN_tx, portN_drop)");
    }

    // Each lcore's put mark: in its lcore claim, or our own without a table.
    static std::atomic<uint32_t> own_marks[RTE_MAX_LCORE];
    const auto put_mark = [&](unsigned lcore) {
        return config != nullptr ? &config->procs.lcores[lcore].in_mempool_put : &own_marks[lcore];
    };
    static LcoreWork work[RTE_MAX_LCORE];
    const std::vector<PortSlice> slices = assign_port_pairs(ports.size(), lcores.size());
    for (std::size_t i = 0; i < lcores.size(); ++i) {
        const auto mine = std::span(ports).subspan(slices[i].start, slices[i].count);
        work[lcores[i]] = {mine, port_cache_uses(mine), static_cast<uint16_t>(options.proc_id),
                           counters, pool.native(), put_mark(lcores[i])};
    }

    if (eal.primary())
        eal.keep_shared_state_at_exit(); // the others go on without us; ports stay up
    eal.mark_ready();
    watchdog.done();

    rte_eal_mp_remote_launch(lcore_main, work, CALL_MAIN);
    rte_eal_mp_wait_lcore();
    // Our caches go back to the pool, so that the next process on these lcore
    // ids starts clean and the pool's counts stay exact.
    for (const unsigned lcore : lcores) {
        const mp::MempoolPutMark mark(*put_mark(lcore));
        pool.flush_cache(lcore);
    }

    std::printf("\nExiting on signal %d\n\n", mp::QuitFlag::signal_number());
    for (const uint16_t port : ports)
        std::printf("Port %u: RX - %" PRIu64 ", TX - %" PRIu64 ", Drop - %" PRIu64 "\n", port,
                    counters[port].rx.get(), counters[port].tx.get(), counters[port].drop.get());
    return 0;
}

} // namespace symmetric_mp
