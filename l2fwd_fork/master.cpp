/* SPDX-License-Identifier: BSD-3-Clause */
// The master process: sets up ports, pools and the shared memzone, then runs
// the supervision loop: starts one slave per planned worker lcore, keeps
// standby slaves (standbys.hpp), prints statistics, and recovers groups of
// slaves when one of them dies (see docs/l2fwd_fork.rst). Telemetry, pool
// renewal, reaping and the runtime-file clean-up live in their own units.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mempool.h>

#include <mp/all.hpp>

#include "app.hpp"
#include "background.hpp"
#include "cpus.hpp"
#include "doorbell.hpp"
#include "launch_slot.hpp"
#include "launcher.hpp"
#include "lcore_ids.hpp"
#include "port_pools.hpp"
#include "reaper.hpp"
#include "shared.hpp"
#include "slave_command.hpp"
#include "standbys.hpp"
#include "stats.hpp"
#include "supervisor.hpp"
#include "telemetry.hpp"
#include "topology.hpp"

namespace l2fwd_fork {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How long a slave has to act on STOP before it is killed.
constexpr milliseconds stop_timeout{500};
// A slave that ends this many times in a row before forwarding is not restarted.
constexpr unsigned max_failed_starts = 5;
// How long a slave or a standby has to finish its start-up before it is killed.
constexpr std::chrono::seconds start_limit{5};
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

// ---- the master ------------------------------------------------------------
struct MasterSetup {
    Options options;
    std::string argv0;
    std::string file_prefix;
    std::vector<std::string> inherited; // EAL options the slaves get too
    std::vector<uint16_t> ports;
    Topology topology;
};

// What the spawner thread does for one standby: fork and exec it, publish its
// pid (or -errno) in the standby table, ring the master's doorbell. The
// spawner lives as long as the master, so its children's PR_SET_PDEATHSIG
// holds (launcher.hpp).
struct SpawnRequest {
    unsigned standby = 0;
    std::vector<std::string> argv;
};

struct SpawnOne {
    SharedState* shared = nullptr;
    int program_fd = -1;
    void operator()(const SpawnRequest& request) const
    {
        shared->standbys[request.standby].pid.store(start_process(program_fd, request.argv),
                                                    std::memory_order_release);
        Doorbell(shared->doorbell).ring();
    }
};

class Master {
public:
    Master(SharedState& shared, PortPools& pools, MasterSetup setup)
        : shared_(shared), pools_(pools), setup_(std::move(setup)),
          lcore_ids_(shared.lcore_owner), supervisor_(setup_.topology.group, stop_timeout,
                                                      max_failed_starts, start_limit),
          cpus_(master_cpus()), doorbell_(shared.doorbell),
          standbys_(standby_plan(setup_.topology.group, setup_.options.floating),
                    start_limit, max_failed_starts),
          standby_record_(standbys_.size())
    {
        for (unsigned s = 0; s < setup_.topology.slaves.size(); ++s) {
            slots_.push_back(std::make_unique<Slot>());
            slots_.back()->master = this;
            slots_.back()->index = s;
        }
    }
    Master(const Master&) = delete;
    Master& operator=(const Master&) = delete;

    // On any way out: no slave, standby or launcher may outlive the master's
    // objects. Each round kills what runs, so every launcher returns.
    ~Master()
    {
        spawner_.finish(false); // every standby asked for is now forked, or never will be
        for (unsigned k = 0; k < standbys_.size(); ++k)
            if (standbys_.state(k) == StandbyBook::State::spawning)
                take_spawned(k, Clock::now());
        while (true) {
            const uint32_t rung = doorbell_.rung();
            const bool slaves_left = end_slaves_now();
            const bool standbys_left = end_standbys_now();
            if (!slaves_left && !standbys_left)
                break;
            doorbell_.wait(rung, max_sleep);
        }
    }

