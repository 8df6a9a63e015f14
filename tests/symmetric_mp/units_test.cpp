/* SPDX-License-Identifier: BSD-3-Clause */
// symmetric_mp's units without DPDK: option parsing, the proc-id/lcore claim table,
// the comparison with the primary's options and the lcore/port-pair split.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include "../harness/argv.hpp"
#include "claims.hpp"
#include "forward.hpp"
#include "options.hpp"
#include "shared_config.hpp"

using namespace symmetric_mp;

namespace {

Options parse(std::vector<std::string> words)
{
    const mptest::Argv argv(std::move(words));
    return parse_options(argv.span());
}

std::string usage_error(std::vector<std::string> words)
{
    return mptest::usage_error([](auto args) { parse_options(args); }, std::move(words));
}

TEST(Options, ShortAndLongFormsBothWork)
{
    const Options a = parse({"-p", "3", "--num-procs", "4", "--proc-id", "2"});
    EXPECT_EQ(a.portmask, 3U);
    EXPECT_EQ(a.num_procs, 4U);
    EXPECT_EQ(a.proc_id, 2U);
    const Options b = parse({"-p0xf0", "--num-procs=2", "--proc-id=1"});
    EXPECT_EQ(b.portmask, 0xf0U);
    EXPECT_EQ(b.num_procs, 2U);
    EXPECT_EQ(b.proc_id, 1U);
}

TEST(Options, EachBadInputIsNamed)
{
    EXPECT_EQ(usage_error({"-p", "0", "--num-procs", "2", "--proc-id", "0"}),
              "portmask '0' selects no port");
    EXPECT_EQ(usage_error({"-p", "xyz", "--num-procs", "2", "--proc-id", "0"}),
              "invalid portmask 'xyz': expected a hexadecimal mask such as 3 or 0x3");
    EXPECT_EQ(usage_error({"--num-procs", "2", "--proc-id", "0"}),
              "missing option -p (hexadecimal mask of the ports to use)");
    EXPECT_EQ(usage_error({"-p", "3", "--proc-id", "0"}),
              "missing option --num-procs (number of symmetric_mp processes)");
    EXPECT_EQ(usage_error({"-p", "3", "--num-procs", "2"}),
              "missing option --proc-id (this process's number, from 0 to num-procs - 1)");
    EXPECT_EQ(usage_error({"-p", "3", "--num-procs", "2", "--proc-id", "2"}),
              "--proc-id 2 is out of range: with --num-procs 2 it must be from 0 to 1");
    EXPECT_EQ(usage_error({"-p", "3", "--num-procs", "0", "--proc-id", "0"}),
              "invalid value '0' for --num-procs: expected a number from 1 to 64");
    EXPECT_EQ(usage_error({"-p", "3", "--num-procs", "two", "--proc-id", "0"}),
              "invalid value 'two' for --num-procs: expected a number from 1 to 64");
    EXPECT_EQ(usage_error({"-p", "3", "--num-procs", "2", "--proc-id", "-1"}),
              "invalid value '-1' for --proc-id: expected a number from 0 to 63");
    EXPECT_EQ(usage_error({"-p", "3", "--num-procs", "2", "--proc-id"}),
              "option --proc-id needs a value");
    EXPECT_EQ(usage_error({"-p", "3", "--num-procs", "2", "--proc-id", "0", "--fast"}),
              "unknown option '--fast'");
}

// The owner keys and the claim slots themselves are tested with the common
// library (tests/common_shared_state_test.cpp); here: the table's proc-id and
// lcore claims as symmetric_mp uses them.

TEST(ProcTable, FreeSlotIsClaimedAndReleasedWithItsLcores)
{
    auto table = std::make_unique<ProcTable>();
    const mp::OwnerKey me = mp::self_key();
    EXPECT_EQ(table->procs[3].claim(me).result, mp::ClaimResult::taken);
    const unsigned lcores[] = {1, 70};
    const LcoreClaims taken = table->claim_lcores(lcores, me);
    EXPECT_FALSE(taken.conflict);
    EXPECT_TRUE(taken.taken_over.empty());
    EXPECT_EQ(table->procs[3].holder(), me);
    EXPECT_EQ(table->lcores[70].slot.holder(), me);
    EXPECT_EQ(table->proc_of(me), 3U);
    table->release(3, me);
    EXPECT_EQ(table->procs[3].holder(), 0U);
    EXPECT_EQ(table->lcores[1].slot.holder(), 0U);
    EXPECT_EQ(table->lcores[70].slot.holder(), 0U);
}

TEST(ProcTable, ReleaseByAnotherProcessLeavesTheSlot)
{
    auto table = std::make_unique<ProcTable>();
    const mp::OwnerKey holder = mp::self_key();
    const mp::OwnerKey newcomer = mp::owner_key(getppid());
    ASSERT_EQ(table->procs[1].claim(holder).result, mp::ClaimResult::taken);
    const mp::Claim c = table->procs[1].claim(newcomer);
    EXPECT_EQ(c.result, mp::ClaimResult::held);
    EXPECT_EQ(c.previous, holder);
    table->release(1, newcomer); // not the holder: no effect
    EXPECT_EQ(table->procs[1].holder(), holder);
}

// A newcomer that takes over a dead process's lcore and then meets a live one
// on another lcore backs off; the dead one's lcore must still read as a dead
// owner's, so that the next process recovers its cache (a free slot would
// let it use the dead one's cache, stale pointers and all).
TEST(ProcTable, BackingOffLeavesADeadOwnersLcoreDueForRecovery)
{
    auto table = std::make_unique<ProcTable>();
    const mp::OwnerKey dead = 4242, live = 5151, newcomer = 6161, next = 7171;
    const auto alive = [&](mp::OwnerKey key) { return key != dead; };
    table->lcores[1].slot.owner = dead;
    table->lcores[2].slot.owner = live;

    const unsigned both[] = {1, 2};
    const LcoreClaims refused = table->claim_lcores(both, newcomer, alive);
    ASSERT_TRUE(refused.conflict);
    EXPECT_EQ(refused.conflict->lcore, 2U);
    EXPECT_EQ(table->lcores[1].slot.holder(), dead) << "the dead owner, not a free slot";

    const unsigned one[] = {1};
    const LcoreClaims resumed = table->claim_lcores(one, next, alive);
    EXPECT_FALSE(resumed.conflict);
    EXPECT_EQ(resumed.taken_over, std::vector<unsigned>{1}) << "its cache is recovered";
}

TEST(ProcTable, SharedLcoreOfALiveProcessIsFoundAndNothingIsHeld)
{
    auto table = std::make_unique<ProcTable>();
    const mp::OwnerKey other = mp::owner_key(getppid());
    const mp::OwnerKey me = mp::self_key();
    ASSERT_EQ(table->procs[0].claim(other).result, mp::ClaimResult::taken);
    const unsigned other_lcores[] = {1, 70};
    ASSERT_FALSE(table->claim_lcores(other_lcores, other).conflict);

    ASSERT_EQ(table->procs[1].claim(me).result, mp::ClaimResult::taken);
    const unsigned overlapping[] = {5, 70};
    const LcoreClaims taken = table->claim_lcores(overlapping, me);
    ASSERT_TRUE(taken.conflict);
    EXPECT_EQ(taken.conflict->lcore, 70U);
    EXPECT_EQ(taken.conflict->proc_id, 0U);
    EXPECT_EQ(taken.conflict->owner, other);
    EXPECT_EQ(table->lcores[5].slot.holder(), 0U) << "all or nothing";

    const unsigned disjoint[] = {2, 3};
    EXPECT_FALSE(table->claim_lcores(disjoint, me).conflict);
    table->release(1, me);

    // A dead holder's lcores are taken over (their caches need recovery), and a
    // released process's lcores are free.
    const auto nobody_alive = [](mp::OwnerKey) { return false; };
    const LcoreClaims resumed = table->claim_lcores(overlapping, me, nobody_alive);
    EXPECT_FALSE(resumed.conflict);
    EXPECT_EQ(resumed.taken_over, std::vector<unsigned>{70});
    table->release(1, me);
    table->release(0, other);
    EXPECT_FALSE(table->claim_lcores(other_lcores, me).conflict);
}

TEST(ProcTable, RacingProcessesOnOneLcoreGetOneWinner)
{
    auto table = std::make_unique<ProcTable>();
    constexpr int contenders = 8;
    std::vector<LcoreClaims> results(contenders);
    std::vector<std::thread> threads;
    const unsigned lcore[] = {9};
    for (int i = 0; i < contenders; ++i)
        threads.emplace_back([&, i] {
            results[i] = table->claim_lcores(lcore, 100000 + i, [](mp::OwnerKey) { return true; });
        });
    for (auto& t : threads)
        t.join();
    int winners = 0;
    for (const LcoreClaims& r : results)
        winners += r.conflict ? 0 : 1;
    EXPECT_EQ(winners, 1);
}

TEST(SharedConfig, MismatchNamesBothValues)
{
    auto config = std::make_unique<SharedConfig>();
    config->num_procs = 2;
    config->portmask = 3;
    const auto error = [&](Options o) {
        return mptest::error_of<mp::StartupError>([&] { check_matches(*config, o); });
    };
    EXPECT_EQ(error({3, 2, 1}), "no error");
    EXPECT_EQ(error({3, 4, 1}), "--num-procs 4 does not match --num-procs 2 of the running "
                                "processes: every symmetric_mp process must be given the same "
                                "--num-procs and -p");
    EXPECT_EQ(error({0xc, 2, 0}), "-p 0xc does not match -p 0x3 of the running processes: every "
                                  "symmetric_mp process must be given the same --num-procs and -p");
}

TEST(AssignPortPairs, PairsAreSpreadOverLcoresFirstOnesGetMore)
{
    const auto one = assign_port_pairs(2, 1);
    ASSERT_EQ(one.size(), 1U);
    EXPECT_EQ(one[0].start, 0U);
    EXPECT_EQ(one[0].count, 2U);

    const auto three = assign_port_pairs(8, 3); // 4 pairs: 2, 1, 1
    ASSERT_EQ(three.size(), 3U);
    EXPECT_EQ(three[0].start, 0U);
    EXPECT_EQ(three[0].count, 4U);
    EXPECT_EQ(three[1].start, 4U);
    EXPECT_EQ(three[1].count, 2U);
    EXPECT_EQ(three[2].start, 6U);
    EXPECT_EQ(three[2].count, 2U);

    const auto idle = assign_port_pairs(2, 2); // one pair, the second lcore idles
    EXPECT_EQ(idle[0].count, 2U);
    EXPECT_EQ(idle[1].count, 0U);
}

} // namespace
