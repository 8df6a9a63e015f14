/* SPDX-License-Identifier: BSD-3-Clause */
// l2fwd_fork as real processes on net_null ports: a master, its slave
// processes, kill -9 of slaves at random moments and the recovery, the slaves'
// CPU affinity and lcore ids, Ctrl-C, kill -9 of the master, bad options.
// The master is watched through its log and its telemetry socket; the slaves
// through /proc.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "process.hpp"

using namespace mptest;
using Clock = std::chrono::steady_clock;

namespace {

// ---- the master's telemetry (the harness's client, kept connected: each new
// connection costs the master a thread) --------------------------------------
// The number under "key" in a telemetry reply; a missing key fails the test.
unsigned long long json_number(const std::string& json, const std::string& key)
{
    std::smatch m;
    if (std::regex_search(json, m, std::regex("\"" + key + "\":\\s*(\\d+)")))
        return std::stoull(m[1]);
    ADD_FAILURE() << "no \"" << key << "\" in the reply: " << json;
    return 0;
}

// The rx counter of `port` in a /l2fwd_fork/stats reply.
unsigned long long port_rx(const std::string& json, unsigned port)
{
    std::smatch m;
    if (std::regex_search(json, m,
                          std::regex("\"port" + std::to_string(port) +
                                     "\":\\s*\\{\"tx\":\\s*\\d+,\\s*\"rx\":\\s*(\\d+)")))
        return std::stoull(m[1]);
    return 0;
}

struct SlaveInfo {
    unsigned index = 0;
    unsigned lcore = 0;
    int pid = 0;
    std::string state;
    unsigned restarts = 0;
    std::string rx_ports;
};

std::vector<SlaveInfo> slaves(Telemetry& telemetry)
{
    const std::string json = telemetry.query("/l2fwd_fork/slaves");
    // Raw telemetry JSON has no spaces; allow them anyway.
    static const std::regex entry(
        "\"(\\d+)\":\\s*\\{\"lcore\":\\s*(\\d+),\\s*\"launch_lcore\":\\s*\\d+,\\s*"
        "\"pid\":\\s*(-?\\d+),\\s*\"state\":\\s*\"(\\w+)\",\\s*\"restarts\":\\s*(\\d+),"
        "\\s*\"rx_ports\":\\s*\"([0-9 ]*)\"\\}");
    std::vector<SlaveInfo> out;
    for (auto it = std::sregex_iterator(json.begin(), json.end(), entry);
         it != std::sregex_iterator(); ++it) {
        const std::smatch& m = *it;
        out.push_back({static_cast<unsigned>(std::stoul(m[1])),
                       static_cast<unsigned>(std::stoul(m[2])), std::stoi(m[3]), m[4],
                       static_cast<unsigned>(std::stoul(m[5])), m[6]});
    }
    return out;
}

// Waits until `n` slaves are running and `accept` holds for them.
template <class Accept>
std::vector<SlaveInfo> wait_for_slaves(Telemetry& telemetry, std::size_t n, Accept accept,
                                       std::chrono::milliseconds timeout = 20s)
{
    std::vector<SlaveInfo> found;
    // Every 10 ms: the recovery times are read off this loop, and each query
    // wakes the master, which shares the CPUs with two busy-polling slaves.
    const bool ok = poll_until(timeout, [&] {
        found = slaves(telemetry);
        const bool all_running =
            found.size() == n && std::all_of(found.begin(), found.end(), [](const auto& s) {
                return s.state == "running" && s.pid > 0;
            });
        return all_running && accept(found);
    }, 10ms);
    return ok ? found : std::vector<SlaveInfo>{};
}

std::vector<SlaveInfo> wait_for_slaves(Telemetry& telemetry, std::size_t n)
{
    return wait_for_slaves(telemetry, n, [](const auto&) { return true; });
}

// ---- /proc -----------------------------------------------------------------
struct ProcInfo {
    std::string comm;
    char state = '?';
    int ppid = 0;
};

std::optional<ProcInfo> proc_info(int pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line))
        return std::nullopt;
    const auto open = line.find('(');
    const auto close = line.rfind(')');
    ProcInfo info;
    info.comm = line.substr(open + 1, close - open - 1);
    std::istringstream rest(line.substr(close + 2));
    rest >> info.state >> info.ppid;
    return info;
}

// The live (not zombie) children of `parent`.
std::vector<int> children(int parent)
{
    std::vector<int> out;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        const std::string name = entry.path().filename();
        if (name.find_first_not_of("0123456789") != std::string::npos)
            continue;
        const auto info = proc_info(std::stoi(name));
        if (info && info->ppid == parent && info->state != 'Z')
            out.push_back(std::stoi(name));
    }
    return out;
}

std::string cpus_allowed(int pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("Cpus_allowed_list:", 0) == 0)
            return line.substr(line.find_first_not_of(" \t", 18));
    return {};
}

// For failure messages: the state and kernel wait channel of each thread of
// each child of `parent`.
std::string describe_children(int parent)
{
    std::string text;
    for (int pid : children(parent)) {
        const std::string dir = "/proc/" + std::to_string(pid) + "/task";
        std::error_code error;
        for (const auto& task : std::filesystem::directory_iterator(dir, error)) {
            std::ifstream stat(task.path() / "stat");
            std::ifstream wchan(task.path() / "wchan");
            std::string line, channel;
            std::getline(stat, line);
            std::getline(wchan, channel);
            text += line.substr(0, line.find(')') + 3) + " wchan=" + channel + "\n";
        }
    }
    return text;
}

bool gone(int pid)
{
    const auto info = proc_info(pid);
    return !info || info->state == 'Z';
}

std::string command_line(int pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::replace(text.begin(), text.end(), '\0', ' ');
    return text;
}

