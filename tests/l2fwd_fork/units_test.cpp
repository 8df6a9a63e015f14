/* SPDX-License-Identifier: BSD-3-Clause */
// l2fwd_fork's units, without DPDK running: options, the RX port plan and the
// dependency groups, the floating lcore-id table, the slave supervisor, the
// slaves' command lines, the statistics screen and the MAC update.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../harness/argv.hpp"
#include "forwarder.hpp"
#include "launch_slot.hpp"
#include "lcore_ids.hpp"
#include "options.hpp"
#include "shared.hpp"
#include "slave_command.hpp"
#include "standbys.hpp"
#include "stats.hpp"
#include "supervisor.hpp"
#include "topology.hpp"

using namespace l2fwd_fork;
using namespace std::chrono_literals;

namespace {

// parse_options over a list of words.
Options parse(std::vector<std::string> words)
{
    const mptest::Argv argv(std::move(words));
    return parse_options(argv.span());
}

std::string usage_error(std::vector<std::string> words)
{
    return mptest::usage_error([](auto args) { parse_options(args); }, std::move(words));
}

TEST(Options, DefaultsAsTheOldExample)
{
    const Options options = parse({"-p", "3"});
    EXPECT_EQ(options.portmask, 3U);
    EXPECT_EQ(options.ports_per_lcore, 1U);
    EXPECT_EQ(options.stats_period, 10U);
    EXPECT_FALSE(options.floating);
    EXPECT_FALSE(options.slave);
}

TEST(Options, AllOptions)
{
    const Options options = parse({"-p", "0xf", "-q2", "-T", "0", "-f"});
    EXPECT_EQ(options.portmask, 0xfU);
    EXPECT_EQ(options.ports_per_lcore, 2U);
    EXPECT_EQ(options.stats_period, 0U);
    EXPECT_TRUE(options.floating);
    EXPECT_EQ(parse({"-p", "3", "-q", "16", "-T", "86400"}).ports_per_lcore, 16U);
}

TEST(Options, EachBadOptionIsNamed)
{
    EXPECT_EQ(usage_error({}), "missing option -p (the hexadecimal mask of the ports to forward)");
    EXPECT_EQ(usage_error({"-p", "0"}), "portmask '0' selects no port");
    EXPECT_EQ(usage_error({"-p", "xyz"}),
              "invalid portmask 'xyz': expected a hexadecimal mask such as 3 or 0x3");
    EXPECT_EQ(usage_error({"-p", "3", "-q", "0"}),
              "invalid value '0' for -q: expected a number from 1 to 16");
    EXPECT_EQ(usage_error({"-p", "3", "-q", "17"}),
              "invalid value '17' for -q: expected a number from 1 to 16");
    EXPECT_EQ(usage_error({"-p", "3", "-T", "86401"}),
              "invalid value '86401' for -T: expected a number from 0 to 86400");
    EXPECT_EQ(usage_error({"-p", "3", "-T", "ten"}),
              "invalid value 'ten' for -T: expected a number from 0 to 86400");
    EXPECT_EQ(usage_error({"-p", "3", "-f1"}), "option -f takes no value");
    EXPECT_EQ(usage_error({"-p", "3", "-x"}), "unknown option '-x'");
    EXPECT_EQ(usage_error({"-p"}), "option -p needs a value");
}

TEST(Options, SlaveNeedsNoPortmask)
{
    const Options options = parse({"--slave=3"});
    ASSERT_TRUE(options.slave);
    EXPECT_EQ(*options.slave, 3U);
    EXPECT_EQ(usage_error({"--slave=128"}),
              "invalid value '128' for --slave: expected a number from 0 to 127");
}

TEST(Topology, TwoPortsTwoSlavesOneGroup)
{
    const Topology t = plan_topology({0, 1}, {1, 2}, 1);
    ASSERT_EQ(t.slaves.size(), 2U);
    EXPECT_EQ(t.slaves[0].lcore, 1U);
    EXPECT_EQ(t.slaves[0].rx_ports, std::vector<uint16_t>{0});
    EXPECT_EQ(t.slaves[1].lcore, 2U);
    EXPECT_EQ(t.slaves[1].rx_ports, std::vector<uint16_t>{1});
    EXPECT_EQ(t.dst_port.at(0), 1);
    EXPECT_EQ(t.dst_port.at(1), 0);
    EXPECT_EQ(t.group[0], t.group[1]);
    EXPECT_EQ(t.group_of(0), (std::vector<unsigned>{0, 1}));
    EXPECT_EQ(t.pairings, std::vector<std::string>{"lcore 1 and 2 paired"});
}

TEST(Topology, FourPortsMakeTwoIndependentPairs)
{
    const Topology t = plan_topology({0, 1, 2, 3}, {1, 2, 3, 4, 5}, 1);
    ASSERT_EQ(t.slaves.size(), 4U); // lcore 5 stays idle
    EXPECT_EQ(t.group_of(0), (std::vector<unsigned>{0, 1}));
    EXPECT_EQ(t.group_of(3), (std::vector<unsigned>{2, 3}));
    EXPECT_NE(t.group[0], t.group[2]);
    EXPECT_EQ(t.pairings, (std::vector<std::string>{"lcore 1 and 2 paired",
                                                    "lcore 3 and 4 paired"}));
}

TEST(Topology, SlaveWithBothPortsOfAPairDependsOnNobodyElse)
{
    const Topology t = plan_topology({0, 1, 2, 3}, {1, 2}, 2);
    ASSERT_EQ(t.slaves.size(), 2U);
    EXPECT_EQ(t.slaves[1].rx_ports, (std::vector<uint16_t>{2, 3}));
    EXPECT_EQ(t.group_of(0), std::vector<unsigned>{0});
    EXPECT_EQ(t.group_of(1), std::vector<unsigned>{1});
}

TEST(Topology, PairSplitAcrossSlavesJoinsTheirGroups)
{
    // -q 3 over 6 ports: slave 0 has 0,1,2 and slave 1 has 3,4,5; 2<->3 ties them.
    const Topology t = plan_topology({0, 1, 2, 3, 4, 5}, {1, 2}, 3);
    EXPECT_EQ(t.group[0], t.group[1]);
    // Ports are paired by position among the selected ones, as upstream.
    const Topology sparse = plan_topology({1, 3, 4, 6}, {1, 2, 3, 4}, 1);
    EXPECT_EQ(sparse.dst_port.at(1), 3);
    EXPECT_EQ(sparse.dst_port.at(4), 6);
    EXPECT_EQ(sparse.receiver_of(6), 3U);
}

TEST(Topology, NotEnoughLcoresSaysHowMany)
{
    EXPECT_EQ(mptest::error_of<mp::StartupError>([] { plan_topology({0, 1, 2, 3}, {1, 2}, 1); }),
              "not enough lcores: 4 ports at 1 per slave need 4 slave lcores, but the EAL "
              "arguments leave 2 besides the master's (add lcores or raise -q)");
}

TEST(LcoreIds, ClaimsSkipTheMastersLcoresAndAreDistinct)
{
    std::vector<std::atomic<int32_t>> slots(8);
    LcoreIdAllocator ids(slots);
    const unsigned master[] = {0, 1, 2};
    ids.reset(master);
    EXPECT_EQ(ids.free_count(), 5U);
    std::set<unsigned> claimed;
    for (int32_t owner = 1; owner <= 5; ++owner) {
        const auto id = ids.claim(owner);
        ASSERT_TRUE(id);
        EXPECT_GE(*id, 3U);
        EXPECT_EQ(ids.owner(*id), owner);
        claimed.insert(*id);
    }
    EXPECT_EQ(claimed.size(), 5U);
    EXPECT_FALSE(ids.claim(6)) << "every id is taken";
}

TEST(LcoreIds, ReleaseGivesTheIdBackToItsOwnerOnly)
{
    std::vector<std::atomic<int32_t>> slots(4);
    LcoreIdAllocator ids(slots);
    const unsigned master[] = {0};
    ids.reset(master);
    const auto id = ids.claim(7);
    ASSERT_TRUE(id);
    EXPECT_FALSE(ids.release(*id, 8)) << "not the owner";
    EXPECT_FALSE(ids.release(0, LcoreIdAllocator::reserved)) << "a master lcore";
    EXPECT_TRUE(ids.release(*id, 7));
    EXPECT_FALSE(ids.release(*id, 7)) << "already free";
    EXPECT_EQ(ids.claim(9), id) << "the lowest free id comes back";
}

TEST(LcoreIds, ConcurrentClaimsNeverShareAnId)
{
    std::vector<std::atomic<int32_t>> slots(RTE_MAX_LCORE);
    LcoreIdAllocator ids(slots);
    const unsigned master[] = {0, 1};
    ids.reset(master);
    std::vector<std::vector<unsigned>> got(4);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int round = 0; round < 1000; ++round) {
                const auto id = ids.claim(t + 1);
                if (!id)
                    continue;
                got[t].push_back(*id);
                EXPECT_EQ(ids.owner(*id), t + 1);
                EXPECT_TRUE(ids.release(*id, t + 1));
            }
        });
    for (auto& thread : threads)
        thread.join();
    for (const auto& list : got)
        for (unsigned id : list)
            EXPECT_GE(id, 2U);
    EXPECT_EQ(ids.free_count(), RTE_MAX_LCORE - 2U);
}