    // Starts the slaves and looks after them until Ctrl-C (or SIGTERM); returns
    // once every slave and standby has ended: empty, or why a slave could not
    // be kept running. Nothing in the loop waits for more than max_sleep.
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
            look_after_slaves(now);
            look_after_standbys(now);
            if (supervisor_.shutting_down() && supervisor_.all_ended() && standbys_.all_gone())
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

private:
    struct Slot {
        Master* master = nullptr;
        unsigned index = 0;
        LaunchSlot launch;
        bool was_ready = false; // this launch's slave has been ready
        bool from_scratch = false; // started without a standby
        pid_t previous_pid = 0;
        pid_t adopted = 0;      // the standby this launch gave the slave's place
        std::optional<unsigned> record; // ... and its standby record
        int32_t lcore_tag = 0;  // -f: the owner tag of its lcore id
        // Where a recovery's time went, for its log line: when the previous
        // process ended, when this launch came and from what, when it was ready.
        Clock::time_point previous_end{};
        Clock::time_point launched_at{};
        Clock::time_point ready_at{};
        std::string origin;
    };

    static int launcher_main(void* arg)
    {
        auto& slot = *static_cast<Slot*>(arg);
        slot.launch.finish(slot.adopted > 0 ? wait_for_end(slot.adopted)
                                            : slot.master->start_and_wait(slot.index));
        slot.master->doorbell_.ring(); // the exit notification
        return 0;
    }

    void look_after_slaves(Clock::time_point now)
    {
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
    }

    // ---- standbys (standbys.hpp) ----
    // With -f the owner tag of the lcore id a standby (by its record) holds.
    static int32_t standby_tag(unsigned r) { return RTE_MAX_LCORE + 1 + static_cast<int32_t>(r); }

    // The standby record of entry k.
    StandbyRecord& record_of(unsigned k) { return shared_.standbys[standby_record_[k]]; }

    void look_after_standbys(Clock::time_point now)
    {
        for (unsigned k = 0; k < standbys_.size(); ++k) {
            const StandbyBook::State state = standbys_.state(k);
            if (state == StandbyBook::State::spawning)
                take_spawned(k, now);
            else if (state != StandbyBook::State::empty)
                if (const auto end = end_if_ended(standbys_.pid(k)))
                    collect_standby(k, *end);
            if (standbys_.state(k) == StandbyBook::State::starting &&
                record_of(k).ready_pid.load(std::memory_order_acquire) == standbys_.pid(k))
                standbys_.ready(k);
        }
        if (supervisor_.shutting_down())
            for (unsigned k : standbys_.retire(now, stop_timeout))
                send_assignment(standby_record_[k], StandbyRecord::retire);
        for (unsigned k : standbys_.overdue(now)) {
            mp::log(RTE_LOG_WARNING, "standby %u (pid %d) %s: killing it", k, standbys_.pid(k),
                    standbys_.state(k) == StandbyBook::State::retiring
                        ? "did not exit when told to"
                        : "was not ready within the start limit");
            kill(standbys_.pid(k), SIGKILL);
        }
        // New standbys wait while a slave starts from scratch: start-ups go one
        // at a time (the start-up gate), and that slave comes first.
        if (!starting_from_scratch())
            for (unsigned k : standbys_.to_start())
                start_standby(k);
    }

    bool starting_from_scratch() const
    {
        for (unsigned s = 0; s < slots_.size(); ++s)
            if (slots_[s]->from_scratch && supervisor_.state(s) == SlaveState::starting)
                return true;
        return false;
    }

    // A standby record lives as long as its process (a standby given a
    // slave's place may read its assignment late): a free one for each start.
    std::optional<unsigned> free_record() const
    {
        for (unsigned r = 0; r < record_lcore_.size(); ++r)
            if (!record_lcore_[r])
                return r;
        return std::nullopt;
    }

    void start_standby(unsigned k)
    {
        const auto r = free_record();
        unsigned lcore = setup_.topology.slaves[k % slots_.size()].lcore;
        std::vector<unsigned> cpus = cpus_of(rte_lcore_cpuset(lcore));
        const auto id = setup_.options.floating && r ? lcore_ids_.claim(standby_tag(*r))
                                                      : std::optional<unsigned>(lcore);
        if (!r || !id) {
            standbys_.not_started(k);
            return;
        }
        if (setup_.options.floating) {
            lcore = *id;
            cpus = cpus_;
        }
        StandbyRecord& record = shared_.standbys[*r];
        record.pid.store(0);
        record.ready_pid.store(0);
        record.assignment.store(0);
        record_lcore_[*r] = lcore;
        standby_record_[k] = *r;
        spawner_.push({*r, slave_argv({setup_.argv0, setup_.file_prefix, lcore, cpus,
                                       setup_.inherited, *r, true})});
    }

