/* SPDX-License-Identifier: BSD-3-Clause */
// Test helper: attaches as a secondary, takes DPDK's shared memory-hotplug lock
// for writing and waits to be killed with it held, as a process killed in the
// middle of its start-up can leave it.
#include <cstdio>

#include <unistd.h>

#include <rte_eal_memconfig.h>

#include <mp/all.hpp>

int main(int argc, char** argv)
{
    return mp::run_app("lock_holder", [&] {
        mp::Eal eal(argc, argv, {.require_live_primary = false});
        rte_mcfg_mem_write_lock();
        std::printf("memory lock held\n");
        while (true)
            pause();
        return 0;
    });
}
