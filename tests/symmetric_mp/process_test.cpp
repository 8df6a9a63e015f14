/* SPDX-License-Identifier: BSD-3-Clause */
// symmetric_mp as real processes sharing hugepage memory: forwarding on null
// ports, exact accounting against dpdk-testpmd over memif, interop with the
// upstream C program, recovery from kill -9, and the start-up refusals.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <map>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "process.hpp"

using namespace mptest;

namespace {

struct Counters {
    unsigned long long rx = 0, tx = 0, drop = 0;
};
using PortCounters = std::map<unsigned, Counters>;

// The "Port N: RX - a, TX - b, Drop - c" lines a process prints when it stops.
PortCounters printed_counters(const std::string& output)
{
    PortCounters ports;
    static const std::regex line(R"(Port (\d+): RX - (\d+), TX - (\d+), Drop - (\d+))");
    for (auto it = std::sregex_iterator(output.begin(), output.end(), line);
         it != std::sregex_iterator(); ++it)
        ports[std::stoul((*it)[1])] = {std::stoull((*it)[2]), std::stoull((*it)[3]),
                                       std::stoull((*it)[4])};
    return ports;
}

const std::vector<std::string> null_ports = {"--vdev=net_null0", "--vdev=net_null1"};

struct Launch {
    std::string program = binary("symmetric_mp");
    std::string lcores;
    unsigned proc_id = 0;
    std::string proc_type = "auto";
    std::vector<std::string> vdevs = null_ports;
    std::vector<std::string> app = {};
};

std::vector<std::string> command(const DpdkPrefix& prefix, const Launch& run)
{
    std::vector<std::string> argv = args(
        {{run.program}, eal_args(prefix, run.lcores), run.vdevs, {"--proc-type=" + run.proc_type},
         {"--"}});
    if (run.app.empty())
        argv.insert(argv.end(), {"-p", "3", "--num-procs", "2", "--proc-id",
                                 std::to_string(run.proc_id)});
    else
        argv.insert(argv.end(), run.app.begin(), run.app.end());
    return argv;
}

// SIGINT (or SIGTERM), exit code 0 within 5 s (docs/reliability.rst), and the
// counters it printed.
PortCounters stop(Process& p, int sig = SIGINT)
{
    EXPECT_TRUE(stops_on(p, sig, 5s));
    EXPECT_NE(p.output().find("Exiting on signal " + std::to_string(sig)), std::string::npos)
        << p.output();
    return printed_counters(p.output());
}

// Every queue of both null ports has received: each process's lcore polls
// its queue. From the primary's ethdev telemetry, which any primary serves
// (the upstream one keeps no counters of ours).
bool every_queue_receives(const DpdkPrefix& prefix, unsigned queues)
{
    Telemetry telemetry(prefix);
    return poll_until(10s, [&] {
        for (const char* port : {"/ethdev/stats,0", "/ethdev/stats,1"}) {
            const auto rx = telemetry.numbers(port, "q_ipackets");
            if (!rx || rx->size() < queues)
                return false;
            for (unsigned q = 0; q < queues; ++q)
                if ((*rx)[q] == 0)
                    return false;
        }
        return true;
    }, 200ms);
}

// Every packet read on port p went out on p^1 or was dropped there. Ours count
// a burst's RX, TX and drops together, so their books are exact at exit; the
// upstream program's may differ by a burst (`slack`).
void expect_forwarded_and_balanced(const PortCounters& ports, const std::string& who,
                                   long long slack = 0)
{
    ASSERT_EQ(ports.size(), 2U) << who;
    for (const auto& [port, c] : ports) {
        EXPECT_GT(c.rx, 0U) << who << " port " << port;
        const Counters& out = ports.at(port ^ 1U);
        const long long diff = static_cast<long long>(c.rx) -
                               static_cast<long long>(out.tx + out.drop);
        EXPECT_LE(std::llabs(diff), slack) << who << " port " << port << ": RX " << c.rx
                                        << ", TX+drop on port " << (port ^ 1U) << " "
                                        << out.tx + out.drop;
    }
}

// Stops `first` then `second` (a secondary before the primary), and checks that
// each forwarded on both ports with balanced books.
void stop_and_check(Process& first, const std::string& first_name, Process& second,
                    const std::string& second_name, long long first_slack = 0,
                    long long second_slack = 0)
{
    const PortCounters a = stop(first);
    const PortCounters b = stop(second);
    expect_forwarded_and_balanced(a, first_name, first_slack);
    expect_forwarded_and_balanced(b, second_name, second_slack);
}

// Counters of every proc-id, read from shared memory by a short-lived secondary
// (works also while no primary is alive, unlike telemetry).
std::map<unsigned, PortCounters> shared_counters(const DpdkPrefix& prefix)
{
    Process reader(args({{build_root() + "/tests/symmetric_mp/smp_stats_reader"},
                         eal_args(prefix, "9@0", {}, {"--proc-type=secondary",
                                                      "--log-level=lib.eal:error"})}));
    const auto exit = reader.wait_exit(30s);
    EXPECT_TRUE(exit && exit->code == 0) << reader.output();
    std::map<unsigned, PortCounters> procs;
    static const std::regex line(R"(proc (\d+) pid -?\d+ port (\d+) rx (\d+) tx (\d+) drop (\d+))");
    const std::string out = reader.output();
    for (auto it = std::sregex_iterator(out.begin(), out.end(), line);
         it != std::sregex_iterator(); ++it)
        procs[std::stoul((*it)[1])][std::stoul((*it)[2])] = {
            std::stoull((*it)[3]), std::stoull((*it)[4]), std::stoull((*it)[5])};
    return procs;
}

// Waits (up to 10 s) until proc-id `proc` has received more on `port` than `than`.
bool rx_grows(const DpdkPrefix& prefix, unsigned proc, unsigned long long than,
              unsigned port = 0)
{
    return poll_until(10s, [&] { return shared_counters(prefix)[proc][port].rx > than; }, 200ms);
}

// Proc-id `proc` is forwarding now: its RX count moves.
bool keeps_forwarding(const DpdkPrefix& prefix, unsigned proc)
{
    return rx_grows(prefix, proc, shared_counters(prefix)[proc][0].rx);
}

// One request on the primary's telemetry socket; the JSON reply ("" if none
// within 2 s).
std::string telemetry(const DpdkPrefix& prefix, const std::string& request)
{
    return Telemetry(prefix).query(request);
}

// Telemetry's "pid" array reads p0_pid, p1_pid (0: nobody serves that
// proc-id) within 5 s.
::testing::AssertionResult reports_pids(const DpdkPrefix& prefix, pid_t p0_pid, pid_t p1_pid)
{
    const std::string pids =
        std::string("\"pid\":[").append(std::to_string(p0_pid) + "," + std::to_string(p1_pid) + "]");
    Telemetry telemetry(prefix);
    std::string stats;
    if (poll_until(5s, [&] {
            stats = telemetry.query("/symmetric_mp/stats");
            return stats.find(pids) != std::string::npos;
        }))
        return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "no " << pids << " in " << stats;
}

// The fewest mbufs in use (pool telemetry) in 5 looks, 100 ms apart: without
// the bursts in flight at any one look.
std::optional<unsigned long long> least_in_use(const DpdkPrefix& prefix)
{
    Telemetry telemetry(prefix);
    std::optional<unsigned long long> least;
    for (int look = 0; look < 5; ++look) {
        const auto n = telemetry.number("/symmetric_mp/stats", "mbufs_in_use");
        if (n && (!least || *n < *least))
            least = n;
        std::this_thread::sleep_for(100ms);
    }
    return least;
}

// The upstream program counts RX before TX and drops: its books at exit may
// differ by one burst.
constexpr long long upstream_slack = 32;

TEST(SymmetricMp, TwoProcessesOnNullPortsForwardBothPortsAndBalance)
{
    DpdkPrefix prefix("smp_two");
    Process p0(command(prefix, {.lcores = "0@0", .proc_id = 0}));
    ASSERT_TRUE(p0.expect("APP: Finished Process Init.", 60s)) << p0.output();
    EXPECT_NE(p0.output().find("# Initialising port 0... done"), std::string::npos);
    Process p1(command(prefix, {.lcores = "1@1", .proc_id = 1}));
    ASSERT_TRUE(p1.expect("APP: Finished Process Init.", 60s)) << p1.output();
    EXPECT_TRUE(p1.expect_count("lcore 1 using queue 1 of each port", 1, 20s)) << p1.output();
    ASSERT_TRUE(rx_grows(prefix, 1, 0, 1));

    // Telemetry (served by the primary) has both processes' live counters.
    const std::string stats = telemetry(prefix, "/symmetric_mp/stats");
    EXPECT_NE(stats.find("\"num_procs\":2,\"portmask\":3,"), std::string::npos) << stats;
    EXPECT_TRUE(reports_pids(prefix, p0.pid(), p1.pid()));
    EXPECT_TRUE(std::regex_search(stats, std::regex(R"("port1_rx":\[[1-9]\d*,[1-9]\d*\])")))
        << stats;
    EXPECT_TRUE(std::regex_search(stats, std::regex(R"("mbufs_available":[1-9]\d*)"))) << stats;
    EXPECT_TRUE(std::regex_search(stats, std::regex(R"("mbufs_in_use":\d+)"))) << stats;

    // SIGTERM ends a process as Ctrl-C does.
    const PortCounters c1 = stop(p1, SIGTERM);
    expect_forwarded_and_balanced(c1, "proc 1");
    // Its proc-id is free now: pid 0 in telemetry.
    EXPECT_TRUE(reports_pids(prefix, p0.pid(), 0));
    expect_forwarded_and_balanced(stop(p0), "proc 0");
}

// testpmd on the other side of two memif ports sends 32*N packets on each queue
// of each port; each of our processes serves one queue and must return every
// packet on the paired port.
TEST(SymmetricMp, ExactAccountingAgainstTestpmdOverMemif)
{
    const std::string testpmd = dpdk_tool("dpdk-testpmd");
    if (testpmd.empty())
        GTEST_SKIP() << "dpdk-testpmd is not installed";
    constexpr unsigned bursts = 4; // tx_first 4: 128 packets per queue
    DpdkPrefix peer_prefix("smp_testpmd");
    DpdkPrefix prefix("smp_memif");
    const std::string sock = "/tmp/" + prefix.name();
    const std::vector<std::string> client = {
        "--vdev=net_memif0,role=client,id=0,socket=" + sock + "0",
        "--vdev=net_memif1,role=client,id=1,socket=" + sock + "1"};
    Process peer(args({{testpmd},
                       eal_args(peer_prefix, "0@0,1@1",
                                {"net_memif0,role=server,id=0,socket=" + sock + "0",
                                 "net_memif1,role=server,id=1,socket=" + sock + "1"}),
                       {"--", "-i", "--rxq=2", "--txq=2"}}),
                 Io::pty);
    ASSERT_TRUE(peer.expect("testpmd> ", 60s)) << peer.output();
    peer.send_line("set fwd rxonly");
    ASSERT_TRUE(peer.expect("testpmd> ", 20s));
    {
        Process p0(command(prefix, {.lcores = "0@0", .proc_id = 0, .vdevs = client}));
        ASSERT_TRUE(p0.expect("APP: Finished Process Init.", 60s)) << p0.output();
        EXPECT_NE(p0.output().find("Port 1 Link up"), std::string::npos) << p0.output();
        Process p1(command(prefix, {.lcores = "1@1", .proc_id = 1, .proc_type = "secondary",
                                    .vdevs = client}));
        ASSERT_TRUE(p1.expect("APP: Finished Process Init.", 60s)) << p1.output();
        ASSERT_TRUE(p1.expect_count("using queue 1 of each port", 1, 20s)) << p1.output();
        // A memif server can only send into slots its client's RX has handed back,
        // which happens at the client's first RX poll: wait until proc 1 has
        // busy-polled for 100 ms of CPU since it said it serves its queue.
        ASSERT_TRUE(has_polled(p1.pid())) << "proc 1 does not poll";

        peer.send_line("start tx_first " + std::to_string(bursts));
        ASSERT_TRUE(peer.expect("testpmd> ", 20s));
        // Each port: 2 queues x 32*N sent and, once all came back, received.
        const std::string expected = "RX-packets: " + std::to_string(2 * 32 * bursts);
        bool all_back = false;
        for (int attempt = 0; attempt < 50 && !all_back; ++attempt) {
            std::this_thread::sleep_for(200ms);
            const std::size_t seen = peer.output().size();
            peer.send_line("show port stats all");
            ASSERT_TRUE(peer.expect("testpmd> ", 20s));
            const std::string reply = peer.output().substr(seen);
            std::size_t count = 0;
            for (std::size_t at = reply.find(expected + " "); at != std::string::npos;
                 at = reply.find(expected + " ", at + 1))
                ++count;
            all_back = count == 2;
        }
        EXPECT_TRUE(all_back) << peer.output();

        // testpmd's own per-queue view: every stream got back exactly 32*N. Its
        // forwarding stops first: it must not be polling memif queues whose
        // client goes away (it crashed that way here once).
        peer.send_line("stop");
        ASSERT_TRUE(peer.expect("Done.", 20s)) << peer.output();
        const std::string out = peer.output();
        for (const char* stream : {"RX Port= 0/Queue= 0", "RX Port= 0/Queue= 1",
                                   "RX Port= 1/Queue= 0", "RX Port= 1/Queue= 1"}) {
            const auto at = out.rfind(stream);
            ASSERT_NE(at, std::string::npos) << stream << "\n" << out;
            EXPECT_EQ(last_number_after(out.substr(at, 200), "RX-packets:"), 32U * bursts)
                << stream;
        }

        // Our side goes before its memif peer does.
        const PortCounters c1 = stop(p1);
        const PortCounters c0 = stop(p0);
        for (const PortCounters* c : {&c0, &c1}) {
            ASSERT_EQ(c->size(), 2U);
            for (const auto& [port, counts] : *c) {
                EXPECT_EQ(counts.rx, 32U * bursts) << "port " << port;
                EXPECT_EQ(counts.tx, 32U * bursts) << "port " << port;
                EXPECT_EQ(counts.drop, 0U) << "port " << port;
            }
        }
    }
    peer.send_line("quit");
    peer.wait_exit(30s);
    std::filesystem::remove(sock + "0");
    std::filesystem::remove(sock + "1");
}

TEST(SymmetricMp, OurSecondaryJoinsTheUpstreamPrimary)
{
    const std::string upstream_smp = upstream("symmetric_mp");
    if (upstream_smp.empty())
        GTEST_SKIP() << "the upstream symmetric_mp was not built";
    DpdkPrefix prefix("smp_up_primary");
    Process p0(command(prefix, {.program = upstream_smp, .lcores = "0@0", .proc_id = 0}));
    ASSERT_TRUE(p0.expect("APP: Finished Process Init.", 60s)) << p0.output();
    Process p1(command(prefix, {.lcores = "1@1", .proc_id = 1, .proc_type = "secondary"}));
    ASSERT_TRUE(p1.expect("APP: Finished Process Init.", 60s)) << p1.output();
    EXPECT_NE(p1.output().find("no SMP_CONFIG memzone: the primary is not this program"),
              std::string::npos)
        << p1.output();
    ASSERT_TRUE(every_queue_receives(prefix, 2));
    stop_and_check(p1, "our secondary", p0, "upstream primary", 0, upstream_slack);
}

// Under an upstream primary there is no claim table, but the options are
// still checked: a proc-id out of range is refused with one line, and the
// primary goes on.
TEST(SymmetricMp, UpstreamPrimaryAndOurSecondaryWithABadProcId)
{
    const std::string upstream_smp = upstream("symmetric_mp");
    if (upstream_smp.empty())
        GTEST_SKIP() << "the upstream symmetric_mp was not built";
    DpdkPrefix prefix("smp_up_badid");
    Process p0(command(prefix, {.program = upstream_smp, .lcores = "0@0", .proc_id = 0}));
    ASSERT_TRUE(p0.expect("APP: Finished Process Init.", 60s)) << p0.output();
    Process p(command(prefix, {.lcores = "1@1", .proc_id = 2, .proc_type = "secondary"}));
    EXPECT_TRUE(refused(p, "symmetric_mp",
                        "symmetric_mp: error: --proc-id 2 is out of range: with --num-procs 2 it "
                        "must be from 0 to 1",
                        60s));
    EXPECT_TRUE(p0.running());
    ASSERT_TRUE(every_queue_receives(prefix, 1));
    expect_forwarded_and_balanced(stop(p0), "upstream primary", upstream_slack);
}

TEST(SymmetricMp, UpstreamSecondaryJoinsOurPrimary)
{
    const std::string upstream_smp = upstream("symmetric_mp");
    if (upstream_smp.empty())
        GTEST_SKIP() << "the upstream symmetric_mp was not built";
    DpdkPrefix prefix("smp_up_secondary");
    Process p0(command(prefix, {.lcores = "0@0", .proc_id = 0}));
    ASSERT_TRUE(p0.expect("APP: Finished Process Init.", 60s)) << p0.output();
    Process p1(command(prefix, {.program = upstream_smp, .lcores = "1@1", .proc_id = 1,
                                .proc_type = "secondary"}));
    ASSERT_TRUE(p1.expect("APP: Finished Process Init.", 60s)) << p1.output();
    ASSERT_TRUE(every_queue_receives(prefix, 2));
    stop_and_check(p1, "upstream secondary", p0, "our primary", upstream_slack);
}

TEST(SymmetricMp, KilledSecondaryIsRestartedAndResumesItsQueue)
{
    DpdkPrefix prefix("smp_restart2");
    Process p0(command(prefix, {.lcores = "0@0", .proc_id = 0}));
    ASSERT_TRUE(p0.expect("APP: Finished Process Init.", 60s)) << p0.output();
    const Launch secondary{.lcores = "1@1", .proc_id = 1, .proc_type = "secondary"};
    {
        Process p1(command(prefix, secondary));
        ASSERT_TRUE(p1.expect("APP: Finished Process Init.", 60s)) << p1.output();
        ASSERT_TRUE(rx_grows(prefix, 1, 0));
        p1.kill();
        EXPECT_TRUE(keeps_forwarding(prefix, 0)) << "the primary stopped with the secondary";
        // Killed, it left its claim held by a dead pid: telemetry says 0 all the same.
        EXPECT_TRUE(reports_pids(prefix, p0.pid(), 0));
    }
    Process p1(command(prefix, secondary));
    ASSERT_TRUE(p1.expect("APP: Finished Process Init.", 60s)) << p1.output();
    EXPECT_TRUE(std::regex_search(p1.output(),
                                  std::regex("APP: proc-id 1 was served by process \\d+, which "
                                             "has exited: resuming its queues")))
        << p1.output();
    ASSERT_TRUE(rx_grows(prefix, 1, 0));
    stop_and_check(p1, "restarted proc 1", p0, "proc 0");
}

TEST(SymmetricMp, KilledPrimaryIsRestartedAsSecondaryWhileTheOtherForwards)
{
    DpdkPrefix prefix("smp_restart1");
    Process p0(command(prefix, {.lcores = "0@0", .proc_id = 0}));
    ASSERT_TRUE(p0.expect("APP: Finished Process Init.", 60s)) << p0.output();
    Process p1(command(prefix, {.lcores = "1@1", .proc_id = 1, .proc_type = "secondary"}));
    ASSERT_TRUE(p1.expect("APP: Finished Process Init.", 60s)) << p1.output();
    ASSERT_TRUE(rx_grows(prefix, 1, 0));

    p0.kill();
    EXPECT_TRUE(keeps_forwarding(prefix, 1)) << "the secondary stopped with the primary";

    Process again(command(prefix, {.lcores = "0@0", .proc_id = 0, .proc_type = "secondary"}));
    ASSERT_TRUE(again.expect("APP: Finished Process Init.", 60s)) << again.output();
    EXPECT_NE(again.output().find("APP: proc-id 0 was served by process " +
                                  std::to_string(p0.pid()) + ", which has exited"),
              std::string::npos)
        << again.output();
    ASSERT_TRUE(rx_grows(prefix, 0, 0));
    EXPECT_TRUE(keeps_forwarding(prefix, 1));
    stop_and_check(again, "restarted proc 0", p1, "proc 1");
}

// One process with two lcores and two port pairs: each lcore forwards one
// pair, on its own queue, and the books of all four ports are exact.
TEST(SymmetricMp, OneProcessWithTwoLcoresForwardsAPairOnEach)
{
    DpdkPrefix prefix("smp_lcores");
    Process p0(command(prefix, {.lcores = "0@0,1@1", .proc_id = 0,
                                .vdevs = {"--vdev=net_null0", "--vdev=net_null1",
                                          "--vdev=net_null2", "--vdev=net_null3"},
                                .app = {"-p", "f", "--num-procs", "1", "--proc-id", "0"}}));
    ASSERT_TRUE(p0.expect("APP: Finished Process Init.", 60s)) << p0.output();
    EXPECT_TRUE(p0.expect_count("Lcore 0 using ports 0 1", 1, 20s)) << p0.output();
    EXPECT_TRUE(p0.expect_count("Lcore 1 using ports 2 3", 1, 20s)) << p0.output();
    ASSERT_TRUE(rx_grows(prefix, 0, 0, 3));
    ASSERT_TRUE(rx_grows(prefix, 0, 0, 0));
    const PortCounters c = stop(p0);
    ASSERT_EQ(c.size(), 4U) << p0.output();
    for (const auto& [port, counts] : c) {
        EXPECT_GT(counts.rx, 0U) << "port " << port;
        EXPECT_EQ(counts.rx, c.at(port ^ 1U).tx + c.at(port ^ 1U).drop) << "port " << port;
    }
}

// kill -9 at random moments of the forwarding: the pool is lock-free and the
// fast path takes no other lock, so no death can stall the survivor.
TEST(SymmetricMp, TenKillRestartCyclesNeverStallTheOther)
{
    DpdkPrefix prefix("smp_cycles");
    Process p0(command(prefix, {.lcores = "0@0", .proc_id = 0}));
    ASSERT_TRUE(p0.expect("APP: Finished Process Init.", 60s)) << p0.output();
    const Launch victim{.lcores = "1@1", .proc_id = 1, .proc_type = "secondary"};
    const auto in_use_before = least_in_use(prefix);
    ASSERT_TRUE(in_use_before);
    const unsigned seed = std::random_device{}();
    std::mt19937 random(seed);
    std::uniform_int_distribution<int> delay_ms(0, 500);
    for (int cycle = 0; cycle < 10; ++cycle) {
        const int delay = delay_ms(random);
        SCOPED_TRACE("seed " + std::to_string(seed) + ", cycle " + std::to_string(cycle) +
                     ", killed " + std::to_string(delay) + " ms after start-up");
        {
            Process p1(command(prefix, victim));
            ASSERT_TRUE(p1.expect("APP: Finished Process Init.", 60s)) << p1.output();
            std::this_thread::sleep_for(std::chrono::milliseconds(delay));
            p1.kill();
        }
        ASSERT_TRUE(keeps_forwarding(prefix, 0)) << "proc 0 stopped forwarding";
    }
    Process p1(command(prefix, victim));
    ASSERT_TRUE(p1.expect("APP: Finished Process Init.", 60s)) << p1.output();
    ASSERT_TRUE(rx_grows(prefix, 1, 0));
    EXPECT_TRUE(keeps_forwarding(prefix, 0));
    const PortCounters c1 = stop(p1);
    expect_forwarded_and_balanced(c1, "proc 1 after 10 kills");
    // docs/symmetric_mp.rst: a death costs the burst in hand (up to 32) and at
    // most 32 of its lcore cache on net_null. (Proc 1 exited normally at the
    // end: its caches went back.)
    const auto in_use_after = least_in_use(prefix);
    ASSERT_TRUE(in_use_after);
    std::printf("[ measured ] mbufs lost in 10 kills: %lld\n",
                static_cast<long long>(*in_use_after) - static_cast<long long>(*in_use_before));
    EXPECT_LE(*in_use_after, *in_use_before + 10 * (32 + 32));
    expect_forwarded_and_balanced(stop(p0), "proc 0");
}

// A process killed inside DPDK's own start-up can leave a shared EAL lock held
// (here: the memory hotplug lock). The running process goes on; a new one cannot
// attach, and says so instead of hanging.
TEST(SymmetricMp, LockLeftByAProcessKilledInStartUpIsReportedNotAHang)
{
    DpdkPrefix prefix("smp_lock");
    Process p0(command(prefix, {.lcores = "0@0", .proc_id = 0}));
    ASSERT_TRUE(p0.expect("APP: Finished Process Init.", 60s)) << p0.output();
    ASSERT_NE(leave_lock_held(prefix, ""), 0);
    const auto started = std::chrono::steady_clock::now();
    Process p1(command(prefix, {.lcores = "1@1", .proc_id = 1, .proc_type = "secondary"}));
    const auto exit = p1.wait_exit(40s);
    ASSERT_TRUE(exit) << p1.output();
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(exit->code, 1);
    EXPECT_GE(took, 19s);
    EXPECT_LE(took, 30s) << "the limit is 20 s";
    EXPECT_NE(p1.errors().find("symmetric_mp: error: start-up did not finish within 20 s: a DPDK "
                               "lock in the shared memory is held"),
              std::string::npos)
        << p1.errors();
    // (Through the primary's telemetry: a new secondary could not attach.)
    const auto rx0 = [&prefix] {
        const auto rx = Telemetry(prefix).numbers("/symmetric_mp/stats", "port0_rx");
        return rx && !rx->empty() ? rx->front() : 0ULL;
    };
    const auto before = rx0();
    EXPECT_TRUE(poll_until(5s, [&] { return rx0() > before; })) << "proc 0 stopped forwarding";
    const PortCounters c0 = stop(p0);
    expect_forwarded_and_balanced(c0, "proc 0");
}

// A secondary killed inside rte_eal_memzone_init() leaves the memzone lock held
// for writing, which every memzone lookup and every later start-up waits for.
// The next process to start finds the dead one behind the start-up gate and
// releases it.
TEST(SymmetricMp, AProcessKilledHoldingTheMemzoneLockInItsStartUpBlocksNobody)
{
    DpdkPrefix prefix("smp_mzlock");
    Process p0(command(prefix, {.lcores = "0@0", .proc_id = 0}));
    ASSERT_TRUE(p0.expect("APP: Finished Process Init.", 60s)) << p0.output();
    const pid_t holder_pid = leave_lock_held(prefix, "--memzone-write-in-start-up");
    ASSERT_NE(holder_pid, 0);
    Process p1(command(prefix, {.lcores = "1@1", .proc_id = 1, .proc_type = "secondary"}));
    ASSERT_TRUE(p1.expect("APP: Finished Process Init.", 5s)) << p1.output();
    EXPECT_NE(p1.output().find("APP: process " + std::to_string(holder_pid) +
                               " was killed during its start-up holding the memzone lock: "
                               "released"),
              std::string::npos)
        << p1.output();
    ASSERT_TRUE(rx_grows(prefix, 1, 0));
    stop_and_check(p1, "proc 1", p0, "proc 0");
}

// rte_eal_init() gives every process service tables in the shared heap, which
// only rte_eal_cleanup() frees. Secondaries give them back at once: restarts,
// killed or not, leave the heap as they found it (else each took 150 KB on
// 22.11, and the heap had to grow in some later start-up, under the memory
// hotplug lock, where a kill blocks everyone).
TEST(SymmetricMp, RestartsLeaveTheSharedHeapAsTheyFoundIt)
{
    DpdkPrefix prefix("smp_heap");
    Process p0(command(prefix, {.lcores = "0@0", .proc_id = 0}));
    ASSERT_TRUE(p0.expect("APP: Finished Process Init.", 60s)) << p0.output();
    const auto allocated = [&prefix] {
        static const std::regex field(R"("Alloc_size":\s*(\d+))");
        const std::string reply = telemetry(prefix, "/eal/heap_info,0");
        std::smatch m;
        return std::regex_search(reply, m, field) ? std::stoll(m[1]) : -1LL;
    };
    const long long before = allocated();
    ASSERT_GT(before, 0) << telemetry(prefix, "/eal/heap_info,0");
    for (int restart = 0; restart < 4; ++restart) {
        Process p1(command(prefix, {.lcores = "1@1", .proc_id = 1}));
        ASSERT_TRUE(p1.expect("APP: Finished Process Init.", 60s)) << p1.output();
        if (restart % 2 == 0)
            p1.kill();
        else
            stop(p1);
    }
    EXPECT_EQ(allocated(), before) << "bytes of the shared heap taken by 4 restarts";
    stop(p0);
}

// ------------------------------------------------------------------ refusals

struct BadStart {
    const char* name;
    std::vector<std::string> app;
    const char* message;
};

class RefusedAtStart : public ::testing::TestWithParam<BadStart> {};

TEST_P(RefusedAtStart, OneLineExitOneAndNoLeftovers)
{
    DpdkPrefix prefix("smp_bad");
    Process p(command(prefix, {.lcores = "0@0", .app = GetParam().app}));
    EXPECT_TRUE(refused(p, "symmetric_mp",
                        std::string("symmetric_mp: error: ") + GetParam().message, 60s));
    EXPECT_TRUE(prefix.leftovers().empty()) << prefix.leftovers().front();
}

INSTANTIATE_TEST_SUITE_P(
    SymmetricMp, RefusedAtStart,
    ::testing::Values(
        BadStart{"EmptyMask", {"-p", "0", "--num-procs", "2", "--proc-id", "0"},
                 "portmask '0' selects no port"},
        BadStart{"MissingPort", {"-p", "5", "--num-procs", "2", "--proc-id", "0"},
                 "portmask 0x5 selects port 2, which does not exist (2 ports available)"},
        BadStart{"OddPorts", {"-p", "1", "--num-procs", "2", "--proc-id", "0"},
                 "portmask 0x1 selects 1 ports: an even number is needed, ports are forwarded "
                 "in pairs"},
        BadStart{"ProcIdOutOfRange", {"-p", "3", "--num-procs", "2", "--proc-id", "2"},
                 "--proc-id 2 is out of range: with --num-procs 2 it must be from 0 to 1"},
        BadStart{"MissingMask", {"--num-procs", "2", "--proc-id", "0"},
                 "missing option -p (hexadecimal mask of the ports to use)"},
        BadStart{"MissingNumProcs", {"-p", "3", "--proc-id=0"},
                 "missing option --num-procs (number of symmetric_mp processes)"},
        BadStart{"MissingProcId", {"-p", "3", "--num-procs=2"},
                 "missing option --proc-id (this process's number, from 0 to num-procs - 1)"},
        BadStart{"BadMask", {"-p", "xyz", "--num-procs", "2", "--proc-id", "0"},
                 "invalid portmask 'xyz': expected a hexadecimal mask such as 3 or 0x3"},
        BadStart{"ZeroProcs", {"-p", "3", "--num-procs", "0", "--proc-id", "0"},
                 "invalid value '0' for --num-procs: expected a number from 1 to 64"},
        BadStart{"WordForProcs", {"-p", "3", "--num-procs", "two", "--proc-id", "0"},
                 "invalid value 'two' for --num-procs: expected a number from 1 to 64"},
        BadStart{"NegativeProcId", {"-p", "3", "--num-procs", "2", "--proc-id", "-1"},
                 "invalid value '-1' for --proc-id: expected a number from 0 to 63"},
        BadStart{"ProcIdWithoutValue", {"-p", "3", "--num-procs", "2", "--proc-id"},
                 "option --proc-id needs a value"},
        BadStart{"UnknownOption", {"-p", "3", "--num-procs", "2", "--proc-id", "0", "--fast"},
                 "unknown option '--fast'"}),
    [](const auto& info) { return std::string(info.param.name); });

// A secondary whose options disagree with the running processes, or that wants
// a proc-id or an lcore a live process has, is refused; the others go on.
TEST(SymmetricMp, SecondaryDisagreeingWithTheRunIsRefused)
{
    DpdkPrefix prefix("smp_mismatch");
    Process p0(command(prefix, {.lcores = "0@0", .proc_id = 0}));
    ASSERT_TRUE(p0.expect("APP: Finished Process Init.", 60s)) << p0.output();
    const struct {
        std::string lcores;
        std::vector<std::string> app;
        std::string message;
    } cases[] = {
        {"1@1", {"-p", "3", "--num-procs", "3", "--proc-id", "1"},
         "--num-procs 3 does not match --num-procs 2 of the running processes: every "
         "symmetric_mp process must be given the same --num-procs and -p"},
        {"1@1", {"-p", "0", "--num-procs", "2", "--proc-id", "1"},
         "portmask '0' selects no port (see 'symmetric_mp --help')"},
        {"1@1", {"-p", "3", "--num-procs", "2", "--proc-id", "0"},
         "--proc-id 0 is already served by process " + std::to_string(p0.pid()) +
             ", which is still running: give each process its own --proc-id"},
        {"0@1", {"-p", "3", "--num-procs", "2", "--proc-id", "1"},
         "lcore 0 is already used by proc-id 0 (process " + std::to_string(p0.pid()) +
             "): give each process its own lcore ids (-l/--lcores), they index the mbuf "
             "pool's per-lcore caches"},
    };
    for (const auto& c : cases) {
        Process p(command(prefix, {.lcores = c.lcores, .proc_type = "secondary", .app = c.app}));
        EXPECT_TRUE(refused(p, "symmetric_mp", "symmetric_mp: error: " + c.message, 60s));
    }
    // The refused ones left the proc-id free for a correct one.
    Process p1(command(prefix, {.lcores = "1@1", .proc_id = 1, .proc_type = "secondary"}));
    ASSERT_TRUE(p1.expect("APP: Finished Process Init.", 60s)) << p1.output();
    EXPECT_EQ(p1.output().find("which has exited"), std::string::npos) << p1.output();
    ASSERT_TRUE(rx_grows(prefix, 1, 0));
    stop_and_check(p1, "proc 1", p0, "proc 0");
}

TEST(SymmetricMp, SecondaryWithAnotherPortmaskIsRefused)
{
    DpdkPrefix prefix("smp_mask");
    Process p0(command(prefix, {.lcores = "0@0", .proc_id = 0,
                                .vdevs = {"--vdev=net_null0", "--vdev=net_null1",
                                          "--vdev=net_null2", "--vdev=net_null3"}}));
    ASSERT_TRUE(p0.expect("APP: Finished Process Init.", 60s)) << p0.output();
    Process p(command(prefix, {.lcores = "1@1", .proc_type = "secondary",
                               .vdevs = {"--vdev=net_null0", "--vdev=net_null1",
                                         "--vdev=net_null2", "--vdev=net_null3"},
                               .app = {"-p", "f", "--num-procs", "2", "--proc-id", "1"}}));
    EXPECT_TRUE(refused(p, "symmetric_mp",
                        "symmetric_mp: error: -p 0xf does not match -p 0x3 of the running "
                        "processes: every symmetric_mp process must be given the same "
                        "--num-procs and -p",
                        60s));
    EXPECT_TRUE(p0.running());
}

TEST(SymmetricMp, SecondaryWithoutAnyPrimaryIsRefused)
{
    DpdkPrefix prefix("smp_alone");
    Process p(command(prefix, {.lcores = "1@1", .proc_id = 1, .proc_type = "secondary"}));
    EXPECT_TRUE(refused(p, "symmetric_mp",
                        "symmetric_mp: error: no primary process is running with --file-prefix=" +
                            prefix.name() + ": start the primary first",
                        60s));
}

} // namespace
