/* SPDX-License-Identifier: BSD-3-Clause */
// The shared-state helpers of the common library: single-writer counters,
// claim slots (free, held by a live process, taken over from a dead one, raced
// for), owner keys that survive pid reuse, and the recovery of a dead owner's
// per-lcore mempool cache. Claims and counters run in plain memory; the cache
// recovery uses a real mempool in an in-process EAL.
#include <gtest/gtest.h>

#include <sys/resource.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <mp/claim.hpp>
#include <mp/counter.hpp>
#include <mp/lcore_cache.hpp>
#include <mp/mempool.hpp>
#include <mp/process_claims.hpp>

#include "harness/argv.hpp"
#include "harness/in_process_eal.hpp"

namespace {

mptest::Environment* const g_env =
    mptest::InProcessEal::for_all_tests("shared_state", {"--lcores=0@0,1@0"});

// A pid that ran and has been reaped: nothing runs under it (for a while).
pid_t dead_pid()
{
    const pid_t child = fork();
    if (child == 0)
        _exit(0);
    int status = 0;
    waitpid(child, &status, 0);
    return child;
}

// ---- counters -------------------------------------------------------------------

TEST(Counter, AddsAndResets)
{
    mp::Counter c;
    EXPECT_EQ(c.get(), 0U);
    c.add(5);
    c.add(0);
    c.add(37);
    EXPECT_EQ(c.get(), 42U);
    c.reset();
    EXPECT_EQ(c.get(), 0U);
}

TEST(Counter, OneWriterManyReadersSeeNoTornOrDecreasingValue)
{
    mp::Counter c;
    constexpr uint64_t steps = 200000;
    std::atomic<bool> bad{false};
    std::thread reader([&] {
        uint64_t last = 0;
        while (last < steps * 3) {
            const uint64_t now = c.get();
            if (now < last || now % 3 != 0)
                bad = true;
            last = now;
        }
    });
    for (uint64_t i = 0; i < steps; ++i)
        c.add(3);
    reader.join();
    EXPECT_FALSE(bad.load());
    EXPECT_EQ(c.get(), steps * 3);
}

// ---- owner keys -------------------------------------------------------------------

TEST(OwnerKey, NamesALiveProcessAndNotADeadOrReusedPid)
{
    const mp::OwnerKey me = mp::self_key();
    ASSERT_NE(me, 0U);
    EXPECT_EQ(mp::pid_of(me), getpid());
    EXPECT_TRUE(mp::is_alive(me));
    EXPECT_EQ(mp::owner_key(getpid()), me) << "stable for the life of the process";
    // The same pid with another start time is another (earlier) process.
    EXPECT_FALSE(mp::is_alive(me ^ (uint64_t{1} << 32)));
    const pid_t dead = dead_pid();
    EXPECT_EQ(mp::owner_key(dead), 0U);
    EXPECT_FALSE(mp::is_alive((uint64_t{77} << 32) | static_cast<uint32_t>(dead)));
    EXPECT_FALSE(mp::is_alive(0));
    EXPECT_EQ(mp::owner_key(0), 0U);
    EXPECT_EQ(mp::owner_key(0x7ffffff0), 0U) << "above any pid_max";
}

// A child that has exited but is not reaped yet (a zombie) runs no more code:
// the slot it held is free to take over.
TEST(OwnerKey, AZombieIsNotAlive)
{
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0)
        _exit(0);
    // Its key while it still may run, then wait (without reaping) for its end.
    siginfo_t info{};
    ASSERT_EQ(waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT), 0);
    const mp::ProcessProbe zombie = mp::probe_process(child);
    EXPECT_EQ(zombie.liveness, mp::Liveness::gone);
    EXPECT_EQ(zombie.key, 0U);
    EXPECT_FALSE(mp::is_alive((uint64_t{5} << 32) | static_cast<uint32_t>(child)));
    waitpid(child, nullptr, 0);
}

