/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// The master's statistics screen, in upstream l2fwd's layout. The screen is
// cleared first only on a terminal, so that logs and pipes stay readable.

#include <cinttypes>
#include <cstdio>
#include <vector>

#include "shared.hpp"

namespace l2fwd_fork {

inline void print_stats(std::FILE* out, const SharedState& shared,
                        const std::vector<uint16_t>& ports, bool clear_screen)
{
    if (clear_screen)
        std::fputs("\033[2J\033[1;1H", out);
    uint64_t total_tx = 0;
    uint64_t total_rx = 0;
    uint64_t total_dropped = 0;
    std::fputs("\nPort statistics ====================================", out);
    for (uint16_t port : ports) {
        const PortStatistics& stats = shared.port_stats[port];
        const uint64_t tx = stats.tx.get();
        const uint64_t rx = stats.rx.get();
        const uint64_t dropped = stats.dropped.get();
        std::fprintf(out,
                     "\nStatistics for port %u ------------------------------"
                     "\nPackets sent: %24" PRIu64 "\nPackets received: %20" PRIu64
                     "\nPackets dropped: %21" PRIu64,
                     port, tx, rx, dropped);
        total_tx += tx;
        total_rx += rx;
        total_dropped += dropped;
    }
    std::fprintf(out,
                 "\nAggregate statistics ==============================="
                 "\nTotal packets sent: %18" PRIu64 "\nTotal packets received: %14" PRIu64
                 "\nTotal packets dropped: %15" PRIu64,
                 total_tx, total_rx, total_dropped);
    std::fputs("\n====================================================\n", out);
    std::fflush(out);
}

} // namespace l2fwd_fork