    // The spawner has forked standby k (or failed to).
    void take_spawned(unsigned k, Clock::time_point now)
    {
        const pid_t pid = record_of(k).pid.load(std::memory_order_acquire);
        if (pid > 0 && standbys_.started(k, pid, now))
            send_assignment(standby_record_[k], StandbyRecord::retire);
        if (pid >= 0)
            return;
        mp::log(RTE_LOG_WARNING, "cannot start standby %u: fork failed: %s", k,
                std::strerror(-pid));
        free_standby_record(standby_record_[k]);
        standbys_.not_started(k);
    }

    // Standby record r's process has ended: its lcore id and the record are free.
    void free_standby_record(unsigned r)
    {
        if (setup_.options.floating)
            lcore_ids_.release(*record_lcore_[r], standby_tag(r));
        record_lcore_[r].reset();
    }

    void collect_standby(unsigned k, const LaunchResult& result)
    {
        const bool retiring = standbys_.state(k) == StandbyBook::State::retiring;
        const unsigned lcore = *record_lcore_[standby_record_[k]];
        reaper_.reap(result.pid);
        free_standby_record(standby_record_[k]);
        mp::Eal::remove_runtime_files_of(result.pid);
        const bool by_signal = killed_by_signal(result);
        standbys_.ended(k, !by_signal);
        if (!retiring)
            mp::log(RTE_LOG_WARNING, "standby %u ended: lcore %u, pid %d, %s", k, lcore,
                    result.pid, describe_end(result).c_str());
    }

    void send_assignment(unsigned r, uint32_t assignment)
    {
        shared_.standbys[r].assignment.store(assignment, std::memory_order_release);
        futex_wake_all(shared_.standbys[r].assignment);
    }

    // ~Master: kills every slave still running and collects those that have
    // ended; true while any is left.
    bool end_slaves_now()
    {
        bool left = false;
        for (auto& slot : slots_) {
            if (!slot->launch.outstanding())
                continue;
            SlaveRecord& record = shared_.slaves[slot->index];
            send_command(record.channel, Command::stop);
            if (slot->launch.ended()) {
                const LaunchResult& result =
                    slot->launch.collect([&] { rte_eal_wait_lcore(record.launch_lcore); });
                if (result.pid > 0)
                    reaper_.reap(result.pid);
                continue;
            }
            if (const pid_t pid = record.pid.load(); pid > 0)
                kill(pid, SIGKILL);
            left = true;
        }
        return left;
    }

    // ~Master: the same for the standbys.
    bool end_standbys_now()
    {
        bool left = false;
        for (unsigned k = 0; k < standbys_.size(); ++k) {
            if (standbys_.state(k) == StandbyBook::State::empty)
                continue;
            if (standbys_.state(k) == StandbyBook::State::spawning) {
                standbys_.not_started(k); // never forked
                continue;
            }
            if (const auto end = end_if_ended(standbys_.pid(k))) {
                collect_standby(k, *end);
                continue;
            }
            kill(standbys_.pid(k), SIGKILL);
            left = true;
        }
        return left;
    }