// When /proc cannot be read for another reason than the process being gone
// (here: no file descriptor left), a holder may run: never take it over.
TEST(OwnerKey, AnUnreadableProcCountsAsAlive)
{
    const mp::OwnerKey parent = mp::owner_key(getppid());
    ASSERT_NE(parent, 0U);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        const rlimit few{3, 3}; // stdin, stdout, stderr: fopen gets EMFILE
        if (setrlimit(RLIMIT_NOFILE, &few) != 0)
            _exit(2);
        mp::ClaimSlot slot;
        slot.owner = parent;
        const bool unknown = mp::probe_process(getppid()).liveness == mp::Liveness::unknown;
        const bool held = slot.claim(parent + 1).result == mp::ClaimResult::held;
        _exit(unknown && held ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "with /proc unreadable the live holder was taken over";
}

// ---- claim slots ------------------------------------------------------------------

TEST(ClaimSlot, FreeDeadAndLiveHolders)
{
    mp::ClaimSlot slot;
    const auto alive = [](mp::OwnerKey key) { return key == 100; };
    mp::Claim c = slot.claim(7, alive);
    EXPECT_EQ(c.result, mp::ClaimResult::taken);
    EXPECT_EQ(c.previous, 0U);
    EXPECT_EQ(slot.holder(), 7U);
    EXPECT_EQ(slot.claim(7, alive).result, mp::ClaimResult::taken) << "ours already";

    slot.owner = 100;
    c = slot.claim(7, alive);
    EXPECT_EQ(c.result, mp::ClaimResult::held);
    EXPECT_EQ(c.previous, 100U);
    EXPECT_EQ(slot.holder(), 100U);
    EXPECT_EQ(slot.live_holder(alive), 100U);

    slot.owner = 55; // a process that has died
    EXPECT_EQ(slot.live_holder(alive), 0U);
    c = slot.claim(7, alive);
    EXPECT_EQ(c.result, mp::ClaimResult::taken_over);
    EXPECT_EQ(c.previous, 55U);
    EXPECT_EQ(slot.holder(), 7U);

    EXPECT_FALSE(slot.release(8));
    EXPECT_EQ(slot.holder(), 7U) << "only the holder releases";
    EXPECT_TRUE(slot.release(7));
    EXPECT_EQ(slot.holder(), 0U);
}

TEST(ClaimSlot, RealProcessesLiveAndDeadWithTheDefaultTest)
{
    mp::ClaimSlot slot;
    const mp::OwnerKey parent = mp::owner_key(getppid());
    ASSERT_EQ(slot.claim(parent).result, mp::ClaimResult::taken);
    const mp::Claim refused = slot.claim(mp::self_key());
    EXPECT_EQ(refused.result, mp::ClaimResult::held);
    EXPECT_EQ(refused.previous, parent);

    const mp::OwnerKey dead = (uint64_t{1234} << 32) | static_cast<uint32_t>(dead_pid());
    slot.owner = dead;
    const mp::Claim resumed = slot.claim(mp::self_key());
    EXPECT_EQ(resumed.result, mp::ClaimResult::taken_over);
    EXPECT_EQ(resumed.previous, dead);
    EXPECT_EQ(slot.holder(), mp::self_key());
}

TEST(ClaimSlot, SlotWhoseOwnersPidWasReusedIsTakenOver)
{
    mp::ClaimSlot slot;
    // A dead owner whose pid now belongs to a running process (our parent).
    slot.owner = mp::owner_key(getppid()) ^ (uint64_t{1} << 32);
    const mp::Claim c = slot.claim(mp::self_key());
    EXPECT_EQ(c.result, mp::ClaimResult::taken_over);
    EXPECT_EQ(mp::pid_of(c.previous), getppid());
}

TEST(ClaimSlot, RacingNewcomersForADeadSlotGetOneWinner)
{
    mp::ClaimSlot slot;
    const mp::OwnerKey dead = 99;
    slot.owner = dead;
    // Threads stand for processes: each presents its own key, and every key but
    // the dead one counts as alive.
    constexpr int contenders = 8;
    std::vector<mp::Claim> results(contenders);
    std::vector<std::thread> threads;
    for (int i = 0; i < contenders; ++i)
        threads.emplace_back([&, i] {
            results[i] = slot.claim(100000 + i, [&](mp::OwnerKey k) { return k != dead; });
        });
    for (auto& t : threads)
        t.join();
    int winners = 0;
    for (int i = 0; i < contenders; ++i) {
        if (results[i].result == mp::ClaimResult::taken_over) {
            ++winners;
            EXPECT_EQ(results[i].previous, dead);
            EXPECT_EQ(slot.holder(), 100000U + i);
        } else {
            EXPECT_EQ(results[i].result, mp::ClaimResult::held);
        }
    }
    EXPECT_EQ(winners, 1);
}

// ---- a dead owner's per-lcore mempool cache ---------------------------------------

struct Obj {
    uint64_t word[8];
};

// A pool with a cache, whose lcore-1 cache we fill from this thread (lcore 0)
// by writing the cache as an lcore-1 process would have left it.
class LcoreCache : public ::testing::Test {
protected:
    static constexpr unsigned count = 1023;
    static constexpr unsigned cache_size = 64;
    static constexpr unsigned dead_lcore = 1;

    void SetUp() override
    {
        ASSERT_NE(g_env, nullptr);
        // Names are short (RTE_MEMPOOL_NAMESIZE): one per test.
        static unsigned serial = 0;
        pool_ = mp::Mempool<Obj>::create("lcc_" + std::to_string(serial++), count, cache_size);
    }
    // As if a process on `dead_lcore` got n objects and put them back into its cache.
    void leave_in_dead_cache(unsigned n)
    {
        rte_mempool_cache* cache = rte_mempool_default_cache(pool_.native(), dead_lcore);
        ASSERT_NE(cache, nullptr);
        std::vector<Obj*> objs(n);
        ASSERT_TRUE(pool_.get_bulk(objs.data(), n));
        for (unsigned i = 0; i < n; ++i)
            cache->objs[cache->len++] = objs[i];
    }
    unsigned cache_len() { return rte_mempool_default_cache(pool_.native(), dead_lcore)->len; }
    // Objects in the pool's own store, caches not counted.
    unsigned in_store()
    {
        unsigned cached = 0;
        for (unsigned lcore = 0; lcore < RTE_MAX_LCORE; ++lcore)
            cached += rte_mempool_default_cache(pool_.native(), lcore)->len;
        return pool_.available() - cached;
    }

    mp::Mempool<Obj>::Owner pool_;
};

TEST_F(LcoreCache, FlushedWhenTheOwnerDiedOutsideAPut)
{
    leave_in_dead_cache(40);
    const unsigned before = in_store();
    mp::LcoreClaim claim;
    const mp::CacheRecovery got = mp::recover_lcore_cache(claim, pool_, dead_lcore);
    EXPECT_EQ(got.returned, 40U);
    EXPECT_EQ(got.discarded, 0U);
    EXPECT_EQ(cache_len(), 0U);
    EXPECT_EQ(in_store(), before + 40) << "every object is back";
    EXPECT_EQ(pool_.in_use(), 0U);
}

TEST_F(LcoreCache, DiscardedWhenTheOwnerDiedInsideAPut)
{
    leave_in_dead_cache(40);
    const unsigned before = in_store();
    mp::LcoreClaim claim;
    claim.in_mempool_put = 1; // the mark a MempoolPutMark leaves when its process dies
    const mp::CacheRecovery got = mp::recover_lcore_cache(claim, pool_, dead_lcore);
    EXPECT_EQ(got.returned, 0U);
    EXPECT_EQ(got.discarded, 40U);
    EXPECT_EQ(cache_len(), 0U);
    EXPECT_FALSE(claim.died_inside_put()) << "the mark is cleared for the new owner";
    EXPECT_EQ(in_store(), before);
    EXPECT_EQ(pool_.in_use(), 40U) << "a bounded loss instead of duplicated pointers";
}

TEST_F(LcoreCache, OnlyTheTopARegionMayHaveTouchedIsDiscarded)
{
    leave_in_dead_cache(40);
    const unsigned before = in_store();
    mp::LcoreClaim claim;
    claim.in_mempool_put = 30 + 1; // died in a region that left objs[0 .. 30) alone
    const mp::CacheRecovery got = mp::recover_lcore_cache(claim, pool_, dead_lcore);
    EXPECT_EQ(got.returned, 30U);
    EXPECT_EQ(got.discarded, 10U);
    EXPECT_EQ(cache_len(), 0U);
    EXPECT_FALSE(claim.died_inside_put());
    EXPECT_EQ(in_store(), before + 30);
    EXPECT_EQ(pool_.in_use(), 10U);
}

// A region marks what it cannot touch: the length minus its gets, once room
// is made for its puts below the flush threshold (here 64 * 1.5 = 96).
TEST_F(LcoreCache, ARegionMarksTheBottomItLeavesAlone)
{
    mp::LcoreClaim claim;
    mp::LcoreCacheMark cache(claim.in_mempool_put, pool_.native(), dead_lcore);
    leave_in_dead_cache(50);
    {
        const mp::MempoolPutMark mark(cache, {20, 32});
        EXPECT_EQ(claim.in_mempool_put.load(), 30U + 1);
    }
    EXPECT_EQ(claim.in_mempool_put.load(), 0U);
    {
        const mp::MempoolPutMark mark(cache, mp::internals::unknown_cache_use);
        EXPECT_EQ(claim.in_mempool_put.load(), 1U) << "nothing is known untouched";
    }
    leave_in_dead_cache(40); // 90: 32 more puts could flush
    const unsigned before = in_store();
    {
        const mp::MempoolPutMark mark(cache, {0, 32});
        EXPECT_EQ(cache_len(), 64U) << "put back to the cache's size first";
        EXPECT_EQ(claim.in_mempool_put.load(), 64U + 1);
    }
    EXPECT_EQ(in_store(), before + 90 - 64);
    EXPECT_EQ(pool_.in_use(), 0U);
}

TEST_F(LcoreCache, LengthBeyondTheFlushThresholdIsNeverTrusted)
{
    rte_mempool_cache* cache = rte_mempool_default_cache(pool_.native(), dead_lcore);
    leave_in_dead_cache(cache->flushthresh + 1);
    mp::LcoreClaim claim; // no put mark
    const mp::CacheRecovery got = mp::recover_lcore_cache(claim, pool_, dead_lcore);
    EXPECT_EQ(got.returned, 0U);
    EXPECT_EQ(got.discarded, cache->flushthresh + 1);
}

TEST_F(LcoreCache, EmptyCacheNeedsNothing)
{
    mp::LcoreClaim claim;
    claim.in_mempool_put = 1;
    const mp::CacheRecovery got = mp::recover_lcore_cache(claim, pool_, dead_lcore);
    EXPECT_EQ(got.returned + got.discarded, 0U);
    EXPECT_FALSE(claim.died_inside_put());
}

TEST(MempoolPutMark, SetForItsLifetimeOnly)
{
    mp::LcoreClaim claim;
    {
        const mp::MempoolPutMark mark(claim.in_mempool_put);
        EXPECT_TRUE(claim.died_inside_put());
    }
    EXPECT_FALSE(claim.died_inside_put());
}

} // namespace