// ---- supervisor ------------------------------------------------------------
using Kind = Supervisor::Action::Kind;
using Clock = Supervisor::Clock;

// (kind, slave) per action; (restart, group size) for a restart.
using Actions = std::vector<std::pair<Kind, unsigned>>;

Actions kinds(const std::vector<Supervisor::Action>& actions)
{
    Actions out;
    for (const auto& a : actions)
        out.emplace_back(a.kind, a.kind == Kind::restart ? a.members.size() : a.slave);
    return out;
}

struct SupervisorTest : ::testing::Test {
    // Two groups: slaves 0+1 and 2+3.
    Supervisor supervisor{{0, 0, 1, 1}, 500ms, 3};
    Clock::time_point t0 = Clock::now();

    void start_all()
    {
        for (unsigned s = 0; s < 4; ++s) {
            supervisor.launched(s);
            EXPECT_FALSE(supervisor.ready(s, t0));
        }
        EXPECT_TRUE(supervisor.poll(t0).empty());
    }
};

TEST_F(SupervisorTest, DeathStopsThePairThenRestartsBothAndTimesTheRecovery)
{
    start_all();
    EXPECT_FALSE(supervisor.ended(0, t0 + 1s)) << "a death, not a requested stop";
    auto actions = supervisor.poll(t0 + 1001ms);
    ASSERT_EQ(actions.size(), 1U);
    EXPECT_EQ(actions[0].kind, Kind::stop);
    EXPECT_EQ(actions[0].slave, 1U);
    EXPECT_EQ(actions[0].cause, 0U);
    EXPECT_EQ(supervisor.state(1), SlaveState::stopping);
    EXPECT_EQ(supervisor.state(2), SlaveState::running) << "the other group goes on";
    EXPECT_TRUE(supervisor.poll(t0 + 1002ms).empty()) << "STOP is sent once";

    EXPECT_TRUE(supervisor.ended(1, t0 + 1010ms)) << "it was asked to stop";
    actions = supervisor.poll(t0 + 1011ms);
    ASSERT_EQ(actions.size(), 1U);
    EXPECT_EQ(actions[0].kind, Kind::restart);
    EXPECT_EQ(actions[0].members, (std::vector<unsigned>{0, 1}));
    EXPECT_TRUE(supervisor.poll(t0 + 1012ms).empty()) << "restarted once";

    supervisor.launched(0);
    supervisor.launched(1);
    EXPECT_FALSE(supervisor.ready(1, t0 + 1050ms)) << "the group is not whole yet";
    const auto recovery = supervisor.ready(0, t0 + 1090ms);
    ASSERT_TRUE(recovery);
    EXPECT_EQ(recovery->cause, 0U);
    EXPECT_EQ(recovery->members, (std::vector<unsigned>{0, 1}));
    EXPECT_EQ(recovery->elapsed(), 90ms);
    EXPECT_FALSE(supervisor.recovering(0));
}

