/* SPDX-License-Identifier: BSD-3-Clause */
// The common library's wrappers against real DPDK objects. EAL runs once for
// the whole binary, in memory only (no hugepage files), with two null ports.
#include <gtest/gtest.h>

#include <mp/all.hpp>

#include "harness/argv.hpp"
#include "harness/in_process_eal.hpp"

#include <link.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

mptest::Environment* const g_env = mptest::InProcessEal::for_all_tests(
    "unit", {"--lcores=0@0,1@0", "--vdev=net_null0", "--vdev=net_null1", "--", "--app-flag",
             "value"});

using mptest::error_of;

// The port's PMD counters (zeros if the device cannot say).
rte_eth_stats port_stats(uint16_t port)
{
    rte_eth_stats stats{};
    rte_eth_stats_get(port, &stats);
    return stats;
}

struct Token {
    uint64_t seq;
    char text[56];
};

TEST(Eal, IsPrimaryAndHandsBackTheApplicationArguments)
{
    EXPECT_TRUE(g_env->eal().primary());
    const auto args = g_env->eal().app_args();
    ASSERT_EQ(args.size(), 2U);
    EXPECT_STREQ(args[0], "--app-flag");
    EXPECT_STREQ(args[1], "value");
}

int add_loaded_object(dl_phdr_info* info, size_t, void* names)
{
    static_cast<std::set<std::string>*>(names)->insert(info->dlpi_name);
    return 0;
}

// A secondary that waits at the start-up gate loads the driver plugins itself
// (mp::internals::load_driver_plugins): the same files EAL's own
// rte_eal_init() loaded here from its plugin folder. (The folder holds links:
// compared as the files they name.)
TEST(Eal, DriverPluginsPreloadedAreThoseEalLoads)
{
    std::set<std::string> loaded;
    dl_iterate_phdr(add_loaded_object, &loaded);
    const std::string folder = std::string(RTE_EAL_PMD_PATH) + "/";
    std::set<std::filesystem::path> loaded_files;
    std::set<std::filesystem::path> loaded_from_folder;
    std::error_code error;
    for (const std::string& name : loaded)
        if (const auto file = std::filesystem::canonical(name, error); !error) {
            loaded_files.insert(file);
            if (name.starts_with(folder))
                loaded_from_folder.insert(file);
        }
    std::set<std::filesystem::path> preloaded;
    for (const std::string& name : mp::internals::driver_plugin_files())
        preloaded.insert(std::filesystem::canonical(name));
    EXPECT_FALSE(preloaded.empty()) << "Debian's DPDK is a shared build with plugins";
    for (const auto& file : preloaded)
        EXPECT_TRUE(loaded_files.contains(file)) << file << " is not one EAL loads";
    for (const auto& file : loaded_from_folder)
        EXPECT_TRUE(preloaded.contains(file)) << file << " is loaded by EAL, not preloaded";
}

std::atomic<int> g_waiting_work_runs{0};
void count_waiting_work()
{
    ++g_waiting_work_runs;
}

