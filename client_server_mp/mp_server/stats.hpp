/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// The server's statistics: a snapshot of the shared counters, and the upstream
// screen layout for it (PORTS, then CLIENTS), shown every second and at exit.

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <mp/error.hpp>

#include "../shared/config.hpp"
#include "../shared/port_info.hpp"

namespace client_server_mp {

struct PortRow {
    uint16_t id = 0;
    uint64_t rx = 0;      // read by the server
    uint64_t tx = 0;      // sent by all clients
    uint64_t tx_drop = 0; // refused by the port's TX queues
};

struct ClientRow {
    uint64_t rx = 0;      // enqueued to the client's ring
    uint64_t rx_drop = 0; // freed because the ring was full
    uint64_t tx = 0;      // sent by the client, all ports
    uint64_t tx_drop = 0;
};

struct StatsSnapshot {
    std::vector<PortRow> ports;
    std::vector<ClientRow> clients;
};

inline StatsSnapshot take_snapshot(const PortInfo& info, const ClientCounters* counters,
                                   unsigned num_clients)
{
    StatsSnapshot snap;
    snap.ports.resize(info.num_ports);
    snap.clients.resize(num_clients);
    for (unsigned j = 0; j < info.num_ports; ++j) {
        snap.ports[j].id = info.id[j];
        snap.ports[j].rx = info.rx_stats.rx[j];
    }
    for (unsigned c = 0; c < num_clients; ++c) {
        const volatile TxStats& tx = info.tx_stats[c];
        for (unsigned j = 0; j < info.num_ports; ++j) {
            // Read each shared word once.
            const uint64_t sent = tx.tx[info.id[j]];
            const uint64_t dropped = tx.tx_drop[info.id[j]];
            snap.ports[j].tx += sent;
            snap.ports[j].tx_drop += dropped;
            snap.clients[c].tx += sent;
            snap.clients[c].tx_drop += dropped;
        }
        if (counters != nullptr) {
            snap.clients[c].rx = counters[c].rx.get();
            snap.clients[c].rx_drop = counters[c].rx_drop.get();
        }
    }
    return snap;
}

// The statistics in upstream's layout; `macs[j]` is port j's address as text.
inline std::string format_stats(const StatsSnapshot& snap, const std::vector<std::string>& macs)
{
    std::string out = "PORTS\n-----\n";
    for (std::size_t j = 0; j < snap.ports.size(); ++j)
        out += mp::strprintf("Port %u: '%s'\t", snap.ports[j].id,
                             j < macs.size() ? macs[j].c_str() : "");
    out += "\n\n";
    for (const PortRow& port : snap.ports)
        out += mp::strprintf("Port %u - rx: %9" PRIu64 "\ttx: %9" PRIu64 "\n", port.id, port.rx,
                             port.tx);
    out += "\nCLIENTS\n-------\n";
    for (std::size_t c = 0; c < snap.clients.size(); ++c) {
        const ClientRow& client = snap.clients[c];
        out += mp::strprintf("Client %2zu - rx: %9" PRIu64 ", rx_drop: %9" PRIu64 "\n"
                             "            tx: %9" PRIu64 ", tx_drop: %9" PRIu64 "\n",
                             c, client.rx, client.rx_drop, client.tx, client.tx_drop);
    }
    out += "\n";
    return out;
}

// ANSI: clear the screen and go to the top left, as upstream does each second.
inline constexpr const char* clear_screen = "\033[2J\033[1;1H";

} // namespace client_server_mp