TEST_F(SupervisorTest, SlaveThatIgnoresStopIsKilledAfterTheTimeout)
{
    start_all();
    supervisor.ended(3, t0);
    EXPECT_EQ(kinds(supervisor.poll(t0)), (Actions{{Kind::stop, 2}}));
    EXPECT_TRUE(supervisor.poll(t0 + 499ms).empty());
    EXPECT_EQ(kinds(supervisor.poll(t0 + 500ms)),
              (Actions{{Kind::kill, 2}}));
    EXPECT_TRUE(supervisor.poll(t0 + 900ms).empty()) << "killed once";
    supervisor.ended(2, t0 + 901ms);
    EXPECT_EQ(kinds(supervisor.poll(t0 + 902ms)),
              (Actions{{Kind::restart, 2}}));
}

TEST_F(SupervisorTest, BothDeadAtOnceRestartWithoutStop)
{
    start_all();
    supervisor.ended(0, t0);
    supervisor.ended(1, t0 + 1ms);
    EXPECT_EQ(kinds(supervisor.poll(t0 + 2ms)),
              (Actions{{Kind::restart, 2}}));
}

TEST_F(SupervisorTest, DeathDuringTheRestartGoesRoundAgainAndKeepsTheFirstDeathTime)
{
    start_all();
    supervisor.ended(0, t0);
    supervisor.poll(t0);
    supervisor.ended(1, t0 + 5ms);
    supervisor.poll(t0 + 6ms); // restart
    supervisor.launched(0);
    supervisor.launched(1);
    supervisor.ready(1, t0 + 20ms);
    supervisor.ended(0, t0 + 30ms); // the new slave 0 dies before it forwards
    EXPECT_EQ(kinds(supervisor.poll(t0 + 31ms)),
              (Actions{{Kind::stop, 1}}));
    supervisor.ended(1, t0 + 35ms);
    EXPECT_EQ(kinds(supervisor.poll(t0 + 36ms)),
              (Actions{{Kind::restart, 2}}));
    supervisor.launched(0);
    supervisor.launched(1);
    supervisor.ready(0, t0 + 50ms);
    const auto recovery = supervisor.ready(1, t0 + 60ms);
    ASSERT_TRUE(recovery);
    EXPECT_EQ(recovery->elapsed(), 60ms);
}

