/* SPDX-License-Identifier: BSD-3-Clause */
// Test helper: attaches as a secondary, takes one of DPDK's shared EAL locks and
// waits to be killed with it held, as a process killed in the middle of its
// start-up can leave it:
//   lock_holder <EAL args>                    memory hotplug lock, for writing
//                                             (a heap that grows), after start-up
//   lock_holder <EAL args> -- --read           memory hotplug lock, for reading,
//                                             after start-up (no gate: nobody
//                                             will repair it)
//   lock_holder <EAL args> -- --read-in-start-up
//                                             memory hotplug lock, for reading,
//                                             inside the start-up gate, as
//                                             rte_eal_init() holds it while it
//                                             maps the memory
//   lock_holder <EAL args> -- --tailq-read-in-start-up
//                                             tailq lock, for reading, inside
//                                             the gate, as a look-up of the
//                                             primary's rings holds it
//   lock_holder <EAL args> -- --memzone-write-in-start-up
//                                             memzone lock, for writing, inside
//                                             the gate, as rte_eal_memzone_init()
#include <unistd.h>

#include <cstdio>
#include <string_view>

#include <rte_eal_memconfig.h>
#include <rte_rwlock.h>

#include <mp/all.hpp>

namespace {

// The memzone lock has no API of its own: take it in the shared configuration
// (mapped for good: the process waits to be killed holding it).
void take_memzone_lock_for_writing(const std::string& prefix)
{
    static const mp::MemConfigMapping config(mp::Eal::config_path(prefix));
    if (config.head() == nullptr)
        throw mp::StartupError("cannot map the shared configuration");
    rte_rwlock_write_lock(&config.head()->mlock);
}

} // namespace

int main(int argc, char** argv)
{
    return mp::run_app("lock_holder", [&] {
        mp::Eal eal(argc, argv, {.require_live_primary = false});
        const auto args = eal.app_args();
        const std::string_view mode = args.empty() ? "" : args[0];
        // Still inside its start-up, the process holds the start-up gate.
        if (!mode.ends_with("-in-start-up"))
            eal.leave_startup_gate();
        if (mode == "--read" || mode == "--read-in-start-up")
            rte_mcfg_mem_read_lock();
        else if (mode == "--tailq-read-in-start-up")
            rte_mcfg_tailq_read_lock();
        else if (mode == "--memzone-write-in-start-up")
            take_memzone_lock_for_writing(eal.file_prefix());
        else if (mode.empty())
            rte_mcfg_mem_write_lock();
        else
            throw mp::UsageError("unknown mode " + std::string(mode));
        std::printf("lock held: %s\n", mode.empty() ? "memory, for writing" : mode.data() + 2);
        std::fflush(stdout);
        while (true)
            pause();
        return 0;
    });
}
