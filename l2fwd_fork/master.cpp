/* SPDX-License-Identifier: BSD-3-Clause */
// The master process: sets up ports, pools and the shared memzone, starts one
// slave process per planned worker lcore, prints statistics, and recovers
// groups of slaves when one of them dies (see docs/l2fwd_fork.rst).
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mempool.h>

#include <mp/all.hpp>
#include <mp/watchdog.hpp>

#include "app.hpp"
#include "doorbell.hpp"
#include "launch_slot.hpp"
#include "launcher.hpp"
#include "lcore_ids.hpp"
#include "port_pools.hpp"
#include "shared.hpp"
#include "slave_command.hpp"
#include "stats.hpp"
#include "supervisor.hpp"
#include "topology.hpp"

namespace l2fwd_fork {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How long a slave has to act on STOP before it is killed.
constexpr milliseconds stop_timeout{500};
// A slave that ends this many times in a row before forwarding is not restarted.
constexpr unsigned max_failed_starts = 5;
// The longest the master sleeps between looks at its slaves when its doorbell
// does not ring (slaves ready and ended ring it): the resolution of the stop
// timeout and of the statistics period.
constexpr milliseconds max_sleep{50};

// In a build with tests, MP_FAIL_LAUNCH=1 in the environment makes every
// launch of a slave fail, as rte_eal_remote_launch() can (a busy lcore).
bool test_launch_failure() noexcept
{
#if defined(MP_KILL_POINTS)
    static const bool fail = std::getenv("MP_FAIL_LAUNCH") != nullptr;
    return fail;
#else
    return false;
#endif
}

double to_ms(Clock::duration d)
{
    return std::chrono::duration<double, std::milli>(d).count();
}

// Killed rather than ended by itself: SIGKILL (from anyone) or SIGTERM.
bool killed_by_signal(const LaunchResult& result)
{
    return result.pid > 0 && WIFSIGNALED(result.status) &&
           (WTERMSIG(result.status) == SIGKILL || WTERMSIG(result.status) == SIGTERM);
}

std::string port_list(const SlaveRecord& record)
{
    std::string text;
    for (unsigned i = 0; i < record.n_rx_ports; ++i) {
        if (i != 0)
            text += ' ';
        text += std::to_string(record.rx_ports[i]);
    }
    return text;
}

// ---- telemetry -------------------------------------------------------------
// The callbacks get no user pointer (22.11), so they read from this, under a
// lock that no one holds across anything that can wait: the master takes it
// only to publish, to count a recovery and when it leaves.
struct TelemetryView {
    std::mutex mutex;
    const SharedState* shared = nullptr;
    std::vector<uint16_t> ports;
    std::vector<rte_mempool*> pools; // the port pools, for the master's lifetime
    uint64_t recoveries = 0;
    uint64_t last_recovery_us = 0;
    uint64_t worst_recovery_us = 0;
};

TelemetryView& telemetry_view()
{
    static TelemetryView view;
    return view;
}

int slaves_command(const char*, const char*, rte_tel_data* data)
{
    TelemetryView& view = telemetry_view();
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

int stats_command(const char*, const char*, rte_tel_data* data)
{
    TelemetryView& view = telemetry_view();
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
class TelemetryPublisher {
public:
    TelemetryPublisher(const SharedState& shared, std::vector<uint16_t> ports,
                       std::vector<rte_mempool*> pools)
    {
        TelemetryView& view = telemetry_view();
        {
            std::lock_guard lock(view.mutex);
            view.shared = &shared;
            view.ports = std::move(ports);
            view.pools = std::move(pools);
        }
        mp::register_telemetry("/l2fwd_fork/slaves", slaves_command,
                               "The slave processes: lcore, pid, state, restarts, RX ports.");
        mp::register_telemetry("/l2fwd_fork/stats", stats_command,
                               "Port counters, mbufs in use, recoveries. No parameters.");
    }
    TelemetryPublisher(const TelemetryPublisher&) = delete;
    TelemetryPublisher& operator=(const TelemetryPublisher&) = delete;
    ~TelemetryPublisher()
    {
        std::lock_guard lock(telemetry_view().mutex);
        telemetry_view().shared = nullptr;
    }
};

void record_recovery(Clock::duration elapsed)
{
    TelemetryView& view = telemetry_view();
    std::lock_guard lock(view.mutex);
    const auto us = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count());
    ++view.recoveries;
    view.last_recovery_us = us;
    view.worst_recovery_us = std::max(view.worst_recovery_us, us);
}

// ---- CPUs ------------------------------------------------------------------
std::vector<unsigned> cpus_of(const rte_cpuset_t& set)
{
    std::vector<unsigned> cpus;
    for (unsigned cpu = 0; cpu < CPU_SETSIZE; ++cpu)
        if (CPU_ISSET(cpu, &set))
            cpus.push_back(cpu);
    return cpus;
}

// Every CPU the master's lcores may run on: where floating slaves may run.
std::vector<unsigned> master_cpus()
{
    rte_cpuset_t all;
    CPU_ZERO(&all);
    unsigned lcore = 0;
    RTE_LCORE_FOREACH(lcore)
    {
        const rte_cpuset_t set = rte_lcore_cpuset(lcore);
        CPU_OR(&all, &all, &set);
    }
    return cpus_of(all);
}

// ---- reaping ended slaves ---------------------------------------------------
// The launchers leave ended slaves as zombies (launcher.hpp); this thread reaps
// them, so that however long the kernel takes over it, neither the launcher's
// lcore nor the master's loop waits. It reaps all it was given before it ends.
class Reaper {
public:
    Reaper() : thread_([this] { run(); }) {}
    Reaper(const Reaper&) = delete;
    Reaper& operator=(const Reaper&) = delete;
    ~Reaper()
    {
        {
            std::lock_guard lock(mutex_);
            done_ = true;
        }
        wake_.notify_one();
        thread_.join();
    }

    void reap(pid_t pid)
    {
        {
            std::lock_guard lock(mutex_);
            pids_.push_back(pid);
        }
        wake_.notify_one();
    }

private:
    void run()
    {
        while (true) {
            pid_t pid = 0;
            {
                std::unique_lock lock(mutex_);
                wake_.wait(lock, [this] { return done_ || !pids_.empty(); });
                if (pids_.empty())
                    return;
                pid = pids_.front();
                pids_.pop_front();
            }
            while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
            }
        }
    }

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<pid_t> pids_;
    bool done_ = false;
    std::thread thread_; // last: starts once the rest is ready
};

// ---- the master ------------------------------------------------------------
struct MasterSetup {
    Options options;
    std::string argv0;
    std::string file_prefix;
    std::vector<std::string> inherited; // EAL options the slaves get too
    std::vector<uint16_t> ports;
    Topology topology;
};

class Master {
public:
    Master(SharedState& shared, PortPools& pools, MasterSetup setup)
        : shared_(shared), pools_(pools), setup_(std::move(setup)),
          lcore_ids_(shared.lcore_owner), supervisor_(setup_.topology.group, stop_timeout,
                                                      max_failed_starts),
          cpus_(master_cpus()), doorbell_(shared.doorbell)
    {
        for (unsigned s = 0; s < setup_.topology.slaves.size(); ++s) {
            slots_.push_back(std::make_unique<Slot>());
            slots_.back()->master = this;
            slots_.back()->index = s;
        }
    }
    Master(const Master&) = delete;
    Master& operator=(const Master&) = delete;