// ---- the lcore claims of a process (mp::claim_lcores, mp::ProcessClaims) --------

namespace {

// A table of every lcore's claim, as a memzone holds it.
struct LcoreTable {
    std::unique_ptr<mp::LcoreClaim[]> claims = std::make_unique<mp::LcoreClaim[]>(RTE_MAX_LCORE);
    mp::LcoreClaimTable span() { return mp::LcoreClaimTable(claims.get(), RTE_MAX_LCORE); }
    mp::ClaimSlot& operator[](unsigned lcore) { return claims[lcore].slot; }
};

std::vector<unsigned> lcores_of(const std::vector<mp::TakenOver>& taken)
{
    std::vector<unsigned> lcores;
    for (const mp::TakenOver& t : taken)
        lcores.push_back(t.lcore);
    return lcores;
}

} // namespace

TEST(ClaimLcores, AllOrNothingAgainstALiveHolder)
{
    LcoreTable table;
    const mp::OwnerKey other = mp::owner_key(getppid());
    const mp::OwnerKey me = mp::self_key();
    const unsigned other_lcores[] = {1, 70};
    ASSERT_FALSE(mp::claim_lcores(table.span(), other_lcores, other).conflict);

    const unsigned overlapping[] = {5, 70};
    const mp::LcoreClaims taken = mp::claim_lcores(table.span(), overlapping, me);
    ASSERT_TRUE(taken.conflict);
    EXPECT_EQ(taken.conflict->lcore, 70U);
    EXPECT_EQ(taken.conflict->holder, other);
    EXPECT_EQ(table[5].holder(), 0U) << "all or nothing";

    // A dead holder's lcores are taken over: their caches need recovery.
    const auto nobody_alive = [](mp::OwnerKey) { return false; };
    const mp::LcoreClaims resumed = mp::claim_lcores(table.span(), overlapping, me, nobody_alive);
    EXPECT_FALSE(resumed.conflict);
    EXPECT_EQ(lcores_of(resumed.taken_over), std::vector<unsigned>{70});
    EXPECT_EQ(resumed.taken_over.at(0).previous, other);
}

