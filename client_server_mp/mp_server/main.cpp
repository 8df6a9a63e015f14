/* SPDX-License-Identifier: BSD-3-Clause */
// mp_server: the primary process of the client-server example. It makes the
// ports and the objects its clients share (shared_objects.hpp), reads every
// port in turn and hands the packets to the clients round-robin, one ring per
// client (forwarding.hpp, distributor.hpp), and shows the statistics
// (stats_display.hpp); the clients send the packets out themselves.
#include <cstdlib>
#include <optional>
#include <vector>

#include <rte_mbuf.h>

#include <mp/all.hpp>

#include "forwarding.hpp"
#include "options.hpp"
#include "shared_objects.hpp"
#include "stats_display.hpp"

namespace client_server_mp {
namespace {

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
    ForwardingPath path(shared, num_clients);
    setup_ports(ports, num_clients, shared.pool.native());
    const StatsSource& stats = publish_stats(shared, ports);
    eal.mark_ready();

    StatsDisplay display(stats);
    forward(*shared.info, path, display.on_worker() ? nullptr : &stats);
    exit_watchdog.emplace("mp_server", "exit", mp::default_exit_limit, mp::held_lock_exit_hint);
    // From here no client starts (so none is missed by the count below), and
    // what one killed in its start-up left held is released before the frees.
    eal.hold_back_startups(mp::default_exit_limit);
    display.stop();
    print_final_statistics(stats, shared);
    keep_or_close(eal, shared, ports);
    return EXIT_SUCCESS;
}

} // namespace
} // namespace client_server_mp

int main(int argc, char** argv)
{
    return mp::run_app("mp_server", [&] { return client_server_mp::run(argc, argv); });
}