// The master's children waiting as standbys: started with --standby=N (as
// slaves that were standbys were), not slaves now, asleep on a futex. Once `n`
// of them are there, or empty after 20 s.
std::vector<int> wait_for_standbys(const Process& master, Telemetry& telemetry, std::size_t n)
{
    const auto deadline = Clock::now() + 20s;
    while (Clock::now() < deadline) {
        std::set<int> slave_pids;
        for (const SlaveInfo& slave : slaves(telemetry))
            slave_pids.insert(slave.pid);
        std::vector<int> found;
        bool all_waiting = true;
        for (int pid : children(master.pid()))
            if (command_line(pid).find("--standby=") != std::string::npos &&
                !slave_pids.contains(pid)) {
                found.push_back(pid);
                std::ifstream wchan("/proc/" + std::to_string(pid) + "/wchan");
                std::string channel;
                std::getline(wchan, channel);
                all_waiting = all_waiting && channel.find("futex") != std::string::npos;
            }
        if (found.size() == n && all_waiting)
            return found;
        std::this_thread::sleep_for(10ms);
    }
    return {};
}

// ---- the program -----------------------------------------------------------
std::vector<std::string> l2fwd_fork(const DpdkPrefix& prefix, std::string_view lcores,
                                    std::initializer_list<std::string_view> vdevs,
                                    std::vector<std::string> app_args)
{
    return args({{binary("l2fwd_fork")}, eal_args(prefix, lcores, vdevs), {"--"}, app_args});
}

// A master on null ports, started and waited for until `n_slaves` slaves run.
// The prefix is declared first, so the processes go before their files.
struct RunningMaster {
    RunningMaster(std::string_view tag, std::string_view lcores,
                  std::initializer_list<std::string_view> vdevs, std::vector<std::string> app_args,
                  std::size_t n_slaves)
        : prefix(tag), process(l2fwd_fork(prefix, lcores, vdevs, std::move(app_args))),
          telemetry(prefix)
    {
        if (process.expect("APP: Finished Process Init.", 30s))
            slaves = wait_for_slaves(telemetry, n_slaves);
    }
    bool ready() const { return !slaves.empty(); }

    DpdkPrefix prefix;
    Process process;
    Telemetry telemetry;
    std::vector<SlaveInfo> slaves;
};

// The master stops its slaves (500 ms each at most) and frees the ports and
// pools: docs/reliability.rst promises an exit within 5 s of SIGINT.
constexpr auto sigint_limit = 5s;
// A recovery is nearly all the new slaves' start-up (docs/l2fwd_fork.rst:
// median 0.1-0.25 s on an idle machine, 0.4-0.55 s with the CPUs busy
// elsewhere). Load slows a start-up as it slows any process start, so the
// median is held to what a secondary start costs on the machine at the time
// of the test. The two slaves start side by side, and the measured start
// includes an exit a slave does not make: a recovery takes 0.7-0.9 of it
// (load 17-32 on the 2-CPU test machine), so twice that fails. One slow
// recovery is load; one past a few start limits (5 s each) is a stall.
constexpr double recovery_per_start = 1.3;
constexpr double recovery_slack_ms = 100;
constexpr double max_worst_recovery_ms = 20000;