// A newcomer that takes over a dead process's lcore and then meets a live one
// on another lcore backs off; the dead one's lcore must still read as a dead
// owner's, so that the next process recovers its cache (a free slot would
// let it use the dead one's cache, stale pointers and all).
TEST(ClaimLcores, BackingOffLeavesADeadOwnersLcoreDueForRecovery)
{
    LcoreTable table;
    const mp::OwnerKey dead = 4242, live = 5151, newcomer = 6161, next = 7171;
    const auto alive = [&](mp::OwnerKey key) { return key != dead; };
    table[1].owner = dead;
    table[2].owner = live;

    const unsigned both[] = {1, 2};
    const mp::LcoreClaims refused = mp::claim_lcores(table.span(), both, newcomer, alive);
    ASSERT_TRUE(refused.conflict);
    EXPECT_EQ(refused.conflict->lcore, 2U);
    EXPECT_EQ(table[1].holder(), dead) << "the dead owner, not a free slot";

    const unsigned one[] = {1};
    const mp::LcoreClaims resumed = mp::claim_lcores(table.span(), one, next, alive);
    EXPECT_FALSE(resumed.conflict);
    EXPECT_EQ(lcores_of(resumed.taken_over), std::vector<unsigned>{1}) << "its cache is recovered";
}

TEST(ClaimLcores, RacingProcessesOnOneLcoreGetOneWinner)
{
    LcoreTable table;
    constexpr int contenders = 8;
    std::vector<mp::LcoreClaims> results(contenders);
    std::vector<std::thread> threads;
    const unsigned lcore[] = {9};
    for (int i = 0; i < contenders; ++i)
        threads.emplace_back([&, i] {
            results[i] = mp::claim_lcores(table.span(), lcore, 100000 + i,
                                          [](mp::OwnerKey) { return true; });
        });
    for (auto& t : threads)
        t.join();
    int winners = 0;
    for (const mp::LcoreClaims& r : results)
        winners += r.conflict ? 0 : 1;
    EXPECT_EQ(winners, 1);
}

