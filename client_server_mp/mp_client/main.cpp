/* SPDX-License-Identifier: BSD-3-Clause */
// mp_client: a secondary process of the client-server example. It attaches to
// mp_server's objects (attach.hpp), takes its claims and repairs what a killed
// client left (claims.hpp), and forwards the packets of its ring
// (forwarding.hpp).
#include <cstdio>
#include <cstdlib>
#include <span>

#include <mp/all.hpp>

#include "attach.hpp"
#include "claims.hpp"
#include "forwarding.hpp"
#include "options.hpp"

namespace client_server_mp {
namespace {

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

    const ServerObjects server = attach_server();
    const unsigned lcore = rte_lcore_id();
    // Held until we exit, when our cache goes back to the pool.
    const Claims claims = claim_client(client, lcore, server.pool);
    check_ports(*server.info, client);
    const ClientRings rings = attach_rings(client, claims);

    // We send on every port and poll none: see map_memif_ports_here().
    mp::map_memif_ports_here(std::span<const uint16_t>(server.info->id, server.info->num_ports));
    Returner give_back(mp::LcoreCache<rte_mbuf>(server.pool, lcore), rings.returns);
    mp::LcoreCacheMark cache_mark(claims.put_mark(lcore), server.pool.native(), lcore);
    TxBuffers tx = make_tx_buffers(*server.info, client, cache_mark);

    eal.mark_ready();
    watchdog.done();
    std::printf("\nClient process %u handling packets\n[Press Ctrl-C to quit ...]\n", client);
    const ForwardingEnd end = forward_until_quit(rings.packets, tx, give_back);

    std::printf("Client %u - rx: %lu, tx: %lu, tx_drop: %lu\n", client,
                static_cast<unsigned long>(end.received), static_cast<unsigned long>(tx.sent()),
                static_cast<unsigned long>(tx.dropped()));
    if (end.server_gone)
        throw mp::StartupError("mp_server has exited: the client stops with it");
    return EXIT_SUCCESS;
}

} // namespace
} // namespace client_server_mp

int main(int argc, char** argv)
{
    return mp::run_app("mp_client", [&] { return client_server_mp::run(argc, argv); });
}