// How long a secondary of `prefix` takes from its exec to its end, as a slave
// starts (same EAL options): the --slave check refuses it right after
// rte_eal_init() and the memzone lookup. The median of `n`.
double secondary_start_ms(const DpdkPrefix& prefix, int n)
{
    std::vector<double> took;
    for (int i = 0; i < n; ++i) {
        const auto started = Clock::now();
        Process probe(args({{binary("l2fwd_fork")},
                            eal_args(prefix, "9@(0,1)", {},
                                     {"--proc-type=secondary", "--no-telemetry",
                                      "--log-level=lib.eal:warning"}),
                            {"--", "--slave=0"}}));
        EXPECT_TRUE(probe.wait_exit(30s)) << probe.output();
        took.push_back(std::chrono::duration<double, std::milli>(Clock::now() - started).count());
    }
    std::sort(took.begin(), took.end());
    return took[took.size() / 2];
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

// Recovery: 20 kills of a floating slave at random moments.
TEST(L2fwdFork, FloatingSlavesRecoverFromTwentyKillsWithoutLeakingMbufs)
{
    // Pinned master lcores, as -l gives them: the master's threads share the
    // CPUs with busy slaves (a main lcore that woke every 1 ms there once
    // stalled the reaping of ended slaves for seconds: docs/l2fwd_fork.rst).
    RunningMaster run("l2ff", "0@0,1@1,2@0", {"net_null0", "net_null1"},
                      {"-p", "3", "-T", "1", "-f"}, 2);
    ASSERT_TRUE(run.ready()) << run.process.output();
    Process& master = run.process;
    Telemetry& telemetry = run.telemetry;
    auto current = run.slaves;
    const double start_before = secondary_start_ms(run.prefix, 3);

    const auto seed = static_cast<unsigned>(Clock::now().time_since_epoch().count());
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 random(seed);
    std::vector<double> appear_ms;
    unsigned long long max_in_use = 0;
    for (int round = 0; round < 20; ++round) {
        SCOPED_TRACE("kill " + std::to_string(round + 1));
        // Floating slaves: lcore ids distinct, not the master's, on every CPU.
        ASSERT_NE(current[0].lcore, current[1].lcore);
        for (const SlaveInfo& s : current) {
            EXPECT_GT(s.lcore, 2U) << "lcores 0-2 are the master's";
            EXPECT_EQ(cpus_allowed(s.pid), "0-1");
            const auto info = proc_info(s.pid);
            ASSERT_TRUE(info);
            EXPECT_EQ(info->comm, "l2fwd_fork");
            EXPECT_EQ(info->ppid, master.pid());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20 + random() % 300));
        const std::string before = telemetry.query("/l2fwd_fork/stats");
        const SlaveInfo victim = current[random() % 2];
        const SlaveInfo partner = current[1 - victim.index];
        const auto killed_at = Clock::now();
        ASSERT_EQ(kill(victim.pid, SIGKILL), 0);

        // New slaves for both: the killed one and the partner it depends on.
        current = wait_for_slaves(telemetry, 2, [&](const std::vector<SlaveInfo>& now) {
            return now[0].pid != victim.pid && now[1].pid != victim.pid &&
                   now[0].pid != partner.pid && now[1].pid != partner.pid;
        });
        ASSERT_EQ(current.size(), 2U) << master.output() << describe_children(master.pid());
        appear_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - killed_at)
                                .count());
        EXPECT_TRUE(gone(partner.pid)) << "the partner was stopped";
        for (const SlaveInfo& s : current)
            EXPECT_EQ(s.restarts, static_cast<unsigned>(round + 1));

        // Forwarding goes on: both ports receive again.
        std::string after;
        poll_until(10s, [&] {
            after = telemetry.query("/l2fwd_fork/stats");
            return port_rx(after, 0) > port_rx(before, 0) && port_rx(after, 1) > port_rx(before, 1);
        }, 10ms);
        EXPECT_GT(port_rx(after, 0), port_rx(before, 0)) << "port 0 forwards again";
        EXPECT_GT(port_rx(after, 1), port_rx(before, 1)) << "port 1 forwards again";
        // Mbufs: the two port pools are renewed, none is left behind, and what
        // is in use is what two slaves hold in flight (bursts, TX buffers).
        EXPECT_EQ(json_number(after, "mempools"), 2U) << after;
        max_in_use = std::max(max_in_use, json_number(after, "mbufs_in_use"));
    }
    // Renewal puts every mbuf back: at most two slaves' bursts and TX buffers
    // (2 x 2 x 32) are out, however many kills came before.
    EXPECT_LE(max_in_use, 128U) << "mbufs in use after a recovery";
    const std::string stats = telemetry.query("/l2fwd_fork/stats");
    EXPECT_EQ(json_number(stats, "recoveries"), 20U);
    // (Load changes during the test: the start-up cost before and after.)
    const double start_ms = std::max(start_before, secondary_start_ms(run.prefix, 3));
    std::printf("[ measured ] a secondary start: %.0f ms\n", start_ms);
    EXPECT_LT(median(appear_ms), recovery_per_start * start_ms + recovery_slack_ms);
    EXPECT_LT(*std::max_element(appear_ms.begin(), appear_ms.end()), max_worst_recovery_ms);
    EXPECT_LT(static_cast<double>(json_number(stats, "worst_recovery_us")) / 1000.0,
              max_worst_recovery_ms);
    EXPECT_GT(json_number(stats, "last_recovery_us"), 0U) << stats;
    std::printf("[ measured ] each kill:");
    for (double ms : appear_ms)
        std::printf(" %.0f", ms);
    std::printf(" ms\n");
    std::printf("[ measured ] new slaves after kill -9: median %.1f ms, worst %.1f ms; master's "
                "recovery: worst %.1f ms; most mbufs in use %llu\n",
                median(appear_ms), *std::max_element(appear_ms.begin(), appear_ms.end()),
                static_cast<double>(json_number(stats, "worst_recovery_us")) / 1000.0,
                max_in_use);
    // The master's own figure, from the death to the group ready (one line
    // per group member: slave 0's).
    std::vector<double> recovery_ms;
    const std::string output = master.output();
    static const std::regex recovery_line("slave 0 restarted: .*, recovery ([0-9.]+) ms");
    for (auto it = std::sregex_iterator(output.begin(), output.end(), recovery_line);
         it != std::sregex_iterator(); ++it)
        recovery_ms.push_back(std::stod((*it)[1]));
    std::sort(recovery_ms.begin(), recovery_ms.end());
    if (!recovery_ms.empty())
        std::printf("[ measured ] master's recovery over %zu kills: median %.1f ms, p90 %.1f ms\n",
                    recovery_ms.size(), median(recovery_ms),
                    recovery_ms[recovery_ms.size() * 9 / 10 - (recovery_ms.size() >= 10 ? 1 : 0)]);

    const std::string log = master.output();
    std::size_t deaths = 0, restarts = 0, stops = 0;
    for (std::size_t at = 0; (at = log.find("APP: slave ", at)) != std::string::npos; ++at) {
        const std::string line = log.substr(at, log.find('\n', at) - at);
        deaths += line.find(" died: ") != std::string::npos;
        restarts += line.find(" restarted: ") != std::string::npos;
        stops += line.find("(STOP acknowledged)") != std::string::npos;
    }
    EXPECT_EQ(deaths, 20U) << log;
    EXPECT_EQ(restarts, 40U) << "each death restarts the pair";
    EXPECT_EQ(stops, 20U) << "each death stops the partner, which acknowledges";
    EXPECT_TRUE(std::regex_search(log, std::regex("APP: slave \\d restarted: lcore \\d+, old pid "
                                                  "\\d+, new pid \\d+, recovery [0-9.]+ ms "
                                                  "\\(old one ended at [0-9.]+ ms, new one "
                                                  "from (a ready standby|a standby in its "
                                                  "start-up for \\d+ ms|scratch) at [0-9.]+ "
                                                  "ms, ready at [0-9.]+ ms\\)")));

    EXPECT_TRUE(stops_on(master, SIGINT, sigint_limit));
}