// The plugin preload is worth its cost only to a secondary that has to wait
// at the gate: the gate runs that work once if it is held, never if it is
// open. (flock() locks belong to the open file, so two gates of one process
// exclude each other as two processes' do.)
TEST(StartupGate, RunsTheWaitingWorkOnlyWhileAnotherHoldsIt)
{
    using namespace std::chrono_literals;
    g_waiting_work_runs = 0;
    const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                      ("mp_gate_test_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    const auto give_up = mp::StartupGate::OnQuit::give_up;
    auto holder = std::make_unique<mp::StartupGate>(dir.string(), 1s, give_up, &count_waiting_work);
    EXPECT_EQ(g_waiting_work_runs.load(), 0) << "the gate was open";
    std::thread waiter([&] { mp::StartupGate next(dir.string(), 10s, give_up, &count_waiting_work); });
    for (int i = 0; i < 500 && g_waiting_work_runs.load() == 0; ++i)
        std::this_thread::sleep_for(10ms);
    EXPECT_EQ(g_waiting_work_runs.load(), 1) << "the second gate did not run it while waiting";
    holder.reset();
    waiter.join();
    EXPECT_EQ(g_waiting_work_runs.load(), 1);
    std::filesystem::remove_all(dir);
}

TEST(Ring, CreateEnqueueDequeueInOrder)
{
    auto ring = mp::Ring<Token>::create("UT_RING", 64);
    EXPECT_EQ(ring.capacity(), 63U);
    EXPECT_TRUE(ring.empty());
    Token tokens[40]{};
    Token* in[40];
    for (unsigned i = 0; i < 40; ++i) {
        tokens[i].seq = i;
        in[i] = &tokens[i];
    }
    unsigned free_space = 0;
    EXPECT_EQ(ring.enqueue_burst(in, 40, &free_space), 40U);
    EXPECT_EQ(free_space, 23U);
    EXPECT_EQ(ring.enqueue_bulk(in, 40), 0U) << "bulk is all or nothing";
    EXPECT_EQ(ring.enqueue_burst(in, 40), 23U) << "burst takes what fits";
    EXPECT_EQ(ring.count(), 63U);
    EXPECT_FALSE(ring.enqueue(in[0]));

    Token* out[64];
    EXPECT_EQ(ring.dequeue_burst(out, 64), 63U);
    for (unsigned i = 0; i < 40; ++i)
        EXPECT_EQ(out[i]->seq, i);
    Token* one = nullptr;
    EXPECT_FALSE(ring.dequeue(one));
    EXPECT_TRUE(ring.enqueue(in[7]));
    ASSERT_TRUE(ring.dequeue(one));
    EXPECT_EQ(one, in[7]);
}

TEST(Ring, LookupBorrowsAndOwnerFrees)
{
    auto owner = mp::Ring<Token>::create("UT_LOOKUP", 16);
    auto view = mp::Ring<Token>::lookup("UT_LOOKUP");
    EXPECT_EQ(view.native(), owner.native());
    EXPECT_STREQ(view.name(), "UT_LOOKUP");
    owner.destroy();
    EXPECT_EQ(error_of([] { mp::Ring<Token>::lookup("UT_LOOKUP"); }),
              "cannot find ring 'UT_LOOKUP': is the primary process running with the same "
              "--file-prefix?");
}

TEST(Ring, MoveTransfersOwnership)
{
    auto first = mp::Ring<Token>::create("UT_MOVE", 16);
    auto second = std::move(first);
    EXPECT_FALSE(first);
    EXPECT_TRUE(second);
    mp::Ring<Token> view = second.release();
    EXPECT_FALSE(second);
    EXPECT_NO_THROW(mp::Ring<Token>::lookup("UT_MOVE")) << "release() must not free";
    rte_ring_free(view.native());
}

TEST(Ring, CreateErrorsNameTheRing)
{
    auto owner = mp::Ring<Token>::create("UT_DUP", 16);
    EXPECT_EQ(error_of([] { mp::Ring<Token>::create("UT_DUP", 16); }),
              "cannot create ring 'UT_DUP' (16 slots): File exists");
    EXPECT_EQ(error_of([] { mp::Ring<Token>::create("UT_ODD", 17); }),
              "cannot create ring 'UT_ODD' (17 slots): Invalid argument");
}

TEST(Mempool, GetPutAndCounts)
{
    auto pool = mp::Mempool<Token>::create("UT_POOL", 8, 0);
    EXPECT_EQ(pool.size(), 8U);
    EXPECT_GE(pool.element_size(), sizeof(Token));
    Token* objs[8];
    ASSERT_TRUE(pool.get_bulk(objs, 8));
    EXPECT_EQ(pool.available(), 0U);
    EXPECT_EQ(pool.in_use(), 8U);
    EXPECT_EQ(pool.get(), nullptr) << "an empty pool gives nullptr";
    Token* extra[1];
    EXPECT_FALSE(pool.get_bulk(extra, 1));
    pool.put(objs[0]);
    EXPECT_EQ(pool.available(), 1U);
    pool.put_bulk(objs + 1, 7);
    EXPECT_EQ(pool.in_use(), 0U);
    Token* again = pool.get();
    ASSERT_NE(again, nullptr);
    pool.put(again);
}

TEST(Mempool, ElementSizeCanExceedTheType)
{
    auto pool = mp::Mempool<char>::create("UT_STRINGS", 4, 0, 128);
    EXPECT_GE(pool.element_size(), 128U);
}

TEST(Mempool, LookupAndMissing)
{
    auto owner = mp::Mempool<Token>::create("UT_POOL_L", 4, 0);
    EXPECT_EQ(mp::Mempool<Token>::lookup("UT_POOL_L").native(), owner.native());
    EXPECT_EQ(error_of([] { mp::Mempool<Token>::lookup("UT_NO_POOL"); }),
              "cannot find mempool 'UT_NO_POOL': is the primary process running with the same "
              "--file-prefix?");
}

TEST(Mempool, FlushCacheReturnsCachedObjects)
{
    auto pool = mp::Mempool<Token>::create("UT_CACHED", 256, 32);
    Token* objs[16];
    ASSERT_TRUE(pool.get_bulk(objs, 16));
    pool.put_bulk(objs, 16); // lands in this lcore's cache
    rte_mempool_cache* cache = rte_mempool_default_cache(pool.native(), rte_lcore_id());
    ASSERT_NE(cache, nullptr);
    EXPECT_GT(cache->len, 0U);
    pool.flush_cache(rte_lcore_id());
    EXPECT_EQ(cache->len, 0U);
    EXPECT_EQ(pool.available(), 256U);
}

// What client_server_mp does with freed mbufs: out of one lcore's cache, into
// another's, and the backend never sees them.
TEST(Mempool, LcoreCacheMovesObjectsBetweenLcoresPastTheBackend)
{
    auto pool = mp::Mempool<Token>::create("UT_LCORE_CACHE", 1024, 256);
    ASSERT_EQ(rte_lcore_id(), 0U);
    mp::LcoreCache<Token> here(pool, 0), there(pool, 1);
    // (The backend's own count is internal to DPDK: what is available and not cached.)
    const auto backend = [&] { return pool.available() - here.size() - there.size(); };
    EXPECT_EQ(here.size(), 0U);

    // 64 objects "freed on lcore 1" sit in lcore 1's cache.
    Token* objs[64];
    ASSERT_TRUE(pool.get_bulk(objs, 64)); // lcore 0's cache fills from the backend
    pool.flush_cache(0);
    const unsigned backend_before = backend();
    there.give(objs, 64);
    EXPECT_EQ(there.size(), 64U);

    Token* moved[64] = {};
    there.take(moved, 64);
    EXPECT_EQ(there.size(), 0U);
    EXPECT_EQ(std::set<Token*>(moved, moved + 64), std::set<Token*>(objs, objs + 64));
    here.give(moved, 64);
    EXPECT_EQ(here.size(), 64U);
    EXPECT_EQ(backend(), backend_before) << "the objects went cache to cache";
    EXPECT_EQ(pool.available(), 1024U);

    // lcore 0's next get is served from what arrived, not from the backend.
    Token* again[64];
    ASSERT_TRUE(pool.get_bulk(again, 64));
    EXPECT_EQ(std::set<Token*>(again, again + 64), std::set<Token*>(objs, objs + 64));
    EXPECT_EQ(backend(), backend_before);
    pool.put_bulk(again, 64);
    pool.flush_cache(0);
    EXPECT_EQ(backend(), 1024U);

    // A pool without caches has nothing to move.
    auto uncached = mp::Mempool<Token>::create("UT_NO_CACHE", 64, 0);
    EXPECT_EQ(mp::LcoreCache<Token>(uncached, 0).size(), 0U);
}

TEST(PktmbufPool, AllocBulkAndDriverChoice)
{
    auto pool = mp::PktmbufPool::create("UT_MBUFS", 511, 0, "lf_stack");
    EXPECT_STREQ(rte_mempool_get_ops(pool.native()->ops_index)->name, "lf_stack");
    rte_mbuf* mbufs[32];
    ASSERT_TRUE(pool.alloc_bulk(mbufs, 32));
    EXPECT_EQ(pool.in_use(), 32U);
    EXPECT_EQ(mbufs[0]->data_len, 0U);
    rte_pktmbuf_free_bulk(mbufs, 32);
    EXPECT_EQ(pool.in_use(), 0U);
    EXPECT_EQ(mp::PktmbufPool::lookup("UT_MBUFS").native(), pool.native());
    EXPECT_EQ(error_of([] { mp::PktmbufPool::create("UT_BAD_OPS", 63, 0, "no_such_driver"); }),
              "cannot create mbuf pool 'UT_BAD_OPS' (63 mbufs, driver no_such_driver): Invalid "
              "argument");
}

struct SharedState {
    uint64_t counter;
    uint32_t flags[16];
};

TEST(Memzone, ReserveZeroesLookupSharesFreeReleases)
{
    {
        auto zone = mp::Memzone<SharedState>::reserve("UT_ZONE");
        EXPECT_EQ(zone->counter, 0U);
        zone->counter = 42;
        auto view = mp::Memzone<SharedState>::lookup("UT_ZONE");
        EXPECT_EQ(view.get(), zone.get());
        EXPECT_EQ(view->counter, 42U);
        EXPECT_EQ(error_of([] { mp::Memzone<SharedState>::reserve("UT_ZONE"); }),
                  "cannot reserve memzone 'UT_ZONE' (72 bytes): File exists");
    }
    EXPECT_EQ(rte_memzone_lookup("UT_ZONE"), nullptr);
    EXPECT_EQ(error_of([] { mp::Memzone<SharedState>::lookup("UT_ZONE"); }),
              "cannot find memzone 'UT_ZONE': is the primary process running with the same "
              "--file-prefix?");
}

TEST(Memzone, LookupRefusesAZoneTooSmall)
{
    auto small = mp::Memzone<uint32_t>::reserve("UT_SMALL");
    const std::string err = error_of([] { mp::Memzone<SharedState>::lookup("UT_SMALL"); });
    EXPECT_NE(err.find("memzone 'UT_SMALL' holds"), std::string::npos) << err;
}

TEST(Ports, MaskSelectsExistingPortsInPairs)
{
    EXPECT_EQ(rte_eth_dev_count_avail(), 2U);
    EXPECT_EQ(mp::ports_from_mask(0x3), (std::vector<uint16_t>{0, 1}));
    EXPECT_EQ(mp::ports_from_mask(0x1, false), (std::vector<uint16_t>{0}));
    EXPECT_EQ(error_of([] { mp::ports_from_mask(0x1); }),
              "portmask 0x1 selects 1 ports: an even number is needed, ports are forwarded in "
              "pairs");
    EXPECT_EQ(error_of([] { mp::ports_from_mask(0x7); }),
              "portmask 0x7 selects port 2, which does not exist (2 ports available)");
    EXPECT_EQ(mp::paired_index(0), 1U);
    EXPECT_EQ(mp::paired_index(3), 2U);
}

TEST(Ports, SetupErrorsNameThePort)
{
    auto pool = mp::PktmbufPool::create("UT_PORT_POOL2", 1023, 0);
    mp::PortSetup setup;
    setup.rx_queues = 2000; // far beyond what net_null allows
    const std::string err = error_of([&] { mp::setup_port(0, pool.native(), setup); });
    EXPECT_EQ(err.rfind("port 0: cannot configure 2000 RX / 1 TX queues: ", 0), 0U) << err;
}

TEST(Ports, SetupWithRssQueuesForwardAndCount)
{
    auto pool = mp::PktmbufPool::create("UT_PORT_POOL", 8191, 64);
    mp::PortSetup setup;
    setup.rx_queues = 2;
    setup.tx_queues = 2;
    setup.rss = true;
    setup.rx_checksum = true;
    for (uint16_t port : {0, 1})
        ASSERT_NO_THROW(mp::setup_port(port, pool.native(), setup));
    // Stopped, not closed, at the end, and counted from zero here: the other
    // tests find the two ports as the set-up made them, in any order.
    mp::PortsGuard guard({0, 1});
    guard.stop_only();
    for (uint16_t port : {0, 1})
        rte_eth_stats_reset(port);
    EXPECT_TRUE(mp::wait_for_links({0, 1}, std::chrono::milliseconds(2000)));

    rte_mbuf* mbufs[32];
    for (uint16_t q = 0; q < 2; ++q) {
        const uint16_t n = rte_eth_rx_burst(0, q, mbufs, 32);
        EXPECT_EQ(n, 32U) << "null PMD fills every burst";
        EXPECT_EQ(mp::tx_or_free(1, q, mbufs, n), 0U);
    }
    mp::Burst<4> burst;
    ASSERT_TRUE(pool.alloc_bulk(mbufs, 4));
    EXPECT_FALSE(burst.push(mbufs[0]));
    EXPECT_FALSE(burst.push(mbufs[1]));
    EXPECT_FALSE(burst.push(mbufs[2]));
    EXPECT_TRUE(burst.push(mbufs[3])) << "full after Capacity packets";
    EXPECT_EQ(mp::tx_flush(1, 0, burst), 0U);
    EXPECT_TRUE(burst.empty());

    const rte_eth_stats rx = port_stats(0);
    const rte_eth_stats tx = port_stats(1);
    EXPECT_EQ(rx.ipackets, 64U);
    EXPECT_EQ(tx.opackets, 68U);
}

TEST(Lcores, WorkersAndRequirement)
{
    EXPECT_EQ(rte_lcore_count(), 2U);
    EXPECT_EQ(mp::worker_lcores(), (std::vector<unsigned>{1}));
    EXPECT_NO_THROW(mp::require_lcores(2, "one to poll"));
    EXPECT_EQ(error_of([] { mp::require_lcores(3, "master and two slaves"); }),
              "need at least 3 lcores (master and two slaves), but the EAL arguments give 2: "
              "pass e.g. -l 0-2");
}

TEST(QuitFlag, RaisedBySigterm)
{
    mp::QuitFlag::install();
    EXPECT_FALSE(mp::QuitFlag::raised());
    std::raise(SIGTERM);
    EXPECT_TRUE(mp::QuitFlag::raised());
    EXPECT_EQ(mp::QuitFlag::signal_number(), SIGTERM);
}

TEST(Errors, CheckTurnsNegativeCodesIntoStartupErrors)
{
    EXPECT_EQ(mp::check(5, "fine"), 5);
    EXPECT_EQ(error_of([] { mp::check(-ENODEV, "port 9: cannot start"); }),
              "port 9: cannot start: No such device");
}

} // namespace