    // ---- slaves ----
    // On a launcher lcore, for a slave started from scratch: pick its lcore
    // id, start it, wait for its end.
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
                                          setup_.inherited, s, false});
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

    // Gives slave s's place to a standby if there is one, else starts it from
    // scratch. A launch that fails ends the slave at once (LaunchSlot): it
    // counts as a failed start, and nothing waits for it.
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
        const auto standby = standbys_.take(s);
        slot.launched_at = now;
        slot.origin = !standby ? std::string("scratch")
                      : standby->state == StandbyBook::State::ready
                          ? std::string("a ready standby")
                          : mp::strprintf("a standby in its start-up for %.0f ms",
                                          to_ms(now - standby->started_at));
        slot.from_scratch = !standby;
        slot.adopted = standby ? standby->pid : 0;
        slot.record.reset();
        slot.lcore_tag = owner_tag(s);
        if (standby) {
            slot.record = standby_record_[standby->k];
            slot.lcore_tag = standby_tag(*slot.record);
            record.lcore.store(*record_lcore_[*slot.record], std::memory_order_release);
            record.pid.store(standby->pid, std::memory_order_release);
        }
        const int ret = test_launch_failure()
                            ? -EBUSY
                            : rte_eal_remote_launch(&Master::launcher_main, &slot,
                                                    record.launch_lcore);
        if (ret == 0) {
            slot.launch.launched();
            if (standby)
                send_assignment(*slot.record, s + 1);
            return;
        }
        if (standby) {
            standbys_.give_back(*standby);
            slot.record.reset();
            slot.lcore_tag = owner_tag(s);
            record.pid.store(0);
        }
        slot.launch.launch_failed(mp::strprintf("cannot launch it on lcore %u: %s",
                                                record.launch_lcore, mp::rte_error_text(ret)));
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
            slots_[s]->ready_at = now;
            const auto recovery = supervisor_.ready(s, now);
            if (slots_[s]->previous_pid == 0)
                mp::log(RTE_LOG_INFO, "slave %u forwarding: lcore %u, pid %d, RX port(s) %s", s,
                        record.lcore.load(), pid, port_list(record).c_str());
            if (recovery)
                report_recovery(*recovery);
        }
    }

    void report_recovery(const Supervisor::Recovery& recovery)
    {
        // The times in brackets count from the first death: where the
        // recovery time went (the partner's stop, waiting for a standby).
        for (unsigned m : recovery.members) {
            const Slot& slot = *slots_[m];
            mp::log(RTE_LOG_INFO,
                    "slave %u restarted: lcore %u, old pid %d, new pid %d, recovery %.1f ms "
                    "(old one ended at %.1f ms, new one from %s at %.1f ms, ready at %.1f ms)",
                    m, shared_.slaves[m].lcore.load(), slot.previous_pid,
                    shared_.slaves[m].pid.load(), to_ms(recovery.elapsed()),
                    to_ms(slot.previous_end - recovery.died_at), slot.origin.c_str(),
                    to_ms(slot.launched_at - recovery.died_at),
                    to_ms(slot.ready_at - recovery.died_at));
        }
        telemetry::record_recovery(recovery.elapsed());
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
            slot.previous_end = result.ended_at;
            const bool asked = supervisor_.ended(s, result.ended_at, by_signal);
            const unsigned lcore = record.lcore.load();
            // The slave's resources that do not wait for its group: its lcore
            // id (the pools it used are renewed before anyone runs on them)
            // and the files EAL left for it.
            if (slot.record)
                free_standby_record(*slot.record);
            else if (setup_.options.floating)
                lcore_ids_.release(lcore, slot.lcore_tag);
            slot.record.reset();
            mp::Eal::remove_runtime_files_of(result.pid);
            report_end(s, result, asked);
        }
    }

    void report_end(unsigned s, const LaunchResult& result, bool asked)
    {
        const SlaveRecord& record = shared_.slaves[s];
        if (asked)
            mp::log(RTE_LOG_INFO, "slave %u stopped: lcore %u, pid %d, %s%s", s,
                    record.lcore.load(), result.pid, describe_end(result).c_str(),
                    record.channel.ack.load() == static_cast<uint32_t>(Command::stop)
                        ? " (STOP acknowledged)"
                        : "");
        else
            mp::log(RTE_LOG_WARNING, "slave %u died: lcore %u, pid %d, %s", s,
                    record.lcore.load(), result.pid, describe_end(result).c_str());
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
            restart(action.members);
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

    void restart(const std::vector<unsigned>& members)
    {
        if (!reclaim(members)) {
            supervisor_.shutdown();
            return;
        }
        for (unsigned m : members) {
            shared_.slaves[m].restarts.fetch_add(1);
            launch(m, Clock::now());
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
        const auto renewed = pools_.renew_stopped(ports);
        if (!renewed.failure.empty()) {
            failure_ = renewed.failure;
            mp::log(RTE_LOG_ERR, "%s", failure_.c_str());
            return false;
        }
        mp::log(RTE_LOG_INFO, "ports%s stopped, mbuf pools renewed in place and started in "
                "%.1f ms",
                renewed.text.c_str(), to_ms(Clock::now() - start));
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
    StandbyBook standbys_;
    std::vector<unsigned> standby_record_; // per standby: its record in SharedState
    // Per standby record: the lcore id of the process using it, if any.
    std::vector<std::optional<unsigned>> record_lcore_ =
        std::vector<std::optional<unsigned>>(RTE_MAX_LCORE);
    Reaper reaper_; // after the destructor's body has handed it every ended process
    BackgroundQueue<SpawnRequest, SpawnOne> spawner_{SpawnOne{&shared_, program_.fd()}};
    std::vector<std::unique_ptr<Slot>> slots_;
    std::string failure_;
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

// What the slaves read from the memzone and nobody changes afterwards, and the
// lcore id table with the master's own ids reserved.
void write_plan(SharedState& shared, const Topology& topology, uint64_t portmask)
{
    shared.header = this_build_header();
    shared.master_pid = getpid();
    shared.n_slaves = static_cast<uint32_t>(topology.slaves.size());
    shared.portmask = portmask;
    for (const auto& [port, dst] : topology.dst_port)
        shared.dst_port[port] = dst;
    for (unsigned s = 0; s < shared.n_slaves; ++s) {
        const SlavePlan& plan = topology.slaves[s];
        SlaveRecord& record = shared.slaves[s];
        record.launch_lcore = static_cast<uint16_t>(plan.lcore);
        record.n_rx_ports = static_cast<uint16_t>(plan.rx_ports.size());
        std::copy(plan.rx_ports.begin(), plan.rx_ports.end(), record.rx_ports);
        record.lcore.store(plan.lcore);
    }
    LcoreIdAllocator(shared.lcore_owner).reset(mp::enabled_lcores());
}

void set_up_ports(const std::vector<uint16_t>& ports, const PortPools& pools,
                  SharedState& shared)
{
    for (uint16_t port : ports) {
        mp::setup_port(port, pools.pool(port), mp::PortSetup{});
        mp::check(rte_eth_macaddr_get(port, &shared.port_mac[port]),
                  mp::strprintf("port %u: cannot get its MAC address", port));
        std::printf("Port %u, MAC address: " RTE_ETHER_ADDR_PRT_FMT "\n\n", port,
                    RTE_ETHER_ADDR_BYTES(&shared.port_mac[port]));
    }
}

} // namespace

int run_master(mp::Eal& eal, const Options& options, const CommandLine& command_line,
               std::optional<mp::Watchdog>& exit_watchdog)
{
    constexpr unsigned min_lcores = 3;
    mp::require_lcores(min_lcores, "the master and at least two slaves");
    MasterSetup setup;
    setup.options = options;
    setup.ports = mp::ports_from_mask(options.portmask);
    setup.topology = plan_topology(setup.ports, mp::worker_lcores(), options.ports_per_lcore);
    setup.argv0 = command_line.argv0;
    setup.file_prefix = eal.file_prefix();
    setup.inherited = inherited_eal_args(command_line.eal_args);
    print_plan(setup.topology);

    auto shared = mp::Memzone<SharedState>::reserve(shared_memzone_name);
    write_plan(*shared, setup.topology, options.portmask);
    PortPools pools(setup.ports);
    set_up_ports(setup.ports, pools, *shared);
    // The master owns the ports: it stops and closes them after its slaves.
    mp::PortsGuard ports_guard(setup.ports);
    mp::wait_for_links(setup.ports);

    telemetry::Publisher telemetry(*shared, setup.ports, pools.all());
    eal.mark_ready();
    std::string failure;
    {
        Master master(*shared, pools, std::move(setup));
        failure = master.run();
    }
    // Every slave has ended. What is left frees DPDK memory, under locks a
    // slave killed in its start-up may have left held: released first, and
    // the exit is bounded all the same.
    exit_watchdog.emplace("l2fwd_fork", "exit", mp::default_exit_limit,
                          mp::held_lock_exit_hint);
    eal.hold_back_startups(mp::default_exit_limit);
    if (!failure.empty())
        throw mp::StartupError(failure);
    return 0;
}

} // namespace l2fwd_fork