TEST(L2fwdFork, PinnedSlavesRunOnTheirLcoresCpu)
{
    RunningMaster run("l2fp", "0@0,1@1,2@0", {"net_null0", "net_null1"},
                      {"-p", "3", "-T", "0"}, 2);
    ASSERT_TRUE(run.ready()) << run.process.output();
    Process& master = run.process;
    const auto found = run.slaves;
    EXPECT_EQ(found[0].lcore, 1U);
    EXPECT_EQ(found[0].rx_ports, "0");
    EXPECT_EQ(cpus_allowed(found[0].pid), "1");
    EXPECT_EQ(found[1].lcore, 2U);
    EXPECT_EQ(found[1].rx_ports, "1");
    EXPECT_EQ(cpus_allowed(found[1].pid), "0");
    // The master's children: the slaves and one standby per slave, which runs
    // as that slave's lcore id on its CPU.
    const auto standbys = wait_for_standbys(master, run.telemetry, 2);
    ASSERT_EQ(standbys.size(), 2U) << master.output();
    auto kids = children(master.pid());
    std::sort(kids.begin(), kids.end());
    std::vector<int> expected = {found[0].pid, found[1].pid, standbys[0], standbys[1]};
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(kids, expected) << "the slaves and standbys are the master's children";
    std::set<std::string> standby_cpus;
    for (int pid : standbys)
        standby_cpus.insert(cpus_allowed(pid));
    EXPECT_EQ(standby_cpus, (std::set<std::string>{"0", "1"}));
    EXPECT_NE(master.output().find("lcore 1 and 2 paired"), std::string::npos);
    // -T 0: no statistics while it runs (-T 1 prints them every second).
    EXPECT_FALSE(master.expect("Port statistics", 1500ms)) << master.output();
}

TEST(L2fwdFork, OnlyTheGroupOfTheDeadSlaveIsStoppedAndRestarted)
{
    RunningMaster run("l2fg", "0@0,1@1,2@0,3@1,4@0", {"net_null0", "net_null1", "net_null2", "net_null3"},
                      {"-p", "f", "-T", "0"}, 4);
    ASSERT_TRUE(run.ready()) << run.process.output();
    Process& master = run.process;
    Telemetry& telemetry = run.telemetry;
    const auto before = run.slaves;
    // EAL's files for a secondary carry its pid ("mp_socket_<pid>_<tsc>"...).
    const auto files_of = [&run](int pid) {
        std::vector<std::string> found;
        const std::string tag = "_" + std::to_string(pid) + "_";
        for (const auto& file : std::filesystem::directory_iterator(run.prefix.runtime_dir()))
            if (file.path().filename().string().find(tag) != std::string::npos)
                found.push_back(file.path().filename());
        return found;
    };
    ASSERT_FALSE(files_of(before[2].pid).empty()) << "no runtime file names a slave's pid";

    ASSERT_EQ(kill(before[2].pid, SIGKILL), 0); // receives on port 2, paired with 3
    const auto after = wait_for_slaves(telemetry, 4, [&](const std::vector<SlaveInfo>& now) {
        return now[2].pid != before[2].pid && now[3].pid != before[3].pid;
    });
    ASSERT_EQ(after.size(), 4U) << master.output();
    EXPECT_EQ(after[0].pid, before[0].pid) << "ports 0/1 are another group";
    EXPECT_EQ(after[1].pid, before[1].pid);
    EXPECT_EQ(after[0].restarts, 0U);
    EXPECT_EQ(after[2].restarts, 1U);
    EXPECT_EQ(after[3].restarts, 1U);
    EXPECT_TRUE(gone(before[3].pid));
    EXPECT_TRUE(master.expect_regex("APP: slave 2 died: lcore 3, pid " +
                                    std::to_string(before[2].pid) +
                                    ", killed by signal 9"));
    EXPECT_TRUE(master.expect_regex("APP: stopping slave 3 \\(lcore 4, pid " +
                                    std::to_string(before[3].pid) +
                                    "\\): it depends on slave 2"));
    EXPECT_TRUE(master.expect("APP: slave 3 stopped: lcore 4, pid " +
                              std::to_string(before[3].pid) +
                              ", exited with code 0 (STOP acknowledged)"));
    EXPECT_TRUE(master.expect_regex("ports 2 \\(mbuf_pool_p2, renewal 1\\) 3 \\(mbuf_pool_p3, "
                                    "renewal 1\\) stopped, mbuf pools renewed in place and "
                                    "started"));
    EXPECT_TRUE(master.expect_regex("APP: slave 2 restarted: lcore 3, old pid " +
                                    std::to_string(before[2].pid) + ", new pid " +
                                    std::to_string(after[2].pid)));
    EXPECT_EQ(master.output().find("stopping slave 0"), std::string::npos);
    EXPECT_EQ(master.output().find("stopping slave 1"), std::string::npos);
    // The master removed what EAL left for the two ended slaves.
    EXPECT_EQ(files_of(before[2].pid), std::vector<std::string>{});
    EXPECT_EQ(files_of(before[3].pid), std::vector<std::string>{});
    EXPECT_FALSE(files_of(after[2].pid).empty());
}

// -q 2 -p f: each slave receives on both ports of a pair, so it is a group of
// its own, and a death restarts that slave alone.
TEST(L2fwdFork, WithTwoPortsPerSlaveOnlyTheDeadSlaveRestarts)
{
    RunningMaster run("l2fq", "0@0,1@1,2@0", {"net_null0", "net_null1", "net_null2", "net_null3"},
                      {"-p", "f", "-q", "2", "-T", "0"}, 2);
    ASSERT_TRUE(run.ready()) << run.process.output();
    const auto before = run.slaves;
    EXPECT_EQ(before[0].rx_ports, "0 1");
    EXPECT_EQ(before[1].rx_ports, "2 3");
    ASSERT_EQ(kill(before[0].pid, SIGKILL), 0);
    const auto after = wait_for_slaves(run.telemetry, 2, [&](const std::vector<SlaveInfo>& now) {
        return now[0].pid != before[0].pid;
    });
    ASSERT_EQ(after.size(), 2U) << run.process.output();
    EXPECT_EQ(after[0].restarts, before[0].restarts + 1);
    EXPECT_EQ(after[1].pid, before[1].pid) << "slave 1 shares no port with slave 0";
    EXPECT_EQ(after[1].restarts, before[1].restarts);
    EXPECT_EQ(run.process.output().find("stopping slave"), std::string::npos)
        << run.process.output();
    EXPECT_TRUE(stops_on(run.process, SIGINT, sigint_limit));
}

