/* SPDX-License-Identifier: BSD-3-Clause */
// Kill a process inside each operation that rests on a DPDK internal
// (mp/dpdk_internals.hpp), after every instruction of it (or, for long ones, a
// dense sample of them), then recover as the programs do and account for
// every object of the pool: it is in the pool, in the ring, or counted as lost
// by the recovery or as the burst the dead process held, and never in two
// places. The operations are DPDK's own inline code (rte_mempool_put_bulk,
// rte_ring_*_burst) compiled against the installed release, and the suite's
// recovery itself; this test process is the primary, kill_peer the secondary.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <mp/all.hpp>

#include "process.hpp"
#include "scenarios.hpp"

using namespace mptest;
using namespace kill_test;

namespace {

// This process as the primary of a prefix of its own, and the peer secondary.
class Processes : public ::testing::Environment {
public:
    void SetUp() override
    {
        prefix_ = std::make_unique<DpdkPrefix>("kill");
        words_ = {"kill_points_test", "--no-pci", "--file-prefix=" + prefix_->name(),
                  "--lcores=0@0", "-m", "64", "--proc-type=primary", "--log-level=lib.eal:error"};
        for (std::string& word : words_)
            argv_.push_back(word.data());
        eal_ = std::make_unique<mp::Eal>(static_cast<int>(argv_.size()), argv_.data());
        state_ = mp::Memzone<State>::reserve(state_name);
        const std::string lcores = std::to_string(peer_lcore) + "@1";
        peer_ = std::make_unique<Process>(
            args({{build_root() + "/tests/internals/kill_peer"},
                  eal_args(*prefix_, lcores, {}, {"--proc-type=secondary",
                                                  "--log-level=lib.eal:error"})}));
        ASSERT_TRUE(peer_->expect("peer ready", 30s)) << peer_->output();
    }
    void TearDown() override
    {
        if (peer_) {
            peer_->send_line("quit");
            const auto exit = peer_->wait_exit(20s);
            EXPECT_TRUE(exit && exit->code == 0) << peer_->output();
            peer_.reset();
        }
        state_ = {};
        eal_.reset();
        prefix_.reset();
    }

    Process& peer() { return *peer_; }
    const DpdkPrefix& prefix() const { return *prefix_; }
    State& state() { return *state_.get(); }

private:
    std::unique_ptr<DpdkPrefix> prefix_;
    std::vector<std::string> words_;
    std::vector<char*> argv_;
    std::unique_ptr<mp::Eal> eal_;
    mp::Memzone<State>::Owner state_;
    std::unique_ptr<Process> peer_;
};

Processes* g_processes = nullptr;

// The shared objects of one trial, made afresh for it.
struct Trial {
    Scenario scenario;
    mp::PktmbufPool::Owner pool;
    mp::Ring<rte_mbuf>::Owner ring;

    explicit Trial(Scenario s)
        : scenario(s),
          pool(mp::PktmbufPool::create(pool_name, pool_size, cache_size, "lf_stack", 64)),
          ring(mp::Ring<rte_mbuf>::create(ring_name, ring_slots, RING_F_SP_ENQ | RING_F_SC_DEQ))
    {
        State& state = g_processes->state();
        for (mp::LcoreClaim& lcore : state.lcores) {
            lcore.slot.owner = 0;
            lcore.clear_put_mark();
        }
        state.id.owner = 0;
        rte_mbuf* objs[512];
        if (const unsigned queued = queued_before(s)) {
            EXPECT_EQ(rte_mempool_generic_get(pool.native(), reinterpret_cast<void**>(objs),
                                              queued, nullptr), 0);
            EXPECT_EQ(ring.enqueue_burst(objs, queued), queued);
        }
        if (dead_owner_cache(s)) {
            // What a process on dead_lcore left: a cache of objects, and for
            // recovery_marked and claim_gives_back the mark of a region that left
            // the bottom 270 alone.
            const unsigned cached = cached_before(s);
            EXPECT_EQ(rte_mempool_generic_get(pool.native(), reinterpret_cast<void**>(objs),
                                              cached, nullptr), 0);
            rte_mempool_generic_put(pool.native(), reinterpret_cast<void**>(objs), cached,
                                    rte_mempool_default_cache(pool.native(), dead_lcore));
            if (s != Scenario::recovery)
                state.lcores[dead_lcore].in_mempool_put = marked_untouched + 1;
        }
        if (s == Scenario::claim_gives_back) {
            // The region took the top 30 out into the ring (as an RX into a
            // descriptor ring) and died before it wrote the cache's length:
            // used again unrecovered, they would be handed out twice.
            const unsigned taken = cached_before(s) - marked_untouched;
            EXPECT_EQ(ring.enqueue_burst(objs + marked_untouched, taken), taken);
            // The owner of the id and dead_lcore died; its pid went to this
            // process (another start time). The live peer holds held_lcore.
            const mp::OwnerKey dead = mp::self_key() + (mp::OwnerKey{1} << 32);
            state.id.owner = dead;
            state.lcores[dead_lcore].slot.owner = dead;
            state.lcores[held_lcore].slot.owner = mp::owner_key(g_processes->peer().pid());
        }
    }