TEST_F(SupervisorTest, SlaveThatNeverStartsMakesTheMasterGiveUp)
{
    start_all();
    supervisor.ended(0, t0);
    supervisor.poll(t0); // stop 1
    supervisor.ended(1, t0);
    ASSERT_EQ(kinds(supervisor.poll(t0)),
              (Actions{{Kind::restart, 2}}));
    // Slave 0 now dies before it forwards, three times (the limit given above).
    for (int round = 1; round <= 3; ++round) {
        supervisor.launched(0);
        supervisor.launched(1);
        supervisor.ready(1, t0);
        supervisor.ended(0, t0);
        if (round < 3) {
            EXPECT_EQ(kinds(supervisor.poll(t0)),
                      (Actions{{Kind::stop, 1}}));
            supervisor.ended(1, t0);
            EXPECT_EQ(kinds(supervisor.poll(t0)),
                      (Actions{{Kind::restart, 2}}));
        } else {
            // Give up at once; the partner is still stopped, nothing restarts.
            EXPECT_EQ(kinds(supervisor.poll(t0)),
                      (Actions{{Kind::give_up, 0},
                                                              {Kind::stop, 1}}));
            supervisor.ended(1, t0);
            EXPECT_TRUE(supervisor.poll(t0).empty());
        }
    }
}