// A Ctrl-C reaches the slaves too (one process group): they leave their
// stopping to the master. SIGTERM ends a slave, and the master restarts it.
TEST(L2fwdFork, SlavesIgnoreSigintAndAreRestartedAfterSigterm)
{
    RunningMaster run("l2ft", "0@0,1@1,2@0", {"net_null0", "net_null1"},
                      {"-p", "3", "-T", "0"}, 2);
    ASSERT_TRUE(run.ready()) << run.process.output();
    const auto before = run.slaves;
    ASSERT_EQ(kill(before[0].pid, SIGINT), 0);
    ASSERT_EQ(kill(before[1].pid, SIGINT), 0);
    // Nothing to wait for but time: neither may end within it.
    EXPECT_FALSE(poll_until(1s, [&] { return gone(before[0].pid) || gone(before[1].pid); }))
        << run.process.output();

    ASSERT_EQ(kill(before[1].pid, SIGTERM), 0);
    const auto after = wait_for_slaves(run.telemetry, 2, [&](const std::vector<SlaveInfo>& now) {
        return now[0].pid != before[0].pid && now[1].pid != before[1].pid;
    });
    ASSERT_EQ(after.size(), 2U) << run.process.output();
    EXPECT_EQ(after[1].restarts, before[1].restarts + 1);
    EXPECT_TRUE(run.process.expect("APP: slave 1 restarted: lcore " +
                                   std::to_string(before[1].lcore) + ", old pid " +
                                   std::to_string(before[1].pid)))
        << run.process.output();
    EXPECT_TRUE(stops_on(run.process, SIGINT, sigint_limit));
}

TEST(L2fwdFork, CtrlCStopsEverySlaveAndPrintsBalancedStatistics)
{
    RunningMaster run("l2fc", "0@0,1@1,2@0", {"net_null0", "net_null1"},
                      {"-p", "3", "-T", "1", "-f"}, 2);
    ASSERT_TRUE(run.ready()) << run.process.output();
    Process& master = run.process;
    const auto found = run.slaves;
    ASSERT_TRUE(master.expect("Aggregate statistics", 20s)) << "statistics every second";
    // Every key docs/l2fwd_fork.rst lists (json_number fails on a missing one).
    const std::string stats = run.telemetry.query("/l2fwd_fork/stats");
    for (const char* key : {"total_tx", "total_rx", "total_dropped", "mempools", "mbufs_in_use",
                            "recoveries", "last_recovery_us", "worst_recovery_us"})
        json_number(stats, key);
    EXPECT_GT(json_number(stats, "total_rx"), 0U) << stats;
    EXPECT_EQ(json_number(stats, "recoveries"), 0U) << stats;
    EXPECT_NE(run.telemetry.query("/l2fwd_fork/slaves").find("\"launch_lcore\":1,"),
              std::string::npos);
    EXPECT_TRUE(stops_on(master, SIGINT, sigint_limit));
    const std::string log = master.output();
    // A pipe is not a terminal: no screen clearing between the statistics.
    EXPECT_EQ(log.find("\033[2J"), std::string::npos);
    const auto signal_at = log.find("Signal 2 received, preparing to exit...");
    ASSERT_NE(signal_at, std::string::npos) << log;
    const std::string tail = log.substr(signal_at);
    EXPECT_NE(tail.find("slave 0 stopped: lcore " + std::to_string(found[0].lcore) + ", pid " +
                        std::to_string(found[0].pid) +
                        ", exited with code 0 (STOP acknowledged)"),
              std::string::npos)
        << tail;
    EXPECT_NE(tail.find("slave 1 stopped: lcore " + std::to_string(found[1].lcore) + ", pid " +
                        std::to_string(found[1].pid) +
                        ", exited with code 0 (STOP acknowledged)"),
              std::string::npos)
        << tail;
    // The last statistics, from stdout alone: read apart from stderr (the log
    // lines), so that no log line lands inside them.
    const std::string out = master.standard_output();
    const auto last_at = out.rfind("Port statistics");
    ASSERT_NE(last_at, std::string::npos) << out;
    const std::string last = out.substr(last_at);
    // Every slave sent out what it had buffered: sent + dropped == received.
    const auto sent = last_number_after(last, "Total packets sent:");
    const auto received = last_number_after(last, "Total packets received:");
    const auto dropped = last_number_after(last, "Total packets dropped:");
    ASSERT_TRUE(sent && received && dropped) << last;
    EXPECT_GT(*received, 0U);
    EXPECT_EQ(*sent + *dropped, *received);
    // And port by port: what came in on p went out on its pair p^1, or was
    // dropped there.
    std::map<unsigned, std::array<unsigned long long, 3>> ports; // sent, received, dropped
    static const std::regex port_block("Statistics for port (\\d+) -+\\nPackets sent: +(\\d+)\\n"
                                       "Packets received: +(\\d+)\\nPackets dropped: +(\\d+)");
    for (auto it = std::sregex_iterator(last.begin(), last.end(), port_block);
         it != std::sregex_iterator(); ++it)
        ports[std::stoul((*it)[1])] = {std::stoull((*it)[2]), std::stoull((*it)[3]),
                                       std::stoull((*it)[4])};
    ASSERT_EQ(ports.size(), 2U) << last;
    for (unsigned p : {0U, 1U}) {
        EXPECT_GT(ports[p][1], 0U) << "port " << p;
        EXPECT_EQ(ports[p][1], ports[p ^ 1][0] + ports[p ^ 1][2]) << "port " << p << "\n" << last;
    }
    EXPECT_TRUE(gone(found[0].pid) && gone(found[1].pid));
}

