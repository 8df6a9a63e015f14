/* SPDX-License-Identifier: BSD-3-Clause */
// A slave process: a secondary of the master, started by it with --slave=N.
// It forwards the RX ports of entry N of the shared slave table until the
// master sends STOP.
#include <csignal>
#include <string>

#include <sys/prctl.h>
#include <unistd.h>

#include <mp/all.hpp>

#include "app.hpp"
#include "doorbell.hpp"
#include "forwarder.hpp"
#include "shared.hpp"

namespace l2fwd_fork {

int run_slave(mp::Eal& eal, unsigned slave)
{
    if (eal.primary())
        throw mp::UsageError("--slave is for the slave processes the master starts: run "
                             "l2fwd_fork without it");
    // Exec'd from a file descriptor (launcher.hpp), a slave is named after the
    // descriptor's number by kernels before 6.14; ps should show l2fwd_fork.
    prctl(PR_SET_NAME, "l2fwd_fork");
    // Ctrl-C in a terminal reaches the whole process group; the master then
    // stops its slaves in order, so the slaves themselves ignore it.
    std::signal(SIGINT, SIG_IGN);

    // The header first: nothing else of the memzone means anything if the
    // master is another build.
    const auto header = mp::Memzone<SharedHeader>::lookup(shared_memzone_name);
    if (const std::string mismatch = layout_mismatch(*header); !mismatch.empty())
        throw mp::StartupError(mp::strprintf("--slave=%u: %s", slave, mismatch.c_str()));
    const auto shared = mp::Memzone<SharedState>::lookup(shared_memzone_name);
    if (getppid() != shared->master_pid)
        throw mp::StartupError(mp::strprintf("--slave=%u: this process was not started by the "
                                             "master (pid %d)",
                                             slave, static_cast<int>(shared->master_pid)));
    if (slave >= shared->n_slaves)
        throw mp::StartupError(mp::strprintf("--slave=%u: the master has %u slaves", slave,
                                             shared->n_slaves));
    SlaveRecord& self = shared->slaves[slave];
    const unsigned lcore = rte_lcore_id();
    if (self.lcore.load(std::memory_order_acquire) != lcore)
        throw mp::StartupError(mp::strprintf("--slave=%u: started on lcore %u, but the master "
                                             "assigned lcore %u",
                                             slave, lcore, self.lcore.load()));

    mp::log(RTE_LOG_INFO, "entering main loop on lcore %u", lcore);
    for (unsigned i = 0; i < self.n_rx_ports; ++i)
        mp::log(RTE_LOG_INFO, " -- lcoreid=%u portid=%u", lcore, self.rx_ports[i]);

    Forwarder forwarder(*shared, self);
    self.ready_pid.store(getpid(), std::memory_order_release);
    Doorbell(shared->doorbell).ring();
    forwarder.run();
    return 0;
}

} // namespace l2fwd_fork