TEST_F(SupervisorTest, ShutdownStopsEverySlaveAndRestartsNothing)
{
    start_all();
    supervisor.shutdown();
    auto actions = supervisor.poll(t0);
    EXPECT_EQ(actions.size(), 4U);
    for (const auto& a : actions)
        EXPECT_EQ(a.kind, Kind::stop);
    for (unsigned s = 0; s < 3; ++s)
        EXPECT_TRUE(supervisor.ended(s, t0 + 1ms));
    EXPECT_FALSE(supervisor.all_ended());
    EXPECT_EQ(kinds(supervisor.poll(t0 + 600ms)),
              (Actions{{Kind::kill, 3}}));
    supervisor.ended(3, t0 + 601ms);
    EXPECT_TRUE(supervisor.poll(t0 + 602ms).empty());
    EXPECT_TRUE(supervisor.all_ended());
}

TEST_F(SupervisorTest, SlaveNotReadyWithinTheStartLimitIsKilledAndCountsAsAFailedStart)
{
    Supervisor limited{{0, 0}, 500ms, 2, 5s};
    limited.launched(0, t0);
    limited.launched(1, t0);
    limited.ready(1, t0 + 100ms);
    EXPECT_TRUE(limited.poll(t0 + 4999ms).empty());
    EXPECT_EQ(kinds(limited.poll(t0 + 5s)), (Actions{{Kind::start_timeout, 0}}));
    EXPECT_TRUE(limited.poll(t0 + 6s).empty()) << "killed once";
    // Killed by the master's SIGKILL: a failed start all the same.
    limited.ended(0, t0 + 6s, true);
    EXPECT_EQ(kinds(limited.poll(t0 + 6s)), (Actions{{Kind::stop, 1}}));
    limited.ended(1, t0 + 6s);
    EXPECT_EQ(kinds(limited.poll(t0 + 6s)), (Actions{{Kind::restart, 2}}));
    limited.launched(0, t0 + 6s);
    limited.launched(1, t0 + 6s);
    EXPECT_EQ(kinds(limited.poll(t0 + 11s)),
              (Actions{{Kind::start_timeout, 0}, {Kind::start_timeout, 1}}));
    limited.ended(0, t0 + 11s, true);
    EXPECT_EQ(kinds(limited.poll(t0 + 11s)), (Actions{{Kind::give_up, 0}, {Kind::stop, 1}}))
        << "the second failed start in a row reaches the limit of 2";
}

TEST_F(SupervisorTest, KillsFromOutsideDuringStartUpNeverMakeTheMasterGiveUp)
{
    start_all();
    for (int round = 0; round < 10; ++round) {
        supervisor.ended(0, t0, true); // kill -9 from outside, still starting
        EXPECT_EQ(kinds(supervisor.poll(t0)), (Actions{{Kind::stop, 1}}));
        supervisor.ended(1, t0);
        EXPECT_EQ(kinds(supervisor.poll(t0)), (Actions{{Kind::restart, 2}}))
            << "round " << round;
        supervisor.launched(0, t0);
        supervisor.launched(1, t0);
    }
}