TEST(L2fwdFork, KillingTheMasterLeavesNoSlave)
{
    RunningMaster run("l2fk", "0@0,1@1,2@0", {"net_null0", "net_null1"},
                      {"-p", "3", "-T", "0"}, 2);
    ASSERT_TRUE(run.ready()) << run.process.output();
    Process& master = run.process;
    const auto found = run.slaves;
    ASSERT_EQ(wait_for_standbys(master, run.telemetry, 2).size(), 2U) << master.output();
    const std::vector<int> kids = children(master.pid());
    ASSERT_EQ(kill(master.pid(), SIGKILL), 0); // the master alone, not its group
    const auto exit = master.wait_exit(10s);
    ASSERT_TRUE(exit);
    EXPECT_EQ(exit->signal, SIGKILL);
    poll_until(10s, [&] { return std::all_of(kids.begin(), kids.end(), gone); });
    EXPECT_TRUE(gone(found[0].pid)) << "slave " << found[0].pid << " outlived the master";
    EXPECT_TRUE(gone(found[1].pid)) << "slave " << found[1].pid << " outlived the master";
    for (int pid : kids)
        EXPECT_TRUE(gone(pid)) << "process " << pid << " (a standby) outlived the master";
}

// With -f, new slaves are standbys that had started before the kill; standbys
// killed at any moment (in their start-up, asleep, just given a place) block
// nothing, leak no lcore id and no mbuf, and the master still stops on Ctrl-C.
TEST(L2fwdFork, StandbysReplaceKilledSlavesAndStandbyKillsBlockNothing)
{
    RunningMaster run("l2fy", "0@0,1@1,2@0", {"net_null0", "net_null1"},
                      {"-p", "3", "-T", "0", "-f"}, 2);
    ASSERT_TRUE(run.ready()) << run.process.output();
    Process& master = run.process;
    // Four recoveries of the pair: eight standbys.
    const auto standbys = wait_for_standbys(master, run.telemetry, 8);
    ASSERT_EQ(standbys.size(), 8U) << master.output();
    ASSERT_EQ(kill(run.slaves[0].pid, SIGKILL), 0);
    auto now = wait_for_slaves(run.telemetry, 2, [&](const std::vector<SlaveInfo>& found) {
        return found[0].pid != run.slaves[0].pid && found[1].pid != run.slaves[1].pid;
    }, 10s);
    ASSERT_EQ(now.size(), 2U) << master.output();
    for (const SlaveInfo& slave : now)
        EXPECT_NE(std::find(standbys.begin(), standbys.end(), slave.pid), standbys.end())
            << "slave " << slave.index << " (pid " << slave.pid << ") was not a standby";

    const auto seed = static_cast<unsigned>(Clock::now().time_since_epoch().count());
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 random(seed);
    std::set<int> killed;
    for (int round = 0; round < 12; ++round) {
        // A standby, 0-300 ms after it appeared (start-up, asleep), or a slave
        // (every third round), whose place goes to a standby perhaps just
        // killed or still starting.
        std::this_thread::sleep_for(std::chrono::milliseconds(random() % 300));
        std::vector<int> targets;
        for (int pid : children(master.pid()))
            if (!killed.contains(pid) && (round % 3 == 2) ==
                                             (command_line(pid).find("--standby=") ==
                                              std::string::npos))
                targets.push_back(pid);
        if (targets.empty())
            continue;
        const int victim = targets[random() % targets.size()];
        killed.insert(victim);
        kill(victim, SIGKILL);
    }
    now = wait_for_slaves(run.telemetry, 2, [&](const std::vector<SlaveInfo>& found) {
        return !killed.contains(found[0].pid) && !killed.contains(found[1].pid);
    }, 20s);
    ASSERT_EQ(now.size(), 2U) << master.output() << describe_children(master.pid());
    // Ids are claimed lowest first: a leaked id would push these up. The master
    // has 0-2; two slaves and eight standbys need 3-12.
    for (const SlaveInfo& slave : now)
        EXPECT_LE(slave.lcore, 12U) << "an lcore id was leaked";
    ASSERT_EQ(wait_for_standbys(master, run.telemetry, 8).size(), 8U) << master.output();
    const std::string stats = run.telemetry.query("/l2fwd_fork/stats");
    EXPECT_LE(json_number(stats, "mbufs_in_use"), 128U) << stats;

    const auto signalled = Clock::now();
    master.signal(SIGINT);
    const auto exit = master.wait_exit(10s);
    ASSERT_TRUE(exit) << master.output() << describe_children(master.pid());
    EXPECT_EQ(exit->code, 0) << master.output();
    EXPECT_LT(Clock::now() - signalled, 5s);
}

struct BadStart {
    const char* lcores;
    std::vector<std::string> app_args;
    const char* error;
};

TEST(L2fwdFork, EachBadStartFailsWithOneClearLine)
{
    const std::vector<BadStart> cases = {
        {"0@0,1@1,2@0", {}, "missing option -p (the hexadecimal mask of the ports to forward)"},
        {"0@0,1@1,2@0", {"-p", "3", "-q", "0"},
         "invalid value '0' for -q: expected a number from 1 to 16"},
        {"0@0,1@1,2@0", {"-p", "3", "-q", "17"},
         "invalid value '17' for -q: expected a number from 1 to 16"},
        {"0@0,1@1,2@0", {"-p", "3", "-T", "86401"},
         "invalid value '86401' for -T: expected a number from 0 to 86400"},
        {"0@0,1@1,2@0", {"-p", "3", "-T", "ten"},
         "invalid value 'ten' for -T: expected a number from 0 to 86400"},
        {"0@0,1@1,2@0", {"-p", "3", "-f1"}, "option -f takes no value"},
        {"0@0,1@1,2@0", {"-p"}, "option -p needs a value"},
        {"0@0,1@1,2@0", {"-p", "0"}, "portmask '0' selects no port"},
        {"0@0,1@1,2@0", {"-p", "zz"}, "invalid portmask 'zz'"},
        {"0@0,1@1,2@0", {"-p", "4"}, "portmask 0x4 selects port 2, which does not exist"},
        {"0@0,1@1,2@0", {"-p", "1"}, "portmask 0x1 selects 1 ports: an even number is needed"},
        {"0@0,1@1", {"-p", "3"},
         "need at least 3 lcores (the master and at least two slaves), but the EAL arguments "
         "give 2"},
        {"0@0,1@1,2@0", {"-p", "3", "-x"}, "unknown option '-x'"},
        {"0@0,1@1,2@0", {"-p", "3", "--slave=0"},
         "--slave is for the slave processes the master starts"},
    };
    for (const BadStart& bad : cases) {
        SCOPED_TRACE(bad.error);
        DpdkPrefix prefix("l2fb");
        Process process(l2fwd_fork(prefix, bad.lcores, {"net_null0", "net_null1"}, bad.app_args));
        EXPECT_TRUE(refused(process, "l2fwd_fork", std::string("l2fwd_fork: error: ") + bad.error));
        EXPECT_TRUE(prefix.leftovers().empty()) << "hugepage files or runtime folder left";
    }
}

