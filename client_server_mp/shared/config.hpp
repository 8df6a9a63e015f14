/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// What our mp_server shares beyond upstream's PortInfo, in a memzone of its own
// ("MProc_config") so that PortInfo keeps the upstream layout:
//  - the number of clients, so that a client can check its id;
//  - the server's per-client counters (upstream keeps them private), for
//    telemetry and for the books a test checks;
//  - who holds each client id and each lcore id. A client id read by two
//    clients would split its ring between them; an lcore id used by two
//    processes corrupts the pool's per-lcore cache. A claim held by a process
//    that died (kill -9) may be taken over, and the lcore entry tells the new
//    owner whether the dead one's mempool cache can be trusted.
// An upstream mp_server does not create this memzone; our client then runs
// without these checks.

#include <cstdint>

#include <rte_common.h>
#include <rte_config.h>

#include <mp/claim.hpp>
#include <mp/counter.hpp>
#include <mp/lcore_cache.hpp>

#include "port_info.hpp"

namespace client_server_mp {

inline constexpr const char* config_name = "MProc_config";
inline constexpr uint32_t config_magic = 0x43534d33; // "CSM3": layout version 3

// Counted by the server for each client (one writer: the server's main lcore):
// packets enqueued to its ring, packets meant for it freed because its ring
// and every other client's were full, and
// mbufs the client handed back through its return ring (return_rings.hpp).
struct alignas(RTE_CACHE_LINE_SIZE) ClientCounters {
    mp::Counter rx;
    mp::Counter rx_drop;
    mp::Counter returned;
};

struct Config {
    uint32_t magic;
    uint32_t num_clients;
    int32_t server_pid;
    ClientCounters clients[max_clients];
    mp::ClaimSlot client_owner[max_clients];
    // Per lcore id: who runs on it, and whether it may be inside a mempool put.
    mp::LcoreClaim lcore_owner[RTE_MAX_LCORE];
};

} // namespace client_server_mp