TEST_F(SupervisorTest, StartingPartnerIsNotKilledAtTheStopTimeoutButAtShutdownItIs)
{
    Supervisor limited{{0, 0}, 500ms, 3, 5s};
    limited.launched(0, t0);
    limited.launched(1, t0);
    limited.ended(0, t0 + 10ms, true);
    EXPECT_EQ(kinds(limited.poll(t0 + 10ms)), (Actions{{Kind::stop, 1}}));
    // Inside rte_eal_init a kill could leave a DPDK lock held: it gets until
    // its start limit to see STOP.
    EXPECT_TRUE(limited.poll(t0 + 2s).empty());
    limited.shutdown(t0 + 2s);
    EXPECT_TRUE(limited.poll(t0 + 2499ms).empty());
    EXPECT_EQ(kinds(limited.poll(t0 + 2500ms)), (Actions{{Kind::kill, 1}}))
        << "leaving: the stop timeout for all";
}

// ---- launches ------------------------------------------------------------------
TEST(LaunchSlot, AFailedLaunchEndsAtOnceAndIsCollectedWithoutWaiting)
{
    LaunchSlot slot;
    EXPECT_FALSE(slot.outstanding()) << "nothing launched yet";
    slot.arm();
    EXPECT_TRUE(slot.outstanding());
    slot.launch_failed("cannot launch it on lcore 1: Device or resource busy");
    ASSERT_TRUE(slot.due()) << "no launcher will ever report: the result is there now";
    bool waited = false;
    const LaunchResult& result = slot.collect([&] { waited = true; });
    EXPECT_FALSE(waited) << "no launcher ran, so none is waited for";
    EXPECT_FALSE(slot.outstanding());
    EXPECT_EQ(result.pid, -1);
    EXPECT_EQ(describe_end(result),
              "was not started: cannot launch it on lcore 1: Device or resource busy");
}

TEST(LaunchSlot, ALaunchedSlaveIsDueOnlyOnceItsLauncherFinished)
{
    LaunchSlot slot;
    slot.arm();
    slot.launched();
    EXPECT_TRUE(slot.outstanding());
    EXPECT_FALSE(slot.due());
    LaunchResult ended;
    ended.pid = 42;
    slot.finish(ended);
    ASSERT_TRUE(slot.due());
    bool waited = false;
    EXPECT_EQ(slot.collect([&] { waited = true; }).pid, 42);
    EXPECT_TRUE(waited);
    EXPECT_FALSE(slot.due());
}

// ---- the shared state's layout -------------------------------------------------
TEST(SharedLayout, ASlaveRefusesTheStateOfAnotherBuild)
{
    EXPECT_EQ(layout_mismatch(this_build_header()), "");
    SharedHeader other = this_build_header();
    other.layout_version += 1;
    EXPECT_EQ(layout_mismatch(other),
              "the master's shared state has layout version " +
                  std::to_string(shared_layout_version + 1) + " (" +
                  std::to_string(sizeof(SharedState)) +
                  " bytes), this program expects version " +
                  std::to_string(shared_layout_version) + " (" +
                  std::to_string(sizeof(SharedState)) +
                  " bytes): it is another build of l2fwd_fork");
    other = this_build_header();
    other.layout_size -= 64;
    EXPECT_NE(layout_mismatch(other), "") << "same version, other size: another layout";
    other = this_build_header();
    other.magic = 0;
    EXPECT_EQ(layout_mismatch(other),
              "the memzone l2fwd_fork_shared was not written by an l2fwd_fork master");
}

// ---- slave command lines -----------------------------------------------------
TEST(SlaveCommand, InheritsDeviceAndLogOptionsOnly)
{
    const std::vector<std::string> master = {
        "-l",          "0-2",         "-n",        "4",          "--no-pci",
        "--vdev",      "net_null0",   "--vdev=net_null1", "-a", "0000:01:00.0",
        "-b0000:02:00.0", "--log-level", "pmd.*:debug", "--file-prefix=x", "--lcores=0@0",
        "--proc-type", "primary",     "-d",        "/opt/pmd.so", "--huge-dir=/mnt/huge",
        "--in-memory", "--allow=0000:03:00.0,x=1"};
    EXPECT_EQ(inherited_eal_args(master),
              (std::vector<std::string>{"--no-pci", "--allow=0000:01:00.0",
                                        "--block=0000:02:00.0", "--log-level=pmd.*:debug",
                                        "-d/opt/pmd.so", "--huge-dir=/mnt/huge",
                                        "--allow=0000:03:00.0,x=1"}));
}