    // On any way out: no slave and no launcher may outlive the master's objects.
    // Each round kills what runs, so every launcher returns.
    ~Master()
    {
        while (true) {
            const uint32_t rung = doorbell_.rung();
            bool waiting = false;
            for (auto& slot : slots_) {
                if (!slot->launch.outstanding())
                    continue;
                SlaveRecord& record = shared_.slaves[slot->index];
                send_command(record.channel, Command::stop);
                if (slot->launch.ended()) {
                    const LaunchResult& result = slot->launch.collect(
                        [&] { rte_eal_wait_lcore(record.launch_lcore); });
                    if (result.pid > 0)
                        reaper_.reap(result.pid);
                    continue;
                }
                if (const pid_t pid = record.pid.load(); pid > 0)
                    kill(pid, SIGKILL);
                waiting = true;
            }
            if (!waiting)
                break;
            doorbell_.wait(rung, max_sleep);
        }
    }

    // Starts the slaves and looks after them until Ctrl-C (or SIGTERM); returns
    // once every slave has ended: empty, or why a slave could not be kept
    // running. Nothing in the loop waits for more than max_sleep.
    std::string run()
    {
        for (unsigned s = 0; s < slots_.size(); ++s)
            launch(s, Clock::now());
        const auto period = std::chrono::seconds(setup_.options.stats_period);
        auto next_stats = Clock::now() + period;
        const bool tty = isatty(STDOUT_FILENO) != 0;
        while (true) {
            const uint32_t rung = doorbell_.rung();
            const Clock::time_point now = Clock::now();
            notice_ready(now);
            release_ready_groups();
            collect_ended();
            if (mp::QuitFlag::raised() && !supervisor_.shutting_down()) {
                std::printf("\n\nSignal %d received, preparing to exit...\n",
                            mp::QuitFlag::signal_number());
                supervisor_.shutdown();
            }
            for (const Supervisor::Action& action : supervisor_.poll(now))
                execute(action);
            for (unsigned s = 0; s < slots_.size(); ++s)
                shared_.slaves[s].state.store(static_cast<uint32_t>(supervisor_.state(s)));
            if (supervisor_.shutting_down() && supervisor_.all_ended())
                break;
            if (period.count() > 0 && now >= next_stats && !supervisor_.shutting_down()) {
                print_stats(stdout, shared_, setup_.ports, tty);
                next_stats = now + period;
            }
            doorbell_.wait(rung, max_sleep);
        }
        print_stats(stdout, shared_, setup_.ports, false);
        return failure_;
    }

