/* SPDX-License-Identifier: BSD-3-Clause */
// Test helper: attaches as a secondary, takes DPDK's shared memory-hotplug lock
// and waits to be killed with it held, as a process killed in the middle of
// its start-up can leave it: for writing by default, for reading with the
// application argument "read" (rte_eal_init() of a secondary holds it so from
// its memory set-up to its heap set-up).
#include <cstdio>
#include <string_view>

#include <unistd.h>

#include <rte_eal_memconfig.h>

#include <mp/all.hpp>

int main(int argc, char** argv)
{
    return mp::run_app("lock_holder", [&] {
        mp::Eal eal(argc, argv, {.require_live_primary = false});
        const bool read = !eal.app_args().empty() && std::string_view(eal.app_args()[0]) == "read";
        if (read)
            rte_mcfg_mem_read_lock();
        else
            rte_mcfg_mem_write_lock();
        std::printf("memory lock held%s\n", read ? " for reading" : "");
        while (true)
            pause();
        return 0;
    });
}
