/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// What one simple_mp process has done, read on DPDK's telemetry socket:
//   echo /simple_mp/stats | dpdk-telemetry.py -f <file-prefix>
//   {"/simple_mp/stats": {"sent": 3, "received": 2, "refused": 1}}

#include <atomic>
#include <cstdint>

#include <mp/telemetry.hpp>

namespace simple_mp {

struct Stats {
    std::atomic<uint64_t> sent{0};     // messages put on the send ring
    std::atomic<uint64_t> received{0}; // messages taken from the receive ring
    std::atomic<uint64_t> refused{0};  // send commands that sent nothing

    static void add(std::atomic<uint64_t>& counter, uint64_t n = 1) noexcept
    {
        counter.fetch_add(n, std::memory_order_relaxed);
    }
};

// The counters of this process, for as long as it runs (the telemetry thread
// reads them until exit).
inline Stats& process_stats() noexcept
{
    static Stats stats;
    return stats;
}

inline int telemetry_reply(const Stats& stats, rte_tel_data* data) noexcept
{
    return mp::telemetry_dict(data, {{"sent", stats.sent.load(std::memory_order_relaxed)},
                                     {"received", stats.received.load(std::memory_order_relaxed)},
                                     {"refused", stats.refused.load(std::memory_order_relaxed)}});
}

inline void register_stats_command(const Stats& stats) noexcept
{
    mp::register_telemetry<&telemetry_reply>("/simple_mp/stats", stats,
                                             "Messages this process sent, received and refused "
                                             "to send. No parameters.");
}

} // namespace simple_mp
