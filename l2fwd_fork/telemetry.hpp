/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// The master's telemetry commands, /l2fwd_fork/slaves and /l2fwd_fork/stats,
// on its telemetry socket (docs/l2fwd_fork.rst shows their replies).

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include <rte_mempool.h>
#include <rte_telemetry.h>

#include <mp/telemetry.hpp>

#include "shared.hpp"
#include "supervisor.hpp"

namespace l2fwd_fork {

// "0 1": the RX ports of a slave.
inline std::string port_list(const SlaveRecord& record)
{
    std::string text;
    for (unsigned i = 0; i < record.n_rx_ports; ++i) {
        if (i != 0)
            text += ' ';
        text += std::to_string(record.rx_ports[i]);
    }
    return text;
}

namespace telemetry {

// What the replies read, under a lock that no one holds across anything that
// can wait: the master takes it only to publish, to count a recovery and when
// it leaves.
struct TelemetryView {
    mutable std::mutex mutex;
    const SharedState* shared = nullptr;
    std::vector<uint16_t> ports;
    std::vector<rte_mempool*> pools; // the port pools, for the master's lifetime
    uint64_t recoveries = 0;
    uint64_t last_recovery_us = 0;
    uint64_t worst_recovery_us = 0;
};

// One for the process: the telemetry thread reads it until exit.
inline TelemetryView& telemetry_view()
{
    static TelemetryView view;
    return view;
}

inline int slaves_reply(const TelemetryView& view, rte_tel_data* data)
{
    std::lock_guard lock(view.mutex);
    if (view.shared == nullptr)
        return -1;
    rte_tel_data_start_dict(data);
    for (unsigned s = 0; s < view.shared->n_slaves; ++s) {
        const SlaveRecord& record = view.shared->slaves[s];
        rte_tel_data* entry = rte_tel_data_alloc();
        if (entry == nullptr)
            return -1;
        rte_tel_data_start_dict(entry);
        mp::telemetry_add(entry, "lcore", record.lcore.load());
        mp::telemetry_add(entry, "launch_lcore", record.launch_lcore);
        rte_tel_data_add_dict_int(entry, "pid", record.pid.load());
        rte_tel_data_add_dict_string(entry, "state",
                                     state_name(static_cast<SlaveState>(record.state.load())));
        mp::telemetry_add(entry, "restarts", record.restarts.load());
        rte_tel_data_add_dict_string(entry, "rx_ports", port_list(record).c_str());
        rte_tel_data_add_dict_container(data, std::to_string(s).c_str(), entry, 0);
    }
    return 0;
}

inline int stats_reply(const TelemetryView& view, rte_tel_data* data)
{
    std::lock_guard lock(view.mutex);
    if (view.shared == nullptr)
        return -1;
    rte_tel_data_start_dict(data);
    uint64_t total_tx = 0;
    uint64_t total_rx = 0;
    uint64_t total_dropped = 0;
    for (uint16_t port : view.ports) {
        const PortStatistics& stats = view.shared->port_stats[port];
        rte_tel_data* entry = rte_tel_data_alloc();
        if (entry == nullptr)
            return -1;
        mp::telemetry_dict(entry, {{"tx", stats.tx.get()},
                                   {"rx", stats.rx.get()},
                                   {"dropped", stats.dropped.get()}});
        total_tx += stats.tx.get();
        total_rx += stats.rx.get();
        total_dropped += stats.dropped.get();
        const std::string name = "port" + std::to_string(port);
        rte_tel_data_add_dict_container(data, name.c_str(), entry, 0);
    }
    // The port pools only, read without a lock (a pool renewed meanwhile is
    // counted as it was or as it is). rte_mempool_walk() would take DPDK's
    // shared mempool lock, which a killed slave can leave held.
    uint64_t in_use = 0;
    for (const rte_mempool* pool : view.pools)
        in_use += rte_mempool_in_use_count(pool);
    mp::telemetry_add(data, "total_tx", total_tx);
    mp::telemetry_add(data, "total_rx", total_rx);
    mp::telemetry_add(data, "total_dropped", total_dropped);
    mp::telemetry_add(data, "mempools", static_cast<uint64_t>(view.pools.size()));
    mp::telemetry_add(data, "mbufs_in_use", in_use);
    mp::telemetry_add(data, "recoveries", view.recoveries);
    mp::telemetry_add(data, "last_recovery_us", view.last_recovery_us);
    mp::telemetry_add(data, "worst_recovery_us", view.worst_recovery_us);
    return 0;
}

// Publishes the shared state to the telemetry commands for its lifetime.
class Publisher {
public:
    Publisher(const SharedState& shared, std::vector<uint16_t> ports,
              std::vector<rte_mempool*> pools)
    {
        TelemetryView& view = telemetry_view();
        {
            std::lock_guard lock(view.mutex);
            view.shared = &shared;
            view.ports = std::move(ports);
            view.pools = std::move(pools);
        }
        mp::register_telemetry<&slaves_reply>(
            "/l2fwd_fork/slaves", view,
            "The slave processes: lcore, pid, state, restarts, RX ports.");
        mp::register_telemetry<&stats_reply>(
            "/l2fwd_fork/stats", view, "Port counters, mbufs in use, recoveries. No parameters.");
    }
    Publisher(const Publisher&) = delete;
    Publisher& operator=(const Publisher&) = delete;
    ~Publisher()
    {
        std::lock_guard lock(telemetry_view().mutex);
        telemetry_view().shared = nullptr;
    }
};

inline void record_recovery(std::chrono::steady_clock::duration elapsed)
{
    TelemetryView& view = telemetry_view();
    std::lock_guard lock(view.mutex);
    const auto us = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count());
    ++view.recoveries;
    view.last_recovery_us = us;
    view.worst_recovery_us = std::max(view.worst_recovery_us, us);
}

} // namespace telemetry

} // namespace l2fwd_fork