TEST(L2fwdFork, NotEnoughLcoresForThePortsOrASecondaryStartAreRefused)
{
    {
        DpdkPrefix prefix("l2fn");
        Process process(l2fwd_fork(prefix, "0@0,1@1,2@0",
                                   {"net_null0", "net_null1", "net_null2", "net_null3"},
                                   {"-p", "f"}));
        EXPECT_TRUE(refused(process, "l2fwd_fork",
                            "l2fwd_fork: error: not enough lcores: 4 ports at 1 per slave need 4 "
                            "slave lcores"));
        EXPECT_TRUE(prefix.leftovers().empty());
    }
    DpdkPrefix prefix("l2fs");
    Process primary(l2fwd_fork(prefix, "0@0,1@1,2@0", {"net_null0", "net_null1"},
                               {"-p", "3", "-T", "0"}));
    ASSERT_TRUE(primary.expect("APP: Finished Process Init.", 30s)) << primary.output();
    Process secondary(args({{binary("l2fwd_fork")},
                            eal_args(prefix, "5@1", {}, {"--proc-type=secondary"}),
                            {"--", "-p", "3"}}));
    EXPECT_TRUE(refused(secondary, "l2fwd_fork", "l2fwd_fork: error: l2fwd_fork runs as the master"));
    Process impostor(args({{binary("l2fwd_fork")},
                           eal_args(prefix, "6@1", {}, {"--proc-type=secondary"}),
                           {"--", "--slave=0"}}));
    EXPECT_TRUE(refused(impostor, "l2fwd_fork",
                        "l2fwd_fork: error: --slave=0: this process was not started by the "
                        "master"));
    EXPECT_TRUE(primary.running());
}

// The slaves of l2fwd_fork: children of `master` that are not zombies.
std::vector<int> live_slaves(const Process& master)
{
    return children(master.pid());
}

// Kills slaves while they are still starting (inside rte_eal_init, where
// DPDK's shared locks can be left held), in many runs: each time the master
// recovers the pair and ends on SIGINT within 2 s. The master once waited here
// for good, in the pool renewal, for the memory lock.
TEST(L2fwdFork, SlaveKilledDuringStartUpIsRecoveredAndTheMasterStillExitsOnCtrlC)
{
    const auto seed = static_cast<unsigned>(Clock::now().time_since_epoch().count());
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 random(seed);
    for (int run = 0; run < 8; ++run) {
        SCOPED_TRACE("run " + std::to_string(run + 1));
        DpdkPrefix prefix("l2fu");
        Process master(l2fwd_fork(prefix, "0@0,1@1,2@0", {"net_null0", "net_null1"},
                                  {"-p", "3", "-T", "1"}));
        ASSERT_TRUE(master.expect("APP: Finished Process Init.", 30s)) << master.output();
        // Three kills: 0-300 ms after the start, then each 0-100 ms after the
        // next slave has appeared, so that most land inside a start-up.
        std::set<int> victims;
        for (int kill_number = 0; kill_number < 3; ++kill_number) {
            std::this_thread::sleep_for(
                std::chrono::milliseconds(random() % (kill_number == 0 ? 300 : 100)));
            std::vector<int> fresh;
            const auto deadline = Clock::now() + 5s;
            while (fresh.empty() && Clock::now() < deadline) {
                for (int pid : live_slaves(master))
                    if (!victims.contains(pid))
                        fresh.push_back(pid);
                std::this_thread::sleep_for(1ms);
            }
            ASSERT_FALSE(fresh.empty()) << master.output();
            const int victim = fresh[random() % fresh.size()];
            victims.insert(victim);
            kill(victim, SIGKILL); // it may have ended on a STOP meanwhile
        }

        Telemetry telemetry(prefix);
        const auto now = wait_for_slaves(telemetry, 2, [&](const std::vector<SlaveInfo>& found) {
            return !victims.contains(found[0].pid) && !victims.contains(found[1].pid);
        });
        ASSERT_EQ(now.size(), 2U) << master.output() << describe_children(master.pid());
        EXPECT_TRUE(master.expect("Aggregate statistics", 5s)) << "statistics go on";

        const auto signalled = Clock::now();
        master.signal(SIGINT);
        const auto exit = master.wait_exit(2s);
        ASSERT_TRUE(exit) << "no exit within 2 s of SIGINT: " << master.output()
                          << describe_children(master.pid());
        EXPECT_EQ(exit->code, 0) << master.output();
        std::printf("[ measured ] run %d: kill at start-up, exit %.0f ms after SIGINT\n", run + 1,
                    std::chrono::duration<double, std::milli>(Clock::now() - signalled).count());
    }
}

