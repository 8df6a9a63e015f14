/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// What the client attaches to of the server's: the port list ("MProc_port_info")
// and the mbuf pool, and the check that the server's ports have a TX queue for
// this client.

#include <rte_ethdev.h>

#include <mp/all.hpp>

#include "../shared/config.hpp"
#include "../shared/port_info.hpp"

namespace client_server_mp {

struct ServerObjects {
    mp::Memzone<PortInfo> info;
    mp::PktmbufPool pool;
};

inline ServerObjects attach_server()
{
    return {mp::Memzone<PortInfo>::lookup(port_info_name),
            mp::PktmbufPool::lookup(pktmbuf_pool_name)};
}

inline void check_ports(const PortInfo& info, unsigned client)
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

} // namespace client_server_mp