    // What a program does when it replaces the dead process; returns the
    // objects the recovery counted as given up.
    unsigned recover()
    {
        State& state = g_processes->state();
        switch (scenario) {
        case Scenario::put_fits:
        case Scenario::put_fits_full:
        case Scenario::put_makes_room:
        case Scenario::put_flushes:
        case Scenario::make_room:
        case Scenario::rx_refills:
            return mp::recover_lcore_cache(state.lcores[peer_lcore], pool, peer_lcore)
                .discarded;
        case Scenario::rx_get_put:
            ring.forget_unpublished_entries();
            return mp::recover_lcore_cache(state.lcores[peer_lcore], pool, peer_lcore)
                .discarded;
        case Scenario::ring_enqueue: {
            ring.forget_unpublished_entries();
            // The next producer's burst: it must publish its own entries only.
            rte_mbuf* objs[burst];
            EXPECT_EQ(rte_mempool_generic_get(pool.native(), reinterpret_cast<void**>(objs),
                                              burst, nullptr), 0);
            EXPECT_EQ(ring.enqueue_burst(objs, burst), burst);
            return 0;
        }
        case Scenario::ring_dequeue:
            ring.take_back_claimed_entries();
            return 0;
        case Scenario::recovery:
        case Scenario::recovery_marked:
            return mp::recover_lcore_cache(state.lcores[dead_lcore], pool, dead_lcore)
                .discarded;
        case Scenario::claim_gives_back:
            return claim_after_refusal();
        }
        return 0;
    }

    // The next process on the id and dead_lcore: it gets them and recovers the
    // cache the first owner left (the refused claimer must not have hidden
    // that it is due). Returns what the recovery dropped.
    unsigned claim_after_refusal()
    {
        State& state = g_processes->state();
        rte_mempool_cache* cache = rte_mempool_default_cache(pool.native(), dead_lcore);
        // Counted in the pool, a cache's objects returned stay counted, those dropped not.
        const unsigned available = rte_mempool_avail_count(pool.native());
        constexpr unsigned lcores[] = {dead_lcore};
        const mp::ProcessClaims<rte_mbuf> claims(&state.id, state.lcores, lcores, pool, "mbufs");
        EXPECT_TRUE(claims.id_taken_over()) << "the id's dead holder was forgotten";
        EXPECT_EQ(cache->len, 0U) << "the dead owner's cache was not recovered";
        return available - rte_mempool_avail_count(pool.native());
    }