// A slave killed inside rte_eal_init can leave DPDK's memory-hotplug lock held
// for reading (lock_holder plays it): creating or freeing a pool then waits for
// good. The master's recovery touches neither, so the pair comes back.
TEST(L2fwdFork, RecoveryDoesNotWaitForTheMemoryLockAKilledSlaveLeftHeld)
{
    RunningMaster run("l2fl", "0@0,1@1,2@0", {"net_null0", "net_null1"},
                      {"-p", "3", "-T", "0", "-f"}, 2);
    ASSERT_TRUE(run.ready()) << run.process.output();
    // Its hold stays, as a killed slave's would.
    ASSERT_NE(leave_lock_held(run.prefix, "--read", "9@1"), 0);
    for (int round = 0; round < 3; ++round) {
        const auto before = slaves(run.telemetry);
        ASSERT_EQ(before.size(), 2U);
        ASSERT_EQ(kill(before[round % 2].pid, SIGKILL), 0);
        const auto after =
            wait_for_slaves(run.telemetry, 2, [&](const std::vector<SlaveInfo>& now) {
                return now[0].pid != before[0].pid && now[1].pid != before[1].pid;
            }, 10s);
        ASSERT_EQ(after.size(), 2U) << "round " << round << ": " << run.process.output()
                                    << describe_children(run.process.pid());
    }
    // Leaving frees DPDK memory, which waits for that lock: bounded, one line.
    run.process.signal(SIGINT);
    const auto exit = run.process.wait_exit(10s);
    ASSERT_TRUE(exit) << run.process.output();
    if (exit->code != 0) {
        EXPECT_NE(run.process.errors().find("l2fwd_fork: error: exit did not finish within 5 s: "
                                            "a DPDK lock in the shared memory is held"),
                  std::string::npos)
            << run.process.errors();
    }
}

// A slave of another build (another layout of the shared state) refuses at
// once, with one line naming both versions.
TEST(L2fwdFork, SlaveOfAnotherBuildRefusesWithOneLine)
{
    RunningMaster run("l2fv", "0@0,1@1,2@0", {"net_null0", "net_null1"},
                      {"-p", "3", "-T", "0"}, 2);
    ASSERT_TRUE(run.ready()) << run.process.output();
    Process other(args({{build_root() + "/tests/l2fwd_fork/l2fwd_fork_other_layout"},
                        eal_args(run.prefix, "6@1", {}, {"--proc-type=secondary"}),
                        {"--", "--slave=0"}}));
    EXPECT_TRUE(refused(other, "l2fwd_fork", "this program expects version 999"));
    EXPECT_TRUE(std::regex_search(
        other.errors(),
        std::regex("l2fwd_fork: error: --slave=0: the master's shared state has layout "
                   "version [0-9]+ \\([0-9]+ bytes\\), this program expects version 999 "
                   "\\([0-9]+ bytes\\): it is another build of l2fwd_fork\n")))
        << other.errors();
    EXPECT_TRUE(run.process.running());
}

// The program file is replaced during a run (a rebuild, a reinstall): the
// master still starts slaves of its own build, from the file it was started
// from, and they forward.
TEST(L2fwdFork, ARebuildDuringTheRunDoesNotChangeTheSlaves)
{
    const std::filesystem::path dir =
        std::filesystem::temp_directory_path() / ("l2fwd_fork_rebuild_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    const std::filesystem::path program = dir / "l2fwd_fork";
    std::filesystem::copy_file(binary("l2fwd_fork"), program,
                               std::filesystem::copy_options::overwrite_existing);
    DpdkPrefix prefix("l2fr");
    Process master(args({{program.string()},
                         eal_args(prefix, "0@0,1@1,2@0", {"net_null0", "net_null1"}),
                         {"--", "-p", "3", "-T", "0", "-f"}}));
    Telemetry telemetry(prefix);
    ASSERT_TRUE(master.expect("APP: Finished Process Init.", 30s)) << master.output();
    const auto before = wait_for_slaves(telemetry, 2);
    ASSERT_EQ(before.size(), 2U) << master.output();

    // As a linker or an installer does: a new file under the same name.
    const std::filesystem::path fresh = dir / "l2fwd_fork.new";
    std::filesystem::copy_file(build_root() + "/tests/l2fwd_fork/l2fwd_fork_other_layout", fresh);
    std::filesystem::rename(fresh, program);

    ASSERT_EQ(kill(before[0].pid, SIGKILL), 0);
    const auto after = wait_for_slaves(telemetry, 2, [&](const std::vector<SlaveInfo>& now) {
        return now[0].pid != before[0].pid && now[1].pid != before[1].pid;
    }, 10s);
    std::filesystem::remove_all(dir);
    ASSERT_EQ(after.size(), 2U) << master.output();
    EXPECT_EQ(master.output().find("another build"), std::string::npos) << master.output();
}

// Every launch of a slave fails (as rte_eal_remote_launch() can): the master
// counts each as a failed start, gives up with one line and exits, rather than
// wait for a launcher that never ran.
TEST(L2fwdFork, FailedLaunchesEndTheRunWithOneLineInsteadOfHanging)
{
    DpdkPrefix prefix("l2fx");
    setenv("MP_FAIL_LAUNCH", "1", 1);
    Process master(l2fwd_fork(prefix, "0@0,1@1,2@0", {"net_null0", "net_null1"},
                              {"-p", "3", "-T", "0"}));
    unsetenv("MP_FAIL_LAUNCH");
    EXPECT_TRUE(refused(master, "l2fwd_fork",
                        "ended 5 times in a row before it could forward: giving up"));
    // The slave it gave up on was tried exactly 5 times.
    const std::string log = master.output();
    std::smatch given_up;
    ASSERT_TRUE(std::regex_search(log, given_up, std::regex("error: slave (\\d+) ")));
    const std::regex failed_start("slave " + given_up[1].str() + " [^\n]*was not started");
    const auto tries = std::distance(std::sregex_iterator(log.begin(), log.end(), failed_start),
                                     std::sregex_iterator());
    EXPECT_EQ(tries, 5) << log;
}

} // namespace