TEST(SlaveCommand, PinnedAndFloatingLcoreMappings)
{
    SlaveCommand command{"./l2fwd_fork", "pfx", 2, {1}, {"--no-pci"}, 1};
    EXPECT_EQ(slave_argv(command),
              (std::vector<std::string>{"./l2fwd_fork", "--proc-type=secondary",
                                        "--file-prefix=pfx", "--lcores=2@1", "--no-telemetry",
                                        "--log-level=lib.eal:warning", "--no-pci", "--",
                                        "--slave=1"}));
    command.lcore = 5;
    command.cpus = {0, 1, 3};
    EXPECT_EQ(slave_argv(command)[3], "--lcores=5@(0,1,3)");
}

// ---- statistics and MAC update ---------------------------------------------------
TEST(Stats, UpstreamL2fwdLayout)
{
    auto shared = std::make_unique<SharedState>();
    shared->port_stats[0].tx.add(10);
    shared->port_stats[0].rx.add(20);
    shared->port_stats[0].dropped.add(1);
    shared->port_stats[1].tx.add(20);
    shared->port_stats[1].rx.add(11);
    char* text = nullptr;
    std::size_t size = 0;
    std::FILE* out = open_memstream(&text, &size);
    print_stats(out, *shared, {0, 1}, false);
    std::fclose(out);
    const std::string expected = "\nPort statistics ===================================="
                                 "\nStatistics for port 0 ------------------------------"
                                 "\nPackets sent:                       10"
                                 "\nPackets received:                   20"
                                 "\nPackets dropped:                     1"
                                 "\nStatistics for port 1 ------------------------------"
                                 "\nPackets sent:                       20"
                                 "\nPackets received:                   11"
                                 "\nPackets dropped:                     0"
                                 "\nAggregate statistics ==============================="
                                 "\nTotal packets sent:                 30"
                                 "\nTotal packets received:             31"
                                 "\nTotal packets dropped:               1"
                                 "\n====================================================\n";
    EXPECT_EQ(std::string(text, size), expected);
    std::free(text);
}

TEST(Forwarding, MacUpdateAsL2fwd)
{
    rte_ether_hdr eth{};
    eth.src_addr = rte_ether_addr{{1, 2, 3, 4, 5, 6}};
    eth.ether_type = 0x0008;
    const rte_ether_addr port_mac{{0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}};
    update_macs(eth, 7, port_mac);
    const rte_ether_addr want_dst{{0x02, 0, 0, 0, 0, 7}};
    EXPECT_TRUE(rte_is_same_ether_addr(&eth.dst_addr, &want_dst));
    EXPECT_TRUE(rte_is_same_ether_addr(&eth.src_addr, &port_mac));
    EXPECT_EQ(eth.ether_type, 0x0008) << "the rest of the header is left alone";
}

} // namespace

// ---- standbys ------------------------------------------------------------------
namespace {
using Book = StandbyBook;
const Book::Clock::time_point t0{};
} // namespace

TEST(Standbys, PlanOnePerSlavePinnedFourRecoveriesOfTheLargestGroupFloating)
{
    const auto pinned = standby_plan({0, 0, 1, 1}, false);
    ASSERT_EQ(pinned.size(), 4U);
    EXPECT_EQ(pinned[2], 2U);
    const auto floating = standby_plan({0, 0, 1, 1, 1}, true);
    EXPECT_EQ(floating.size(), 12U);
    EXPECT_TRUE(std::none_of(floating.begin(), floating.end(),
                             [](const auto& slave) { return slave.has_value(); }));
}

