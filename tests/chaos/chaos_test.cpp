/* SPDX-License-Identifier: BSD-3-Clause */
// Chaos: one process of each program is killed (kill -9) over and over at a
// random instant 0-150 or 0-600 ms after it was started, start-up included,
// and started again, while the others run. Then:
//  - the survivors kept working all along;
//  - a fresh process works within 5 s of its start;
//  - every process stops on SIGINT, with exit code 0;
//  - the mbufs add up: what is missing from the pool is what the kills lost,
//    at most a bound per kill, never a negative count (an mbuf twice).
//
// MP_CHAOS_KILLS sets the kills per program (default 40, the quick setting of
// `meson test --suite chaos`; scripts/chaos.sh runs 200), MP_CHAOS_SEED the
// random seed (printed), MP_CHAOS_FIGURES a file to which each program appends
// one line of figures (kills, start-up deaths, mbufs lost, recovery times).
// MP_CHAOS_KILL_EVERY_MS=N makes the l2fwd_fork storm kill a live slave every
// N ms without waiting for the new pair, and report the master's own recovery
// times (run one program with --gtest_filter='*L2fwd*'). MP_CHAOS_MASTER_LOG=FILE
// writes the l2fwd_fork master's output to FILE at the end: its "restarted"
// lines say where each recovery's time went.

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "process.hpp"

using namespace mptest;
using Clock = std::chrono::steady_clock;

