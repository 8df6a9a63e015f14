/* SPDX-License-Identifier: BSD-3-Clause */
// symmetric_mp's units without DPDK: option parsing, the proc-id claim table,
// the comparison with the primary's options and the lcore/port-pair split.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include "claims.hpp"
#include "forward.hpp"
#include "options.hpp"
#include "shared_config.hpp"

using namespace symmetric_mp;

namespace {

Options parse(std::vector<std::string> words)
{
    std::vector<char*> argv;
    for (std::string& w : words)
        argv.push_back(w.data());
    return parse_options(argv);
}

std::string error_of(std::vector<std::string> words)
{
    try {
        parse(std::move(words));
    } catch (const mp::UsageError& e) {
        return e.what();
    }
    return "no error";
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
    EXPECT_EQ(error_of({"-p", "0", "--num-procs", "2", "--proc-id", "0"}),
              "portmask '0' selects no port");
    EXPECT_EQ(error_of({"-p", "xyz", "--num-procs", "2", "--proc-id", "0"}),
              "invalid portmask 'xyz': expected a hexadecimal mask such as 3 or 0x3");
    EXPECT_EQ(error_of({"--num-procs", "2", "--proc-id", "0"}),
              "missing option -p (hexadecimal mask of the ports to use)");
    EXPECT_EQ(error_of({"-p", "3", "--proc-id", "0"}),
              "missing option --num-procs (number of symmetric_mp processes)");
    EXPECT_EQ(error_of({"-p", "3", "--num-procs", "2"}),
              "missing option --proc-id (this process's number, from 0 to num-procs - 1)");
    EXPECT_EQ(error_of({"-p", "3", "--num-procs", "2", "--proc-id", "2"}),
              "--proc-id 2 is out of range: with --num-procs 2 it must be from 0 to 1");
    EXPECT_EQ(error_of({"-p", "3", "--num-procs", "0", "--proc-id", "0"}),
              "invalid value '0' for --num-procs: expected a number from 1 to 64");
    EXPECT_EQ(error_of({"-p", "3", "--num-procs", "two", "--proc-id", "0"}),
              "invalid value 'two' for --num-procs: expected a number from 1 to 64");
    EXPECT_EQ(error_of({"-p", "3", "--num-procs", "2", "--proc-id", "-1"}),
              "invalid value '-1' for --proc-id: expected a number from 0 to 63");
    EXPECT_EQ(error_of({"-p", "3", "--num-procs", "2", "--proc-id"}),
              "option --proc-id needs a value");
    EXPECT_EQ(error_of({"-p", "3", "--num-procs", "2", "--proc-id", "0", "--fast"}),
              "unknown option '--fast'");
}

// A pid that surely does not exist (a reaped child).
pid_t dead_pid()
{
    const pid_t child = fork();
    if (child == 0)
        _exit(0);
    waitpid(child, nullptr, 0);
    return child;
}

TEST(OwnerKey, NamesOneProcessNotJustItsPid)
{
    const OwnerKey me = owner_key(getpid());
    ASSERT_NE(me, 0U);
    EXPECT_EQ(pid_of(me), getpid());
    EXPECT_TRUE(owner_alive(me));
    EXPECT_EQ(owner_key(getpid()), me) << "stable for the life of the process";
    // The same pid with another start time is another (earlier) process.
    EXPECT_FALSE(owner_alive(me ^ (uint64_t{1} << 32)));
    const pid_t dead = dead_pid();
    EXPECT_EQ(owner_key(dead), 0U);
    EXPECT_FALSE(owner_alive((uint64_t{77} << 32) | static_cast<uint32_t>(dead)));
    EXPECT_FALSE(owner_alive(0));
}

TEST(ProcTable, FreeSlotIsClaimedAndReleased)
{
    auto table = std::make_unique<ProcTable>();
    const OwnerKey me = owner_key(getpid());
    const Claim c = table->claim(3, me);
    EXPECT_EQ(c.status, ClaimStatus::claimed);
    EXPECT_EQ(table->slots[3].owner.load(), me);
    table->release(3, me);
    EXPECT_EQ(table->slots[3].owner.load(), 0U);
}

TEST(ProcTable, SlotOfALiveProcessIsRefused)
{
    auto table = std::make_unique<ProcTable>();
    const OwnerKey holder = owner_key(getpid());
    const OwnerKey newcomer = owner_key(getppid());
    ASSERT_EQ(table->claim(1, holder).status, ClaimStatus::claimed);
    const Claim c = table->claim(1, newcomer);
    EXPECT_EQ(c.status, ClaimStatus::held);
    EXPECT_EQ(c.other, holder);
    EXPECT_EQ(table->slots[1].owner.load(), holder);
    table->release(1, newcomer); // not the holder: no effect
    EXPECT_EQ(table->slots[1].owner.load(), holder);
}

TEST(ProcTable, SlotOfADeadProcessIsTakenOver)
{
    auto table = std::make_unique<ProcTable>();
    const OwnerKey dead = (uint64_t{1234} << 32) | static_cast<uint32_t>(dead_pid());
    const OwnerKey me = owner_key(getpid());
    ASSERT_EQ(table->claim(0, dead).status, ClaimStatus::claimed);
    const Claim c = table->claim(0, me);
    EXPECT_EQ(c.status, ClaimStatus::took_over);
    EXPECT_EQ(c.other, dead);
    EXPECT_EQ(table->slots[0].owner.load(), me);
}

TEST(ProcTable, SlotWhoseOwnersPidWasReusedIsTakenOver)
{
    auto table = std::make_unique<ProcTable>();
    // A dead owner whose pid now belongs to a running process (our parent).
    const OwnerKey reused = owner_key(getppid()) ^ (uint64_t{1} << 32);
    table->slots[4].owner.store(reused);
    const Claim c = table->claim(4, owner_key(getpid()));
    EXPECT_EQ(c.status, ClaimStatus::took_over);
    EXPECT_EQ(pid_of(c.other), getppid());
}

TEST(ProcTable, RacingNewcomersForADeadSlotGetOneWinner)
{
    auto table = std::make_unique<ProcTable>();
    const OwnerKey dead = 99;
    table->slots[2].owner.store(dead);
    // Threads stand for processes: each presents its own key, and every key but
    // the dead one counts as alive.
    constexpr int contenders = 8;
    std::vector<Claim> results(contenders);
    std::vector<std::thread> threads;
    for (int i = 0; i < contenders; ++i)
        threads.emplace_back([&, i] {
            results[i] = table->claim(2, 100000 + i, [&](OwnerKey k) { return k != dead; });
        });
    for (auto& t : threads)
        t.join();
    int winners = 0;
    for (int i = 0; i < contenders; ++i) {
        if (results[i].status == ClaimStatus::took_over) {
            ++winners;
            EXPECT_EQ(table->slots[2].owner.load(), 100000U + i);
        } else {
            EXPECT_EQ(results[i].status, ClaimStatus::held);
        }
    }
    EXPECT_EQ(winners, 1);
}

TEST(ProcTable, SharedLcoreOfALiveProcessIsFound)
{
    auto table = std::make_unique<ProcTable>();
    const OwnerKey other = owner_key(getppid());
    const OwnerKey me = owner_key(getpid());
    ASSERT_EQ(table->claim(0, other).status, ClaimStatus::claimed);
    const unsigned other_lcores[] = {1, 70};
    table->set_lcores(0, other_lcores);

    ASSERT_EQ(table->claim(1, me).status, ClaimStatus::claimed);
    const unsigned disjoint[] = {2, 3};
    table->set_lcores(1, disjoint);
    EXPECT_FALSE(table->lcore_conflict(1, disjoint));

    const unsigned overlapping[] = {5, 70};
    table->set_lcores(1, overlapping);
    const auto conflict = table->lcore_conflict(1, overlapping);
    ASSERT_TRUE(conflict);
    EXPECT_EQ(conflict->lcore, 70U);
    EXPECT_EQ(conflict->proc_id, 0U);
    EXPECT_EQ(conflict->owner, other);

    // A dead holder's lcores do not count, and a released slot forgets them.
    EXPECT_FALSE(table->lcore_conflict(1, overlapping, [](OwnerKey) { return false; }));
    table->release(0, other);
    EXPECT_FALSE(table->lcore_conflict(1, overlapping));
}

TEST(SharedConfig, MismatchNamesBothValues)
{
    auto config = std::make_unique<SharedConfig>();
    config->num_procs = 2;
    config->portmask = 3;
    const auto error = [&](Options o) -> std::string {
        try {
            check_matches(*config, o);
        } catch (const mp::StartupError& e) {
            return e.what();
        }
        return "no error";
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