// ProcessClaims with a real pool: the dead owner's cache is that of lcore 1.
class ProcessClaimsTest : public LcoreCache {
protected:
    const mp::OwnerKey dead_ = (uint64_t{1234} << 32) | static_cast<uint32_t>(dead_pid());
    const unsigned both_[2] = {0, dead_lcore};
    LcoreTable table_;
    mp::ClaimSlot id_;
};

TEST_F(ProcessClaimsTest, HeldForLifeThenCachesFlushedAndEverythingFreed)
{
    leave_in_dead_cache(40);
    table_[dead_lcore].owner = dead_;
    table_.claims[dead_lcore].in_mempool_put = 11; // objs[0 .. 10) untouched
    id_.owner = dead_;
    {
        const mp::ProcessClaims<Obj> claims(&id_, table_.span(), both_, pool_, "objects");
        EXPECT_TRUE(claims.id_taken_over());
        EXPECT_EQ(claims.previous_id_holder(), mp::pid_of(dead_));
        EXPECT_EQ(id_.holder(), mp::self_key());
        EXPECT_EQ(table_[0].holder(), mp::self_key());
        EXPECT_EQ(table_[dead_lcore].holder(), mp::self_key());
        EXPECT_EQ(pool_.in_use(), 30U) << "the 10 below the mark back, the 30 above dropped";
        EXPECT_EQ(claims.put_mark(dead_lcore).load(), 0U) << "the mark is ours, and clear";
        EXPECT_EQ(&claims.put_mark(dead_lcore), &table_.claims[dead_lcore].in_mempool_put);
        EXPECT_THROW(claims.put_mark(2), mp::StartupError) << "lcore 2 is not ours";
        leave_in_dead_cache(5); // what our own lcore-1 work leaves at exit
    }
    EXPECT_EQ(cache_len(), 0U) << "flushed at exit";
    EXPECT_EQ(pool_.in_use(), 30U);
    EXPECT_EQ(id_.holder(), 0U);
    EXPECT_EQ(table_[0].holder(), 0U);
    EXPECT_EQ(table_[dead_lcore].holder(), 0U);
}