    // A slave was killed inside its start-up (rte_eal_init and the look-ups
    // before it is ready), where it may have left one of DPDK's locks in the
    // shared memory held: freeing shared objects could then wait for good.
    bool killed_in_start_up() const noexcept { return killed_in_start_up_; }

private:
    struct Slot {
        Master* master = nullptr;
        unsigned index = 0;
        LaunchSlot launch;
        bool was_ready = false; // this launch's slave has been ready
        pid_t previous_pid = 0;
    };

    static int launcher_main(void* arg)
    {
        auto& slot = *static_cast<Slot*>(arg);
        slot.launch.finish(slot.master->start_and_wait(slot.index));
        slot.master->doorbell_.ring(); // the exit notification
        return 0;
    }

    // On the slave's worker lcore: pick its lcore id, start it, wait for its end.
    LaunchResult start_and_wait(unsigned s) noexcept
    {
        SlaveRecord& record = shared_.slaves[s];
        try {
            unsigned lcore = record.launch_lcore;
            std::vector<unsigned> cpus = cpus_of(rte_lcore_cpuset(lcore));
            if (setup_.options.floating) {
                const auto id = lcore_ids_.claim(owner_tag(s));
                if (!id)
                    throw mp::StartupError("no free lcore id left for a floating slave");
                lcore = *id;
                cpus = cpus_;
            }
            record.lcore.store(lcore, std::memory_order_release);
            const auto argv = slave_argv({setup_.argv0, setup_.file_prefix, lcore, cpus,
                                          setup_.inherited, s});
            return run_slave_process(program_.fd(), argv, [&](pid_t pid) {
                record.pid.store(pid, std::memory_order_release);
            });
        } catch (const std::exception& e) {
            LaunchResult result;
            result.error = e.what();
            result.ended_at = Clock::now();
            return result;
        }
    }

    static int32_t owner_tag(unsigned s) { return static_cast<int32_t>(s) + 1; }

