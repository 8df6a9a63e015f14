/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// The CPUs of lcores, as the slaves' --lcores mappings name them.

#include <vector>

#include <rte_lcore.h>

#include <mp/lcore.hpp>

namespace l2fwd_fork {

inline std::vector<unsigned> cpus_of(const rte_cpuset_t& set)
{
    std::vector<unsigned> cpus;
    for (unsigned cpu = 0; cpu < CPU_SETSIZE; ++cpu)
        if (CPU_ISSET(cpu, &set))
            cpus.push_back(cpu);
    return cpus;
}

// Every CPU the master's lcores may run on: where floating slaves may run.
inline std::vector<unsigned> master_cpus()
{
    rte_cpuset_t all;
    CPU_ZERO(&all);
    for (const unsigned lcore : mp::enabled_lcores()) {
        const rte_cpuset_t set = rte_lcore_cpuset(lcore);
        CPU_OR(&all, &all, &set);
    }
    return cpus_of(all);
}

} // namespace l2fwd_fork
