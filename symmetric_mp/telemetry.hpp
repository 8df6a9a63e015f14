/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// The telemetry command /symmetric_mp/stats: every process's live counters from
// the shared SMP_CONFIG table, so that any one process of the run answers for
// all of them (docs/symmetric_mp.rst shows the reply).

#include <cstdint>
#include <string>
#include <vector>

#include <rte_mempool.h>
#include <rte_telemetry.h>

#include <mp/claim.hpp>
#include <mp/error.hpp>
#include <mp/telemetry.hpp>

#include "shared_config.hpp"

namespace symmetric_mp {

// What /symmetric_mp/stats reports: the table in shared memory, the pool, our ports.
struct TelemetrySource {
    const SharedConfig* config = nullptr;
    rte_mempool* pool = nullptr;
    std::vector<uint16_t> ports;
};

inline int telemetry_reply(const TelemetrySource& source, rte_tel_data* data)
{
    const SharedConfig& config = *source.config;
    mp::telemetry_dict(data, {{"num_procs", config.num_procs},
                              {"portmask", config.portmask},
                              {"mbufs_available", rte_mempool_avail_count(source.pool)},
                              {"mbufs_in_use", rte_mempool_in_use_count(source.pool)}});
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
    for (const uint16_t port : source.ports) {
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

// Registers /symmetric_mp/stats for the rest of the process.
inline void register_stats_command(const SharedConfig& config, rte_mempool* pool,
                                   const std::vector<uint16_t>& ports)
{
    static TelemetrySource source; // read by the telemetry thread until exit
    source = {&config, pool, ports};
    mp::register_telemetry<&telemetry_reply>(
        "/symmetric_mp/stats", source,
        "Live counters of every symmetric_mp process: arrays indexed by proc-id (pid, portN_rx, "
        "portN_tx, portN_drop)");
}

} // namespace symmetric_mp