    // A launch that fails ends the slave at once (LaunchSlot): it counts as a
    // failed start, and nothing waits for it.
    void launch(unsigned s, Clock::time_point now)
    {
        Slot& slot = *slots_[s];
        SlaveRecord& record = shared_.slaves[s];
        slot.previous_pid = record.pid.load();
        slot.was_ready = false;
        record.pid.store(0);
        record.ready_pid.store(0);
        record.channel.command.store(static_cast<uint32_t>(Command::none));
        record.channel.ack.store(static_cast<uint32_t>(Command::none));
        supervisor_.launched(s, now);
        record.state.store(static_cast<uint32_t>(SlaveState::starting));
        slot.launch.arm();
        const int ret = test_launch_failure()
                            ? -EBUSY
                            : rte_eal_remote_launch(&Master::launcher_main, &slot,
                                                    record.launch_lcore);
        if (ret == 0)
            slot.launch.launched();
        else
            slot.launch.launch_failed(mp::strprintf("cannot launch it on lcore %u: %s",
                                                    record.launch_lcore,
                                                    mp::rte_error_text(ret)));
    }

    // Slaves that have started forwarding; completed recoveries.
    void notice_ready(Clock::time_point now)
    {
        for (unsigned s = 0; s < slots_.size(); ++s) {
            if (supervisor_.state(s) != SlaveState::starting)
                continue;
            SlaveRecord& record = shared_.slaves[s];
            const pid_t pid = record.pid.load(std::memory_order_acquire);
            if (pid <= 0 || record.ready_pid.load(std::memory_order_acquire) != pid)
                continue;
            slots_[s]->was_ready = true;
            const auto recovery = supervisor_.ready(s, now);
            if (slots_[s]->previous_pid == 0)
                mp::log(RTE_LOG_INFO, "slave %u forwarding: lcore %u, pid %d, RX port(s) %s", s,
                        record.lcore.load(), pid, port_list(record).c_str());
            if (!recovery)
                continue;
            for (unsigned m : recovery->members)
                mp::log(RTE_LOG_INFO,
                        "slave %u restarted: lcore %u, old pid %d, new pid %d, recovery %.1f ms",
                        m, shared_.slaves[m].lcore.load(), slots_[m]->previous_pid,
                        shared_.slaves[m].pid.load(), to_ms(recovery->elapsed()));
            record_recovery(recovery->elapsed());
        }
    }

    // Slaves wait once ready; a group goes when all its slaves are ready.
    void release_ready_groups()
    {
        for (unsigned s = 0; s < slots_.size(); ++s) {
            CommandChannel& channel = shared_.slaves[s].channel;
            if (supervisor_.state(s) != SlaveState::running ||
                channel.command.load() != static_cast<uint32_t>(Command::none))
                continue;
            bool all_ready = true;
            for (unsigned m : setup_.topology.group_of(s))
                all_ready = all_ready && supervisor_.state(m) == SlaveState::running;
            if (all_ready)
                for (unsigned m : setup_.topology.group_of(s))
                    send_command(shared_.slaves[m].channel, Command::go);
        }
    }

    // Launchers that have returned: their slave has ended.
    void collect_ended()
    {
        for (unsigned s = 0; s < slots_.size(); ++s) {
            Slot& slot = *slots_[s];
            if (!slot.launch.due())
                continue;
            SlaveRecord& record = shared_.slaves[s];
            const LaunchResult& result =
                slot.launch.collect([&] { rte_eal_wait_lcore(record.launch_lcore); });
            if (result.pid > 0)
                reaper_.reap(result.pid);
            const bool by_signal = killed_by_signal(result);
            killed_in_start_up_ = killed_in_start_up_ || (by_signal && !slot.was_ready);
            const bool asked = supervisor_.ended(s, result.ended_at, by_signal);
            const unsigned lcore = record.lcore.load();
            // The slave's resources that do not wait for its group: its lcore
            // id (the pools it used are renewed before anyone runs on them)
            // and the files EAL left for it.
            if (setup_.options.floating)
                lcore_ids_.release(lcore, owner_tag(s));
            mp::Eal::remove_runtime_files_of(result.pid);
            if (asked)
                mp::log(RTE_LOG_INFO, "slave %u stopped: lcore %u, pid %d, %s%s", s, lcore,
                        result.pid, describe_end(result).c_str(),
                        record.channel.ack.load() == static_cast<uint32_t>(Command::stop)
                            ? " (STOP acknowledged)"
                            : "");
            else
                mp::log(RTE_LOG_WARNING, "slave %u died: lcore %u, pid %d, %s", s, lcore,
                        result.pid, describe_end(result).c_str());
        }
    }