TEST(Standbys, ReadyOnesAreTakenFirstAndOnlyForTheirSlave)
{
    Book book({0, 1, std::nullopt}, std::chrono::seconds(5), 5);
    EXPECT_EQ(book.to_start(), (std::vector<unsigned>{0, 1, 2}));
    EXPECT_TRUE(book.to_start().empty()) << "asked for once";
    EXPECT_FALSE(book.take(0)) << "none forked yet";
    EXPECT_FALSE(book.started(0, 100, t0));
    EXPECT_FALSE(book.started(1, 101, t0));
    EXPECT_FALSE(book.started(2, 102, t0));
    book.ready(2);
    const auto first = book.take(0);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->pid, 102) << "the ready one, though entry 0 is for slave 0";
    const auto second = book.take(0);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->pid, 100) << "then one still starting";
    EXPECT_FALSE(book.take(0)) << "entry 1 is slave 1's";
    book.give_back(*second);
    EXPECT_EQ(book.take(0)->pid, 100);
    EXPECT_EQ(book.to_start(), (std::vector<unsigned>{0, 2})) << "taken ones start again";
}

TEST(Standbys, OfThoseStillStartingTheOldestIsTaken)
{
    Book book({std::nullopt, std::nullopt, std::nullopt}, std::chrono::seconds(5), 5);
    ASSERT_EQ(book.to_start().size(), 3U);
    book.started(0, 100, t0 + std::chrono::milliseconds(300));
    book.started(1, 101, t0);
    book.started(2, 102, t0 + std::chrono::milliseconds(100));
    EXPECT_EQ(book.take(0)->pid, 101) << "started first: the furthest along";
    EXPECT_EQ(book.take(0)->pid, 102);
    book.ready(0);
    EXPECT_EQ(book.take(0)->pid, 100);
}

TEST(Standbys, OnlyFailuresOfTheirOwnStopThemBeingStarted)
{
    Book book({std::nullopt}, std::chrono::seconds(5), 2);
    for (int kill = 0; kill < 5; ++kill) {
        ASSERT_EQ(book.to_start().size(), 1U);
        book.started(0, 200 + kill, t0);
        EXPECT_TRUE(book.ended(0, false)) << "killed from outside in its start-up";
    }
    for (int failure = 0; failure < 2; ++failure) {
        ASSERT_EQ(book.to_start().size(), 1U);
        book.started(0, 300 + failure, t0);
        book.ended(0, true);
    }
    EXPECT_TRUE(book.to_start().empty()) << "two failures of its own in a row";
    EXPECT_TRUE(book.all_gone());
}

TEST(Standbys, StartLimitAndRetirementKillOnce)
{
    Book book({std::nullopt, std::nullopt, std::nullopt}, std::chrono::seconds(5), 5);
    book.to_start();
    book.started(0, 100, t0);
    book.started(1, 101, t0);
    book.ready(1);
    EXPECT_EQ(book.overdue(t0 + std::chrono::seconds(5)), (std::vector<unsigned>{0}));
    EXPECT_TRUE(book.overdue(t0 + std::chrono::seconds(6)).empty()) << "killed once";
    EXPECT_TRUE(book.ended(0, false));
    EXPECT_EQ(book.retire(t0 + std::chrono::seconds(6), std::chrono::milliseconds(500)),
              (std::vector<unsigned>{1}));
    EXPECT_TRUE(book.started(2, 102, t0 + std::chrono::seconds(6))) << "forked after retire";
    EXPECT_EQ(book.state(2), Book::State::retiring);
    EXPECT_TRUE(book.to_start().empty());
    EXPECT_FALSE(book.take(0));
    EXPECT_EQ(book.overdue(t0 + std::chrono::milliseconds(6500)),
              (std::vector<unsigned>{1, 2}));
    EXPECT_FALSE(book.ended(1, false)) << "it had been ready";
    EXPECT_TRUE(book.ended(2, false));
    EXPECT_TRUE(book.all_gone());
}
