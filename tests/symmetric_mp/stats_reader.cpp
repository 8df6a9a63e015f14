/* SPDX-License-Identifier: BSD-3-Clause */
// Test helper: attaches to a symmetric_mp run as a secondary (also when its
// primary has died, which is when telemetry is gone), prints every process's
// counters from the shared SMP_CONFIG memzone, and exits. One line per process
// and port:  proc P pid X port N rx A tx B drop C
#include <cinttypes>
#include <cstdio>

#include <mp/all.hpp>

#include "shared_config.hpp"

int main(int argc, char** argv)
{
    return mp::run_app("smp_stats_reader", [&] {
        mp::Eal eal(argc, argv, {.require_live_primary = false});
        const auto config = mp::Memzone<symmetric_mp::SharedConfig>::lookup(
            symmetric_mp::config_memzone);
        for (unsigned proc = 0; proc < config->num_procs; ++proc) {
            const int pid = mp::pid_of(config->procs.procs[proc].holder());
            for (unsigned port = 0; port < RTE_MAX_ETHPORTS; ++port) {
                if ((config->portmask & (uint64_t{1} << port)) == 0)
                    continue;
                const symmetric_mp::PortCounters& c = config->counters[proc].port[port];
                std::printf("proc %u pid %d port %u rx %" PRIu64 " tx %" PRIu64 " drop %" PRIu64
                            "\n",
                            proc, pid, port, c.rx.get(), c.tx.get(), c.drop.get());
            }
        }
        return 0;
    });
}