namespace {

unsigned env_number(const char* name, unsigned fallback)
{
    const char* text = std::getenv(name);
    return text != nullptr && *text != '\0' ? static_cast<unsigned>(std::stoul(text)) : fallback;
}

const unsigned kills = env_number("MP_CHAOS_KILLS", 40);
// l2fwd_fork only: kill a slave every this many ms, recovered or not (0: the
// usual storm, which waits for each new pair).
const unsigned kill_every_ms = env_number("MP_CHAOS_KILL_EVERY_MS", 0);
const unsigned seed = env_number("MP_CHAOS_SEED", std::random_device{}());

// How long a fresh process may take to work, from its exec.
constexpr auto fresh_process_limit = 5s;
constexpr auto exit_limit = 5s;

double milliseconds_since(Clock::time_point start)
{
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double percentile(std::vector<double> values, double fraction)
{
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    return values[static_cast<std::size_t>(fraction * static_cast<double>(values.size() - 1))];
}

// What one program's storm showed.
struct Figures {
    std::string program;
    unsigned kills = 0;
    unsigned killed_in_startup = 0; // killed before "Finished Process Init."
    long long lost_mbufs = 0;
    std::vector<double> recovery_ms; // a fresh process (or pair) working again

    void report() const
    {
        const double per_kill = kills ? static_cast<double>(lost_mbufs) / kills : 0;
        std::printf("[ measured ] %s: %u kills (%u in start-up), %lld mbufs lost (%.1f per kill)",
                    program.c_str(), kills, killed_in_startup, lost_mbufs, per_kill);
        if (!recovery_ms.empty())
            std::printf(", working again after median %.0f ms, p90 %.0f ms",
                        percentile(recovery_ms, 0.5), percentile(recovery_ms, 0.9));
        std::printf(", seed %u\n", seed);
        if (const char* path = std::getenv("MP_CHAOS_FIGURES"); path != nullptr && *path != '\0') {
            std::ofstream out(path, std::ios::app);
            out << program << ',' << kills << ',' << killed_in_startup << ',' << lost_mbufs << ','
                << per_kill << ',' << percentile(recovery_ms, 0.5) << ','
                << percentile(recovery_ms, 0.9) << ',' << recovery_ms.size() << ',' << seed
                << '\n';
        }
    }
};

// The average loss per kill the programs are held to: one burst (issue target,
// over 100 kills or more); a quick run of fewer kills is allowed more, since a
// few kills that lose a whole cache weigh more in a short average.
long long lost_per_kill_limit()
{
    return kills >= 100 ? 32 : 64;
}

// Starts `argv`, lets it live a random time, kills it; whether it had finished
// its start-up by then. Every other life is 0-150 ms, mostly start-up (EAL
// takes about 70 ms here), the others 0-600 ms.
bool start_and_kill(const std::vector<std::string>& argv, std::mt19937& random,
                    std::string_view ready_line, unsigned kill_number)
{
    std::uniform_int_distribution<int> life_ms(0, kill_number % 2 == 0 ? 150 : 600);
    Process victim(argv);
    std::this_thread::sleep_for(std::chrono::milliseconds(life_ms(random)));
    const bool ready = victim.output().find(ready_line) != std::string::npos;
    victim.kill();
    return ready;
}

// Kills a process of `victim` `kills` times at random instants; after each
// kill the survivor's counter must have moved within 2 s.
void kill_again_and_again(Figures& figures, const std::vector<std::string>& victim,
                          std::string_view ready_line,
                          const std::function<unsigned long long()>& survivor)
{
    std::mt19937 random(seed);
    for (unsigned k = 0; k < kills; ++k) {
        const auto before = survivor();
        figures.killed_in_startup += !start_and_kill(victim, random, ready_line, k);
        ++figures.kills;
        ASSERT_TRUE(poll_until(2s, [&] { return survivor() > before; }))
            << "kill " << k << ": the survivor stopped working (seed " << seed << ")";
    }
}

// Starts a fresh process of `victim`; its counter must move within 5 s. The
// counter may be one the fresh process sets to zero before it counts (as
// symmetric_mp's per proc-id counters): then it works once the counter is
// neither the dead one's last value nor zero. Waiting for it to pass the dead
// one's value would time how long the last victim had lived.
std::unique_ptr<Process> start_fresh(Figures& figures, const std::vector<std::string>& victim,
                                     const std::function<unsigned long long()>& counter)
{
    const auto before = counter();
    const auto started = Clock::now();
    auto fresh = std::make_unique<Process>(victim);
    EXPECT_TRUE(poll_until(fresh_process_limit, [&] {
        const auto now = counter();
        return now != before && now != 0;
    }, 10ms))
        << "a fresh process is not working: " << fresh->output();
    figures.recovery_ms.push_back(milliseconds_since(started));
    return fresh;
}

// SIGINT, then the exit code within the limit.
void expect_clean_stop(Process& p, const std::string& name)
{
    const auto asked = Clock::now();
    p.signal(SIGINT);
    const auto exit = p.wait_exit(exit_limit + 5s);
    ASSERT_TRUE(exit) << name << " did not stop on SIGINT: " << p.output();
    EXPECT_EQ(exit->code, 0) << name << ": " << p.errors();
    EXPECT_LE(Clock::now() - asked, exit_limit) << name;
}

// ---- symmetric_mp -------------------------------------------------------------

std::vector<std::string> symmetric_cmd(const DpdkPrefix& prefix, unsigned proc)
{
    return args({{binary("symmetric_mp")},
                 eal_args(prefix, proc == 0 ? "0@0" : "1@1", {"net_null0", "net_null1"},
                          {"--proc-type=auto"}),
                 {"--", "-p", "3", "--num-procs", "2", "--proc-id", std::to_string(proc)}});
}

TEST(Chaos, SymmetricMpProcessKilledAtRandom)
{
    DpdkPrefix prefix("chaos_smp");
    Telemetry telemetry(prefix);
    Process p0(symmetric_cmd(prefix, 0));
    ASSERT_TRUE(p0.expect("APP: Finished Process Init.", 60s)) << p0.output();
    const std::string stats = "/symmetric_mp/stats";
    const auto rx_of = [&](unsigned proc) -> unsigned long long {
        const auto rx = telemetry.numbers(stats, "port0_rx");
        return rx && rx->size() > proc ? (*rx)[proc] : 0;
    };
    const auto in_use_before = telemetry.number(stats, "mbufs_in_use");
    ASSERT_TRUE(in_use_before) << telemetry.query(stats);

    Figures figures;
    figures.program = "symmetric_mp";
    kill_again_and_again(figures, symmetric_cmd(prefix, 1), "Finished Process Init.",
                         [&] { return rx_of(0); });
    ASSERT_FALSE(HasFatalFailure());
    const auto p1 = start_fresh(figures, symmetric_cmd(prefix, 1), [&] { return rx_of(1); });
    ASSERT_FALSE(HasFailure());

    // Both run: what is in use is in flight (a burst per port each) or lost.
    const auto in_use_after = telemetry.number(stats, "mbufs_in_use");
    ASSERT_TRUE(in_use_after);
    constexpr long long in_flight = 2 * 2 * 32;
    figures.lost_mbufs = std::max(0LL, static_cast<long long>(*in_use_after) -
                                           static_cast<long long>(*in_use_before) - in_flight);
    figures.report();
    EXPECT_LE(figures.lost_mbufs, static_cast<long long>(figures.kills) * lost_per_kill_limit());
    expect_clean_stop(*p1, "proc 1");
    expect_clean_stop(p0, "proc 0");
}

// ---- client_server_mp ---------------------------------------------------------

std::vector<std::string> server_cmd(const DpdkPrefix& prefix)
{
    return args({{binary("mp_server")}, eal_args(prefix, "0@0", {"net_null0", "net_null1"}),
                 {"--", "-p", "3", "-n", "2"}});
}

std::vector<std::string> client_cmd(const DpdkPrefix& prefix, unsigned id)
{
    return args({{binary("mp_client")},
                 eal_args(prefix, id == 0 ? "1@1" : "2@1", {}, {"--proc-type=auto"}),
                 {"--", "-n", std::to_string(id)}});
}

TEST(Chaos, ClientServerMpClientKilledAtRandom)
{
    DpdkPrefix prefix("chaos_csmp");
    Telemetry telemetry(prefix);
    Process server(server_cmd(prefix));
    ASSERT_TRUE(server.expect("APP: Finished Process Init.", 60s)) << server.output();
    Process c0(client_cmd(prefix, 0));
    ASSERT_TRUE(c0.expect("Client process 0 handling packets", 60s)) << c0.output();
    const std::string stats = "/mp_server/stats";
    const auto tx_of = [&](unsigned client) {
        return telemetry.number(stats, "client_" + std::to_string(client) + "_tx").value_or(0);
    };

    Figures figures;
    figures.program = "client_server_mp";
    kill_again_and_again(figures, client_cmd(prefix, 1), "Client process 1 handling packets",
                         [&] { return tx_of(0); });
    ASSERT_FALSE(HasFatalFailure());
    const auto c1 = start_fresh(figures, client_cmd(prefix, 1), [&] { return tx_of(1); });
    ASSERT_FALSE(HasFailure());

    expect_clean_stop(*c1, "client 1");
    expect_clean_stop(c0, "client 0");
    expect_clean_stop(server, "mp_server");
    static const std::regex books(
        R"(Mbuf pool: \d+ mbufs, \d+ in use, \d+ of them in the rings, (-?\d+) unaccounted for)");
    std::smatch m;
    const std::string out = server.output();
    ASSERT_TRUE(std::regex_search(out, m, books)) << out;
    figures.lost_mbufs = std::stoll(m[1]);
    figures.report();
    EXPECT_GE(figures.lost_mbufs, 0) << "more mbufs than the pool has: one was handed out twice";
    EXPECT_LE(figures.lost_mbufs, static_cast<long long>(figures.kills) * lost_per_kill_limit());
}

// ---- simple_mp ----------------------------------------------------------------

std::vector<std::string> simple_cmd(const DpdkPrefix& prefix, bool primary)
{
    return args({{binary("simple_mp")},
                 eal_args(prefix, primary ? "0@0,1@1" : "2@0,3@1", {},
                          {primary ? "--proc-type=primary" : "--proc-type=secondary"})});
}

TEST(Chaos, SimpleMpSecondaryKilledAtRandom)
{
    DpdkPrefix prefix("chaos_simple");
    Process primary(simple_cmd(prefix, true), Io::pty);
    ASSERT_TRUE(primary.expect("simple_mp > ", 60s)) << primary.output();

    Figures figures;
    figures.program = "simple_mp";
    std::mt19937 random(seed);
    for (unsigned k = 0; k < kills; ++k) {
        figures.killed_in_startup +=
            !start_and_kill(simple_cmd(prefix, false), random, "Finished Process Init.", k);
        ++figures.kills;
    }
    const auto started = Clock::now();
    Process secondary(simple_cmd(prefix, false), Io::pty);
    ASSERT_TRUE(secondary.expect("simple_mp > ", fresh_process_limit)) << secondary.output();
    primary.send_line("send after-the-storm");
    ASSERT_TRUE(secondary.expect("Received 'after-the-storm'", fresh_process_limit))
        << secondary.output();
    secondary.send_line("send Atatürk");
    ASSERT_TRUE(primary.expect("Received 'Atatürk'", fresh_process_limit)) << primary.output();
    figures.recovery_ms.push_back(milliseconds_since(started));
    figures.report();
    for (Process* p : {&secondary, &primary}) {
        p->send_line("quit");
        const auto exit = p->wait_exit(exit_limit);
        ASSERT_TRUE(exit) << p->output();
        EXPECT_EQ(exit->code, 0) << p->output();
    }
}

// ---- l2fwd_fork ---------------------------------------------------------------

struct Slave {
    int pid = 0;
    bool starting = false;
};

// The slaves that are starting or running, from the master's telemetry.
std::vector<Slave> live_slaves(Telemetry& telemetry)
{
    const std::string json = telemetry.query("/l2fwd_fork/slaves");
    static const std::regex entry("\"pid\":\\s*(\\d+),\\s*\"state\":\\s*\"(starting|running)\"");
    std::vector<Slave> slaves;
    for (auto it = std::sregex_iterator(json.begin(), json.end(), entry);
         it != std::sregex_iterator(); ++it)
        if (const int pid = std::stoi((*it)[1]); pid > 0) // 0: not forked yet (kill(0) is us)
            slaves.push_back({pid, (*it)[2] == "starting"});
    return slaves;
}

bool pair_running(Telemetry& telemetry, int without)
{
    const std::vector<Slave> now = live_slaves(telemetry);
    return now.size() == 2 && std::none_of(now.begin(), now.end(), [&](const Slave& s) {
               return s.starting || s.pid == without;
           });
}

// The master's own recovery times (from the first death of a group to all its
// new slaves ready, one line per recovery for slave 0 of the pair).
std::vector<double> master_recoveries(const std::string& output)
{
    static const std::regex line("slave 0 restarted: .*, recovery ([0-9.]+) ms");
    std::vector<double> ms;
    for (auto it = std::sregex_iterator(output.begin(), output.end(), line);
         it != std::sregex_iterator(); ++it)
        ms.push_back(std::stod((*it)[1]));
    return ms;
}

// Kills a live slave every kill_every_ms, whether the last kill's pair is back
// or not: kills faster than recoveries, then the master's own figures.
void kill_on_a_beat(Figures& figures, Telemetry& telemetry, std::mt19937& random)
{
    auto next = Clock::now();
    for (unsigned k = 0; k < kills; ++k) {
        next += std::chrono::milliseconds(kill_every_ms);
        std::this_thread::sleep_until(next);
        const std::vector<Slave> slaves = live_slaves(telemetry);
        if (slaves.empty())
            continue;
        const Slave victim = slaves[random() % slaves.size()];
        if (kill(victim.pid, SIGKILL) == 0) {
            ++figures.kills;
            figures.killed_in_startup += victim.starting;
        }
    }
}

TEST(Chaos, L2fwdForkSlaveKilledAtRandom)
{
    DpdkPrefix prefix("chaos_l2f");
    Telemetry telemetry(prefix);
    Process master(args({{binary("l2fwd_fork")},
                         eal_args(prefix, "0@0,1@1,2@0", {"net_null0", "net_null1"}),
                         {"--", "-p", "3", "-T", "1", "-f"}}));
    ASSERT_TRUE(poll_until(60s, [&] { return pair_running(telemetry, 0); })) << master.output();
    const std::string stats = "/l2fwd_fork/stats";
    const auto in_use_before = telemetry.number(stats, "mbufs_in_use");
    ASSERT_TRUE(in_use_before) << telemetry.query(stats);

    Figures figures;
    figures.program = "l2fwd_fork";
    std::mt19937 random(seed);
    unsigned long long most_in_use = *in_use_before;
    if (kill_every_ms != 0) {
        figures.program = "l2fwd_fork (a kill every " + std::to_string(kill_every_ms) + " ms)";
        kill_on_a_beat(figures, telemetry, random);
        ASSERT_TRUE(poll_until(10s, [&] { return pair_running(telemetry, 0); }, 5ms))
            << "no pair after the storm (seed " << seed << "): " << master.output();
        figures.recovery_ms = master_recoveries(master.output());
        most_in_use = std::max(most_in_use, telemetry.number(stats, "mbufs_in_use").value_or(0));
    }
    for (unsigned k = 0; k < kills && kill_every_ms == 0; ++k) {
        // Every other kill comes 0-150 ms after the previous one, while the new
        // pair is starting: kills faster than recoveries.
        const bool soon = k % 2 == 1;
        std::uniform_int_distribution<int> pause_ms(0, soon ? 150 : 600);
        std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(random)));
        const std::vector<Slave> slaves = live_slaves(telemetry);
        ASSERT_FALSE(slaves.empty()) << "kill " << k << ": no slave (seed " << seed << ")";
        const Slave victim = slaves[random() % slaves.size()];
        const auto killed = Clock::now();
        ASSERT_EQ(kill(victim.pid, SIGKILL), 0);
        ++figures.kills;
        figures.killed_in_startup += victim.starting;
        const auto replaced = [&] {
            const auto now = live_slaves(telemetry);
            return now.size() == 2 && std::none_of(now.begin(), now.end(), [&](const Slave& s) {
                       return s.pid == victim.pid;
                   });
        };
        if (!soon) {
            ASSERT_TRUE(poll_until(10s, replaced, 5ms))
                << "kill " << k << ": no new pair (seed " << seed << "): " << master.output();
            continue;
        }
        ASSERT_TRUE(poll_until(10s, [&] { return pair_running(telemetry, victim.pid); }, 5ms))
            << "kill " << k << ": no new pair (seed " << seed << "): " << master.output();
        figures.recovery_ms.push_back(milliseconds_since(killed));
        most_in_use = std::max(most_in_use, telemetry.number(stats, "mbufs_in_use").value_or(0));
    }
    // Forwarding on both ports again.
    const auto rx = [&](unsigned port) {
        const std::string json = telemetry.query(stats);
        std::smatch m;
        const std::regex field("\"port" + std::to_string(port) +
                               "\":\\s*\\{\"tx\":\\s*\\d+,\\s*\"rx\":\\s*(\\d+)");
        return std::regex_search(json, m, field) ? std::stoull(m[1]) : 0ULL;
    };
    const auto rx0 = rx(0), rx1 = rx(1);
    EXPECT_TRUE(poll_until(fresh_process_limit, [&] { return rx(0) > rx0 && rx(1) > rx1; }))
        << master.output();
    figures.lost_mbufs = static_cast<long long>(most_in_use) -
                         static_cast<long long>(*in_use_before);
    figures.report();
    // Pool renewal: what is in use never grows beyond what two slaves hold in flight.
    EXPECT_LE(most_in_use, 256U);
    expect_clean_stop(master, "l2fwd_fork master");
    if (const char* log = std::getenv("MP_CHAOS_MASTER_LOG"); log != nullptr && *log != '\0')
        std::ofstream(log) << master.output();
}

} // namespace