    void execute(const Supervisor::Action& action)
    {
        SlaveRecord& record = shared_.slaves[action.slave];
        switch (action.kind) {
        case Supervisor::Action::Kind::stop:
            send_command(record.channel, Command::stop);
            if (action.cause != action.slave)
                mp::log(RTE_LOG_INFO, "stopping slave %u (lcore %u, pid %d): it depends on "
                        "slave %u",
                        action.slave, record.lcore.load(), record.pid.load(), action.cause);
            break;
        case Supervisor::Action::Kind::kill:
            kill_slave(action.slave, "did not act on STOP in time");
            break;
        case Supervisor::Action::Kind::start_timeout:
            kill_slave(action.slave, "was not ready within the start limit (a DPDK lock in the "
                                     "shared memory may be held by a slave killed during its "
                                     "start-up)");
            break;
        case Supervisor::Action::Kind::restart:
            if (!reclaim(action.members)) {
                supervisor_.shutdown();
                break;
            }
            for (unsigned m : action.members) {
                shared_.slaves[m].restarts.fetch_add(1);
                launch(m, Clock::now());
            }
            break;
        case Supervisor::Action::Kind::give_up:
            failure_ = mp::strprintf("slave %u (lcore %u) ended %u times in a row before it "
                                     "could forward: giving up (see its messages above)",
                                     action.slave, record.launch_lcore, max_failed_starts);
            mp::log(RTE_LOG_ERR, "%s", failure_.c_str());
            supervisor_.shutdown();
            break;
        }
    }

    void kill_slave(unsigned s, const char* why)
    {
        const pid_t pid = shared_.slaves[s].pid.load();
        if (pid <= 0 || slots_[s]->launch.ended())
            return;
        mp::log(RTE_LOG_WARNING, "slave %u (pid %d) %s: killing it", s, pid, why);
        kill(pid, SIGKILL);
    }

    // Every slave of the group has ended: their ports stopped, their pools
    // refilled in place, the ports started. Nothing here allocates or frees
    // DPDK memory or takes a lock in the shared memory, so a slave killed
    // holding one cannot stop the master (see port_pools.hpp). False, with
    // failure_ set, if a port does not start again.
    bool reclaim(const std::vector<unsigned>& members)
    {
        std::vector<uint16_t> ports;
        for (unsigned m : members)
            for (unsigned i = 0; i < shared_.slaves[m].n_rx_ports; ++i)
                ports.push_back(shared_.slaves[m].rx_ports[i]);
        const Clock::time_point start = Clock::now();
        // Stopping a port also frees the mbufs its rings still hold (pool puts
        // that never wait: port_pools.hpp).
        for (uint16_t port : ports)
            if (const int ret = rte_eth_dev_stop(port); ret != 0)
                mp::log(RTE_LOG_WARNING, "port %u: cannot stop: %s", port,
                        mp::rte_error_text(ret));
        std::string text;
        for (uint16_t port : ports) {
            pools_.renew(port);
            text += mp::strprintf(" %u (%s, renewal %u)", port, pools_.pool(port)->name,
                                  pools_.renewals(port));
        }
        for (uint16_t port : ports)
            if (const int ret = rte_eth_dev_start(port); ret != 0) {
                failure_ = mp::strprintf("port %u: cannot start again: %s", port,
                                         mp::rte_error_text(ret));
                mp::log(RTE_LOG_ERR, "%s", failure_.c_str());
                return false;
            }
        mp::log(RTE_LOG_INFO, "ports%s stopped, mbuf pools renewed in place and started in "
                "%.1f ms",
                text.c_str(), to_ms(Clock::now() - start));
        return true;
    }

