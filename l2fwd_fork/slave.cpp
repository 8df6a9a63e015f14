/* SPDX-License-Identifier: BSD-3-Clause */
// A slave process: a secondary of the master, started by it with --slave=N,
// or as a standby with --standby=N that the master later gives a slave's
// place. It forwards the RX ports of its entry of the shared slave table until
// the master sends STOP.
#include <array>
#include <chrono>
#include <csignal>
#include <span>
#include <string>

#include <sys/prctl.h>
#include <unistd.h>

#include <mp/all.hpp>
#include <mp/kill_point.hpp>

#include "app.hpp"
#include "doorbell.hpp"
#include "forwarder.hpp"
#include "shared.hpp"

namespace l2fwd_fork {

namespace {

// How often a waiting standby looks at the quit flag (SIGTERM) while asleep.
constexpr std::chrono::milliseconds standby_wake{10};

// The master's memzone, once it is known to be this build's and to belong to
// this process's parent. `who` ("--slave=0") starts the error lines.
mp::Memzone<SharedState> attach(const mp::Eal& eal, const std::string& who)
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
        throw mp::StartupError(who + ": " + mismatch);
    auto shared = mp::Memzone<SharedState>::lookup(shared_memzone_name);
    if (getppid() != shared->master_pid)
        throw mp::StartupError(mp::strprintf("%s: this process was not started by the master "
                                             "(pid %d)",
                                             who.c_str(), static_cast<int>(shared->master_pid)));
    return shared;
}

void check_index(const std::string& who, unsigned index, unsigned count, const char* what)
{
    if (index >= count)
        throw mp::StartupError(mp::strprintf("%s: the master has %u %s", who.c_str(), count,
                                             what));
}

int forward_as(SharedState& shared, unsigned slave)
{
    SlaveRecord& self = shared.slaves[slave];
    const unsigned lcore = rte_lcore_id();
    if (self.lcore.load(std::memory_order_acquire) != lcore)
        throw mp::StartupError(mp::strprintf("--slave=%u: started on lcore %u, but the master "
                                             "assigned lcore %u",
                                             slave, lcore, self.lcore.load()));

    mp::log(RTE_LOG_INFO, "entering main loop on lcore %u", lcore);
    for (unsigned i = 0; i < self.n_rx_ports; ++i)
        mp::log(RTE_LOG_INFO, " -- lcoreid=%u portid=%u", lcore, self.rx_ports[i]);

    // Our TX ports are polled by other slaves: see map_memif_ports_here().
    std::array<uint16_t, max_rx_ports_per_lcore> tx_ports{};
    for (unsigned i = 0; i < self.n_rx_ports; ++i)
        tx_ports[i] = shared.dst_port[self.rx_ports[i]];
    mp::map_memif_ports_here(std::span<const uint16_t>(tx_ports.data(), self.n_rx_ports));

    Forwarder forwarder(shared, self);
    self.ready_pid.store(getpid(), std::memory_order_release);
    Doorbell(shared.doorbell).ring();
    forwarder.run();
    return 0;
}

} // namespace

int run_slave(mp::Eal& eal, unsigned slave)
{
    const std::string who = "--slave=" + std::to_string(slave);
    const auto shared = attach(eal, who);
    eal.leave_startup_gate();
    check_index(who, slave, shared->n_slaves, "slaves");
    return forward_as(*shared, slave);
}

// Started, then asleep (no CPU) until the master gives it a slave's place or
// retires it.
int run_standby(mp::Eal& eal, unsigned standby)
{
    const std::string who = "--standby=" + std::to_string(standby);
    const auto shared = attach(eal, who);
    eal.leave_startup_gate();
    check_index(who, standby, static_cast<unsigned>(std::size(shared->standbys)),
                "standby records");
    StandbyRecord& self = shared->standbys[standby];
    self.ready_pid.store(getpid(), std::memory_order_release);
    Doorbell(shared->doorbell).ring();
    uint32_t assignment = 0;
    while ((assignment = self.assignment.load(std::memory_order_acquire)) == 0 &&
           !mp::QuitFlag::raised())
        futex_wait(self.assignment, 0, standby_wake);
    if (assignment == 0 || assignment == StandbyRecord::retire)
        return 0;
    MP_KILL_POINT("l2fwd_fork.standby.assigned");
    check_index(who, assignment - 1, shared->n_slaves, "slaves");
    return forward_as(*shared, assignment - 1);
}

} // namespace l2fwd_fork