TEST_F(ProcessClaimsTest, AConflictGivesEverythingBackAsItWasFound)
{
    leave_in_dead_cache(40);
    const mp::OwnerKey live = mp::owner_key(getppid());
    id_.owner = dead_;
    table_[0].owner = dead_;
    table_[dead_lcore].owner = live;
    const auto refusal = [&](const mp::ClaimConflict& c) {
        return "lcore " + std::to_string(c.lcore.value_or(999)) + " held by " +
               std::to_string(mp::pid_of(c.holder));
    };
    EXPECT_EQ(mptest::error_of([&] { mp::ProcessClaims<Obj>(&id_, table_.span(), both_, pool_, "objects",
                                                     refusal); }),
              "lcore 1 held by " + std::to_string(getppid()));
    EXPECT_EQ(id_.holder(), dead_) << "the id is still due for its repair";
    EXPECT_EQ(table_[0].holder(), dead_) << "lcore 0 is still due for recovery";
    EXPECT_EQ(cache_len(), 40U) << "a live process's cache is not touched";

    id_.owner = live;
    EXPECT_EQ(mptest::error_of([&] { mp::ProcessClaims<Obj>(&id_, table_.span(), both_, pool_, "objects",
                                                     refusal); }),
              "lcore 999 held by " + std::to_string(getppid()))
        << "the id itself";
    EXPECT_EQ(table_[0].holder(), dead_);
}

TEST_F(ProcessClaimsTest, UnclaimedForgetsOurCachesAndMarksInProcessMemory)
{
    leave_in_dead_cache(40);
    // Lcore 1 only: this thread's own lcore-0 cache holds what the gets above refilled.
    const unsigned one[] = {dead_lcore};
    {
        const auto claims = mp::ProcessClaims<Obj>::unclaimed(pool_, one);
        EXPECT_EQ(cache_len(), 0U) << "a cache nobody vouches for is forgotten";
        EXPECT_EQ(pool_.in_use(), 40U);
        EXPECT_FALSE(claims.id_taken_over());
        EXPECT_EQ(claims.put_mark(dead_lcore).load(), 0U);
        leave_in_dead_cache(3);
    }
    EXPECT_EQ(cache_len(), 0U) << "flushed at exit";
    EXPECT_EQ(pool_.in_use(), 40U);
    EXPECT_EQ(table_[dead_lcore].holder(), 0U) << "no table: nothing claimed";
}