    SharedState& shared_;
    PortPools& pools_;
    MasterSetup setup_;
    ProgramFile program_; // what every slave execs
    LcoreIdAllocator lcore_ids_;
    Supervisor supervisor_;
    std::vector<unsigned> cpus_;
    Doorbell doorbell_;
    Reaper reaper_; // after the destructor's body has handed it every ended slave
    std::vector<std::unique_ptr<Slot>> slots_;
    std::string failure_;
    bool killed_in_start_up_ = false;
};

void print_plan(const Topology& topology)
{
    for (const SlavePlan& slave : topology.slaves)
        for (uint16_t port : slave.rx_ports)
            std::printf("Lcore %u: RX port %u TX port %u\n", slave.lcore, port,
                        topology.dst_port.at(port));
    for (const std::string& line : topology.pairings)
        std::printf("%s\n", line.c_str());
}

} // namespace

int run_master(mp::Eal& eal, const Options& options, const CommandLine& command_line,
               std::optional<mp::Watchdog>& exit_watchdog)
{
    mp::require_lcores(3, "the master and at least two slaves");
    MasterSetup setup;
    setup.options = options;
    setup.ports = mp::ports_from_mask(options.portmask);
    setup.topology = plan_topology(setup.ports, mp::worker_lcores(), options.ports_per_lcore);
    setup.argv0 = command_line.argv0;
    setup.file_prefix = eal.file_prefix();
    setup.inherited = inherited_eal_args(command_line.eal_args);
    print_plan(setup.topology);

    auto shared = mp::Memzone<SharedState>::reserve(shared_memzone_name);
    shared->header = this_build_header();
    shared->master_pid = getpid();
    shared->n_slaves = static_cast<uint32_t>(setup.topology.slaves.size());
    shared->portmask = options.portmask;
    for (const auto& [port, dst] : setup.topology.dst_port)
        shared->dst_port[port] = dst;
    for (unsigned s = 0; s < shared->n_slaves; ++s) {
        const SlavePlan& plan = setup.topology.slaves[s];
        SlaveRecord& record = shared->slaves[s];
        record.launch_lcore = static_cast<uint16_t>(plan.lcore);
        record.n_rx_ports = static_cast<uint16_t>(plan.rx_ports.size());
        std::copy(plan.rx_ports.begin(), plan.rx_ports.end(), record.rx_ports);
        record.lcore.store(plan.lcore);
    }
    std::vector<unsigned> master_lcores;
    unsigned lcore = 0;
    RTE_LCORE_FOREACH(lcore)
    {
        master_lcores.push_back(lcore);
    }
    LcoreIdAllocator(shared->lcore_owner).reset(master_lcores);

    PortPools pools(setup.ports);
    for (uint16_t port : setup.ports) {
        mp::setup_port(port, pools.pool(port), mp::PortSetup{});
        mp::check(rte_eth_macaddr_get(port, &shared->port_mac[port]),
                  mp::strprintf("port %u: cannot get its MAC address", port));
        std::printf("Port %u, MAC address: " RTE_ETHER_ADDR_PRT_FMT "\n\n", port,
                    RTE_ETHER_ADDR_BYTES(&shared->port_mac[port]));
    }
    // The master owns the ports: it stops and closes them after its slaves.
    mp::PortsGuard ports_guard(setup.ports);
    mp::wait_for_links(setup.ports);

    TelemetryPublisher telemetry(*shared, setup.ports, pools.all());
    eal.mark_ready();
    std::string failure;
    bool killed_in_start_up = false;
    {
        Master master(*shared, pools, std::move(setup));
        failure = master.run();
        killed_in_start_up = master.killed_in_start_up();
    }
    // Every slave has ended. What is left frees DPDK memory, which waits for
    // any lock a killed slave left held: bounded, and not tried at all when a
    // slave was killed where it could have left one.
    exit_watchdog.emplace("l2fwd_fork", "exit", mp::default_exit_limit,
                          mp::held_lock_exit_hint);
    if (killed_in_start_up) {
        mp::log(RTE_LOG_WARNING, "a slave was killed during its start-up, where DPDK may have "
                "left a lock in the shared memory held: leaving the ports, pools and shared "
                "memory as they are");
        ports_guard.stop_only();
        pools.keep();
        (void)shared.release();
        eal.keep_shared_state_at_exit();
    }
    if (!failure.empty())
        throw mp::StartupError(failure);
    return 0;
}

} // namespace l2fwd_fork