    // Objects the dead process may have held in its own memory: its burst;
    // for a consumer, only the entries it had published as taken (its tail
    // moved), since until then they are still the ring's. Read before recover().
    unsigned held_privately()
    {
        switch (scenario) {
        case Scenario::recovery_marked: // what the dead owner's mark already gave up
            return cached_before(scenario) - marked_untouched;
        case Scenario::recovery:
        case Scenario::claim_gives_back: // it holds no object
        case Scenario::make_room: return 0; // its chunk in flight stays counted in the cache
        case Scenario::ring_dequeue: return queued_before(scenario) - ring.count();
        // The burst to free, and the fresh one until the ring publishes it.
        case Scenario::rx_get_put: return 2 * burst - ring.count();
        // A refill dequeues the cache's size and the burst into objs[] while
        // len is 0: in flight, in no count, until it sets len.
        case Scenario::rx_refills: return cache_size + burst;
        default: return burst;
        }
    }
};

// The exact loss of a kill before the operation starts and after it ends.
unsigned lost_before(Scenario s)
{
    switch (s) {
    case Scenario::put_fits:
    case Scenario::put_fits_full:
    case Scenario::put_makes_room:
    case Scenario::put_flushes:
    case Scenario::rx_get_put:
    case Scenario::ring_enqueue: return burst; // the burst in hand
    case Scenario::recovery_marked: return cached_before(s) - marked_untouched;
    default: return 0;
    }
}
unsigned lost_after(Scenario s)
{
    switch (s) {
    case Scenario::rx_refills: // the burst got
    case Scenario::ring_dequeue: return burst;
    case Scenario::recovery_marked: return cached_before(s) - marked_untouched;
    default: return 0;
    }
}

struct Census {
    unsigned found = 0;       // distinct objects in the pool or the ring
    unsigned duplicates = 0;  // objects found twice
    unsigned strangers = 0;   // pointers that are no object of the pool
    unsigned lost() const { return pool_size - found; }
};

void note_object(rte_mempool*, void* arg, void* obj, unsigned)
{
    static_cast<std::set<void*>*>(arg)->insert(obj);
}

// Takes every object out of the backend, every cache and the ring, and counts.
Census take_census(Trial& trial)
{
    rte_mempool* mp = trial.pool.native();
    std::set<void*> members;
    rte_mempool_obj_iter(mp, note_object, &members);
    std::set<void*> seen;
    Census census;
    const auto saw = [&](void* obj) {
        if (members.count(obj) == 0)
            ++census.strangers;
        else if (!seen.insert(obj).second)
            ++census.duplicates;
    };
    void* obj = nullptr;
    while (rte_mempool_ops_dequeue_bulk(mp, &obj, 1) == 0)
        saw(obj);
    for (unsigned lcore = 0; lcore < RTE_MAX_LCORE; ++lcore) {
        rte_mempool_cache* cache = rte_mempool_default_cache(mp, lcore);
        for (unsigned i = 0; i < cache->len; ++i)
            saw(cache->objs[i]);
    }
    rte_mbuf* m = nullptr;
    while (trial.ring.dequeue(m))
        saw(m);
    census.found = static_cast<unsigned>(seen.size());
    return census;
}

std::string ask(const std::string& command)
{
    Process& peer = g_processes->peer();
    peer.send_line(command);
    const auto reply =
        peer.expect_regex(R"((steps -?\d+(?: \d+)*|killed \d+|finished)\n)", 60s);
    return reply ? (*reply)[1] : "no reply; peer output:\n" + peer.output();
}

// Where to kill: `k` instructions into the operation, or after its
// `after_change`-th change of the shared State (when not 0).
struct KillAt {
    long k;
    std::size_t after_change;
};

// Every instruction for a short operation, an even sample (with the first and
// last few) for a long one, and in any case the first 5 instructions after
// each change of the shared State: every state a kill can leave behind.
std::vector<KillAt> kill_schedule(Scenario scenario, long total, std::size_t changes)
{
    constexpr long every_up_to = 400;
    constexpr long after_each_change = 5;
    const Sampling sampling = sampling_of(scenario);
    std::vector<KillAt> at;
    for (long k = 0; k <= total; ++k)
        if (total <= every_up_to || k < sampling.ends || k > total - sampling.ends ||
            k % (total / sampling.points) == 0)
            at.push_back({k, 0});
    for (std::size_t change = 1; change <= changes; ++change)
        for (long k = 0; k < after_each_change; ++k)
            at.push_back({k, change});
    return at;
}

class KillInside : public ::testing::TestWithParam<Scenario> {};

TEST_P(KillInside, EveryInstructionLeavesThePoolAccountedFor)
{
    const Scenario scenario = GetParam();
    const std::string name(name_of(scenario));
    long total = 0;
    std::vector<long> changes;
    {
        Trial trial(scenario);
        const std::string reply = ask("count " + name);
        std::istringstream words(reply);
        std::string steps;
        ASSERT_TRUE(words >> steps >> total && steps == "steps") << reply;
        ASSERT_GT(total, 0);
        for (long k = 0; words >> k;)
            changes.push_back(k);
    }
    unsigned worst = 0, trials = 0, worst_discarded = 0;
    unsigned long lost_sum = 0, discarded_sum = 0;
    std::map<std::string, unsigned> outcomes;
    for (const auto& [k, after_change] : kill_schedule(scenario, total, changes.size())) {
        Trial trial(scenario);
        const std::string reply = ask(std::string("trial ").append(name).append(" ").append(
            std::to_string(k) + " " + std::to_string(after_change)));
        const bool finished = reply == "finished";
        ASSERT_TRUE(finished || reply == "killed " + std::to_string(k) ||
                    (after_change != 0 && reply.starts_with("killed ")))
            << reply;
        const unsigned held = trial.held_privately();
        const unsigned discarded = trial.recover();
        const Census census = take_census(trial);
        ++trials;
        worst = std::max(worst, census.lost());
        lost_sum += census.lost();
        worst_discarded = std::max(worst_discarded, discarded);
        discarded_sum += discarded;
        ASSERT_EQ(census.duplicates, 0U) << name << ", " << reply << " (instructions run)";
        ASSERT_EQ(census.strangers, 0U) << name << ", " << reply << " (instructions run)";
        ASSERT_LE(census.lost(), discarded + held)
            << name << ", " << reply << " (instructions run): objects missing that nobody "
            << "counted as lost (" << discarded << " discarded by the recovery)";
        ASSERT_LE(census.lost(), max_lost(scenario))
            << name << ", " << reply << " (instructions run) (" << discarded
            << " discarded by the recovery, " << held << " in the dead process's hands)";
        // Before the operation and after it, the books are exact.
        if (k == 0 && after_change == 0) {
            EXPECT_EQ(census.lost(), lost_before(scenario)) << name << ": killed before the operation";
        }
        if (finished) {
            EXPECT_EQ(census.lost(), lost_after(scenario)) << name << ": killed after the operation";
        }
    }
    std::printf("%s: %ld instructions (%zu changes of the shared state), %u kills, "
                "mbufs lost per kill: mean %.1f, worst %u; "
                "dropped by the recovery: mean %.1f, worst %u\n",
                name.c_str(), total, changes.size(), trials,
                static_cast<double>(lost_sum) / trials, worst,
                static_cast<double>(discarded_sum) / trials, worst_discarded);
}

INSTANTIATE_TEST_SUITE_P(Internals, KillInside, ::testing::ValuesIn(all_scenarios),
                         [](const auto& info) { return std::string(name_of(info.param)); });

std::set<std::string> runtime_files()
{
    std::set<std::string> names;
    for (const auto& file : std::filesystem::directory_iterator(rte_eal_get_runtime_dir()))
        names.insert(file.path().filename().string());
    return names;
}

// The names mp::internals::is_secondary_runtime_file knows are the ones this
// DPDK release gives a secondary's files: a killed secondary leaves exactly
// those, and removing them leaves the primary's and the other secondary's.
TEST(RuntimeFiles, AKilledSecondarysFilesAreFoundAndRemoved)
{
    const std::set<std::string> before = runtime_files();
    Process secondary(args({{build_root() + "/tests/internals/kill_peer"},
                            eal_args(g_processes->prefix(), "4@1", {},
                                     {"--proc-type=secondary", "--log-level=lib.eal:error"})}));
    ASSERT_TRUE(secondary.expect("peer ready", 30s)) << secondary.output();
    const pid_t pid = secondary.pid();
    secondary.kill();

    std::set<std::string> left;
    for (const std::string& name : runtime_files())
        if (before.count(name) == 0)
            left.insert(name);
    std::string listing;
    for (const std::string& name : left)
        listing += " " + name;
    ASSERT_FALSE(left.empty()) << "a killed secondary leaves files behind";
    for (const std::string& name : left)
        EXPECT_TRUE(mp::internals::is_secondary_runtime_file(name, pid))
            << name << " is not recognised as process " << pid << "'s (left:" << listing << ")";
    EXPECT_TRUE(std::any_of(left.begin(), left.end(),
                            [](const std::string& n) { return n.starts_with("mp_socket_"); }))
        << "its request socket, left:" << listing;
    EXPECT_TRUE(std::any_of(left.begin(), left.end(),
                            [](const std::string& n) { return n.starts_with("fbarray_"); }))
        << "its private memseg arrays, left:" << listing;

    mp::Eal::remove_runtime_files_of(pid);
    EXPECT_EQ(runtime_files(), before) << "exactly the dead secondary's files are removed";
}

} // namespace

int main(int argc, char** argv)
{
    ::testing::InitGoogleTest(&argc, argv);
    g_processes = new Processes;
    ::testing::AddGlobalTestEnvironment(g_processes); // gtest owns it
    return RUN_ALL_TESTS();
}
