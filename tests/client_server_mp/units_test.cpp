/* SPDX-License-Identifier: BSD-3-Clause */
// client_server_mp units, driven without EAL or a NIC: option parsing, the
// server's round-robin distributor, the client's per-port TX buffers, the
// recovery of a ring whose consumer or producer was killed, the return rings
// that hand freed mbufs back to the server, and the screen (the claims are
// mp::ClaimSlot's, tested in tests/common_shared_state_test.cpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <rte_ring.h>

#include "../harness/argv.hpp"
#include "mp_client/options.hpp"
#include "mp_client/tx_buffers.hpp"
#include "mp_server/distributor.hpp"
#include "mp_server/options.hpp"
#include "mp_server/stats.hpp"
#include "shared/return_rings.hpp"

using namespace client_server_mp;

namespace {

using mptest::Argv;

std::string usage_error(auto parse, std::initializer_list<const char*> words)
{
    return mptest::usage_error(parse, std::vector<std::string>(words.begin(), words.end()));
}

// ---- options ------------------------------------------------------------

TEST(ServerOptions, ParsesMaskAndClientCount)
{
    const Argv argv{"-p", "3", "-n", "2"};
    const ServerOptions options = parse_server_options(argv.span());
    EXPECT_EQ(options.portmask, 0x3U);
    EXPECT_EQ(options.num_clients, 2U);

    const Argv joined{"-p0xf", "-n16"};
    const ServerOptions more = parse_server_options(joined.span());
    EXPECT_EQ(more.portmask, 0xfU);
    EXPECT_EQ(more.num_clients, 16U);
}

TEST(ServerOptions, RefusesBadValuesNamingThem)
{
    const auto parse = [](std::span<char* const> a) { return parse_server_options(a); };
    EXPECT_EQ(usage_error(parse, {"-p", "3", "-n", "0"}),
              "invalid value '0' for -n: expected a number from 1 to 16");
    EXPECT_EQ(usage_error(parse, {"-p", "3", "-n", "17"}),
              "invalid value '17' for -n: expected a number from 1 to 16");
    EXPECT_EQ(usage_error(parse, {"-p", "3", "-n", "two"}),
              "invalid value 'two' for -n: expected a number from 1 to 16");
    EXPECT_EQ(usage_error(parse, {"-p", "xyz", "-n", "2"}),
              "invalid portmask 'xyz': expected a hexadecimal mask such as 3 or 0x3");
    EXPECT_EQ(usage_error(parse, {"-p", "0", "-n", "2"}), "portmask '0' selects no port");
    EXPECT_EQ(usage_error(parse, {"-n", "2"}),
              "missing option -p (the hexadecimal mask of the ports to use)");
    EXPECT_EQ(usage_error(parse, {"-p", "3"}), "missing option -n (the number of clients, 1 to 16)");
    EXPECT_EQ(usage_error(parse, {"-p", "3", "-n", "2", "-s", "1"}), "unknown option '-s'");
    EXPECT_EQ(usage_error(parse, {"-p", "3", "-n"}), "option -n needs a value");
}

TEST(ClientOptions, ParsesIdAndRefusesOutOfRange)
{
    const Argv argv{"-n", "15"};
    EXPECT_EQ(parse_client_options(argv.span()).client_id, 15U);
    const auto parse = [](std::span<char* const> a) { return parse_client_options(a); };
    EXPECT_EQ(usage_error(parse, {"-n", "16"}),
              "invalid value '16' for -n: expected a number from 0 to 15");
    EXPECT_EQ(usage_error(parse, {"-n", "-1"}),
              "invalid value '-1' for -n: expected a number from 0 to 15");
    EXPECT_EQ(usage_error(parse, {}), "missing option -n (the client id, 0 to NUM_CLIENTS-1)");
    EXPECT_EQ(usage_error(parse, {"-p", "3"}), "unknown option '-p'");
}

// ---- distributor -----------------------------------------------------------

// Rings of limited room; records every bulk enqueue and every drop.
struct FakeSink {
    std::vector<std::vector<int*>>* rings;
    std::vector<unsigned>* room;
    std::vector<int*>* dropped;
    std::vector<unsigned>* enqueue_sizes;
    std::vector<unsigned>* enqueue_clients;

    unsigned enqueue_bulk(unsigned client, int* const* pkts, unsigned n)
    {
        enqueue_sizes->push_back(n);
        enqueue_clients->push_back(client);
        if ((*room)[client] < n)
            return 0;
        (*room)[client] -= n;
        (*rings)[client].insert((*rings)[client].end(), pkts, pkts + n);
        return n;
    }
    void drop(int* const* pkts, unsigned n) { dropped->insert(dropped->end(), pkts, pkts + n); }
};

struct DistributorTest : ::testing::Test {
    static constexpr unsigned clients = 3;
    int packets[100] = {};
    std::vector<std::vector<int*>> rings = std::vector<std::vector<int*>>(clients);
    std::vector<unsigned> room = std::vector<unsigned>(clients, 1000);
    std::vector<int*> dropped;
    std::vector<unsigned> enqueue_sizes;
    std::vector<unsigned> enqueue_clients;
    ClientCounters counters[max_clients];
    RoundRobinDistributor<int, FakeSink, 4> distributor{
        FakeSink{&rings, &room, &dropped, &enqueue_sizes, &enqueue_clients}, clients, counters};

    std::vector<int*> burst(unsigned first, unsigned n)
    {
        std::vector<int*> out;
        for (unsigned i = first; i < first + n; ++i)
            out.push_back(&packets[i]);
        return out;
    }
    int index(int* p) const { return static_cast<int>(p - packets); }
};

TEST_F(DistributorTest, RoundRobinOrderCarriesOverBetweenBursts)
{
    // Bursts of 5, 7 and 12: packet i must go to client i % 3 whatever the bursts.
    unsigned first = 0;
    for (unsigned n : {5U, 7U, 12U}) {
        const auto pkts = burst(first, n);
        distributor.distribute(pkts.data(), n);
        first += n;
    }
    EXPECT_EQ(distributor.next_client(), 24U % clients);
    distributor.flush_all();
    for (unsigned c = 0; c < clients; ++c) {
        ASSERT_EQ(rings[c].size(), 8U) << "client " << c;
        for (std::size_t k = 0; k < rings[c].size(); ++k)
            EXPECT_EQ(index(rings[c][k]), static_cast<int>(c + 3 * k)) << "client " << c;
        EXPECT_EQ(counters[c].rx.get(), 8U);
        EXPECT_EQ(counters[c].rx_drop.get(), 0U);
    }
}

TEST_F(DistributorTest, BufferGoesOutInOneBulkEnqueueWhenFull)
{
    const auto pkts = burst(0, 11); // clients 0 and 1 get 4, client 2 gets 3
    distributor.distribute(pkts.data(), 11);
    EXPECT_EQ(enqueue_sizes, (std::vector<unsigned>{4, 4}));
    EXPECT_EQ(rings[0].size(), 4U);
    EXPECT_EQ(rings[1].size(), 4U);
    EXPECT_TRUE(rings[2].empty()) << "a buffer that is not full waits";
    EXPECT_EQ(distributor.buffered(2), 3U);
    distributor.flush_all();
    EXPECT_EQ(rings[2].size(), 3U);
    EXPECT_EQ(distributor.buffered(2), 0U);
    EXPECT_EQ(enqueue_sizes.size(), 3U) << "empty buffers are not enqueued";
}

TEST_F(DistributorTest, FullRingPassesTheBufferToAClientWithRoom)
{
    room[1] = 5; // takes one buffer of 4, refuses the next
    const auto pkts = burst(0, 24);
    distributor.distribute(pkts.data(), 24);
    EXPECT_TRUE(dropped.empty()) << "other rings had room";
    ASSERT_EQ(rings[1].size(), 4U);
    EXPECT_EQ(counters[1].rx.get(), 4U);
    EXPECT_EQ(counters[1].rx_drop.get(), 0U);
    // Client 1's second buffer (packets 13, 16, 19, 22) went whole to client 0.
    ASSERT_EQ(rings[0].size(), 12U);
    EXPECT_EQ(counters[0].rx.get(), 12U);
    const std::vector<int*> passed(rings[0].begin() + 8, rings[0].end());
    EXPECT_EQ(passed, (std::vector<int*>{&packets[13], &packets[16], &packets[19], &packets[22]}));
    EXPECT_EQ(counters[2].rx.get(), 8U);
    for (unsigned c = 0; c < clients; ++c)
        EXPECT_EQ(rings[c].size(), counters[c].rx.get()) << "rx counts what went into the ring";
}

TEST_F(DistributorTest, APassedBufferGoesFirstToTheClientThatTookTheLastOne)
{
    room[0] = 0;
    room[2] = 0; // only client 1 runs
    const auto pkts = burst(0, 12);
    distributor.distribute(pkts.data(), 12); // one buffer each: 0's, 1's, 2's
    // Client 0's buffer: 0 refuses, 1 takes. Client 1's: 1. Client 2's: 2
    // refuses, then 1 at once (it took the last one), not 0 next in turn.
    EXPECT_EQ(enqueue_clients, (std::vector<unsigned>{0, 1, 1, 2, 1}));
    EXPECT_EQ(rings[1].size(), 12U);
    EXPECT_EQ(counters[1].rx.get(), 12U);
    EXPECT_TRUE(dropped.empty());
}

TEST_F(DistributorTest, BufferIsDroppedAndCountedOnlyWhenNoRingHasRoom)
{
    room = {4, 4, 4}; // one buffer each, then every ring is full
    const auto pkts = burst(0, 24);
    distributor.distribute(pkts.data(), 24);
    ASSERT_EQ(dropped.size(), 12U);
    for (unsigned c = 0; c < clients; ++c) {
        EXPECT_EQ(counters[c].rx.get(), 4U) << "client " << c;
        EXPECT_EQ(counters[c].rx_drop.get(), 4U) << "client " << c;
    }
    // A dropped buffer is counted against the client it was filled for.
    for (std::size_t k = 0; k < dropped.size(); ++k)
        EXPECT_EQ(index(dropped[k]) % 3, static_cast<int>(k / 4)) << "drop " << k;
    // Every packet is accounted for: sent, dropped or buffered.
    unsigned total = 0;
    for (unsigned c = 0; c < clients; ++c)
        total += counters[c].rx.get() + counters[c].rx_drop.get() + distributor.buffered(c);
    EXPECT_EQ(total, 24U);
}

// ---- client TX buffers ----------------------------------------------------------

struct FakeTransmit {
    struct Call {
        uint16_t port;
        std::vector<rte_mbuf*> pkts;
    };
    std::vector<Call>* calls;
    uint16_t refuse_last = 0; // the port takes all but this many

    uint16_t operator()(uint16_t port, rte_mbuf** pkts, uint16_t n)
    {
        calls->push_back({port, std::vector<rte_mbuf*>(pkts, pkts + n)});
        return refuse_last < n ? refuse_last : n;
    }
};

struct TxBuffersTest : ::testing::Test {
    std::vector<FakeTransmit::Call> calls;
    std::unique_ptr<TxStats> stats = std::make_unique<TxStats>();
    std::vector<rte_mbuf> mbufs = std::vector<rte_mbuf>(200);
    PortTxBuffers<FakeTransmit, 32> tx{FakeTransmit{&calls}, *stats};

    TxBuffersTest()
    {
        *stats = TxStats{};
        // Ports 2 and 5 form the pair, as if the server ran with -p 0x24.
        tx.add_route(2, 5);
        tx.add_route(5, 2);
    }
    std::vector<rte_mbuf*> arriving(uint16_t port, unsigned first, unsigned n)
    {
        std::vector<rte_mbuf*> out;
        for (unsigned i = first; i < first + n; ++i) {
            mbufs[i].port = port;
            out.push_back(&mbufs[i]);
        }
        return out;
    }
};

TEST_F(TxBuffersTest, PacketsLeaveOnThePairedPortInFullBursts)
{
    const auto a = arriving(2, 0, 40);
    tx.forward(a.data(), 40);
    ASSERT_EQ(calls.size(), 1U) << "one full burst of 32, 8 still buffered";
    EXPECT_EQ(calls[0].port, 5U);
    EXPECT_EQ(calls[0].pkts, std::vector<rte_mbuf*>(a.begin(), a.begin() + 32));
    EXPECT_EQ(tx.buffered(), 8U);

    const auto b = arriving(5, 40, 3);
    tx.forward(b.data(), 3);
    EXPECT_EQ(calls.size(), 1U);
    tx.flush_all(); // the ring ran dry
    ASSERT_EQ(calls.size(), 3U);
    EXPECT_EQ(calls[1].port, 5U);
    EXPECT_EQ(calls[1].pkts.size(), 8U);
    EXPECT_EQ(calls[2].port, 2U);
    EXPECT_EQ(calls[2].pkts, b);
    EXPECT_EQ(tx.buffered(), 0U);
    EXPECT_EQ(stats->tx[5], 40U);
    EXPECT_EQ(stats->tx[2], 3U);
    EXPECT_EQ(tx.sent(), 43U);
    tx.flush_all();
    EXPECT_EQ(calls.size(), 3U) << "empty buffers are not sent";
}

TEST_F(TxBuffersTest, RefusedPacketsAreCountedAsDropsPerPort)
{
    tx.transmit().refuse_last = 10;
    const auto a = arriving(5, 0, 32);
    tx.forward(a.data(), 32);
    EXPECT_EQ(stats->tx[2], 22U);
    EXPECT_EQ(stats->tx_drop[2], 10U);
    EXPECT_EQ(tx.sent(), 22U);
    EXPECT_EQ(tx.dropped(), 10U);
}

TEST_F(TxBuffersTest, UnknownInputPortStillGoesToAValidPort)
{
    const auto a = arriving(31, 0, 1);
    tx.forward(a.data(), 1);
    tx.flush_all();
    ASSERT_EQ(calls.size(), 1U);
    EXPECT_TRUE(calls[0].port == 2 || calls[0].port == 5);
}

// ---- a ring whose single consumer was killed inside a dequeue ---------------------

struct RingMemory {
    rte_ring* ring;
    explicit RingMemory(unsigned count)
    {
        const ssize_t size = rte_ring_get_memsize(count);
        ring = static_cast<rte_ring*>(std::aligned_alloc(RTE_CACHE_LINE_SIZE,
                                                         RTE_ALIGN_CEIL(size, 64)));
        EXPECT_EQ(rte_ring_init(ring, "unit", count, RING_F_SP_ENQ | RING_F_SC_DEQ), 0);
    }
    ~RingMemory() { std::free(ring); }

    int items[10] = {};
    // Puts &items[0..9] in the ring.
    void enqueue_items()
    {
        void* objs[10];
        for (int i = 0; i < 10; ++i)
            objs[i] = &items[i];
        ASSERT_EQ(rte_ring_enqueue_bulk(ring, objs, 10, nullptr), 10U);
    }
};

// The state a kill leaves: cons.head moved past `n` entries, cons.tail not.
void consumer_killed_inside_dequeue(rte_ring* ring, unsigned n)
{
    ring->cons.head = ring->cons.head + n;
}

TEST(RingRecovery, WithoutRepairTheNextConsumerSkipsWhatTheDeadOneClaimed)
{
    RingMemory memory(16);
    memory.enqueue_items();
    consumer_killed_inside_dequeue(memory.ring, 4);
    EXPECT_EQ(rte_ring_free_count(memory.ring), 5U) << "the producer cannot use those 4 slots";

    void* out[16];
    const unsigned got = rte_ring_dequeue_burst(memory.ring, out, 16, nullptr);
    ASSERT_EQ(got, 6U) << "the 4 claimed entries are lost to a plain restart";
    EXPECT_EQ(out[0], &memory.items[4]);
}

TEST(RingRecovery, TakingBackHandsEveryEntryToTheNewConsumerInOrder)
{
    RingMemory memory(16);
    // Wrap the indices around once first: the repair must not care.
    for (int round = 0; round < 3; ++round) {
        memory.enqueue_items();
        void* sink[10];
        ASSERT_EQ(rte_ring_dequeue_bulk(memory.ring, sink, 10, nullptr), 10U);
    }
    memory.enqueue_items();
    consumer_killed_inside_dequeue(memory.ring, 4);

    EXPECT_EQ(mp::Ring<int>(memory.ring).take_back_claimed_entries(), 4U);
    EXPECT_EQ(mp::Ring<int>(memory.ring).take_back_claimed_entries(), 0U) << "a healthy ring is left alone";
    void* out[16];
    ASSERT_EQ(rte_ring_dequeue_burst(memory.ring, out, 16, nullptr), 10U);
    for (int i = 0; i < 10; ++i)
        EXPECT_EQ(out[i], &memory.items[i]);
    EXPECT_EQ(rte_ring_free_count(memory.ring), 15U);
}

// The state a kill leaves: prod.head moved past `n` slots, prod.tail not.
void producer_killed_inside_enqueue(rte_ring* ring, unsigned n)
{
    ring->prod.head = ring->prod.head + n;
}

TEST(RingRecovery, ForgettingUnpublishedSlotsKeepsTheNextProducersBatchAlone)
{
    RingMemory memory(16);
    producer_killed_inside_enqueue(memory.ring, 3);
    EXPECT_EQ(mp::Ring<int>(memory.ring).forget_unpublished_entries(), 3U);
    EXPECT_EQ(mp::Ring<int>(memory.ring).forget_unpublished_entries(), 0U) << "a healthy ring is left alone";
    memory.enqueue_items();
    void* out[16];
    ASSERT_EQ(rte_ring_dequeue_burst(memory.ring, out, 16, nullptr), 10U)
        << "only the new producer's entries are published";
    EXPECT_EQ(out[0], &memory.items[0]);

    // Without the repair, the dead producer's slots go out with the next batch.
    producer_killed_inside_enqueue(memory.ring, 3);
    memory.enqueue_items();
    EXPECT_EQ(rte_ring_count(memory.ring), 13U);
}

// ---- return rings: freed mbufs back from the clients to the server ---------------

// An lcore cache as a stack of pointers, as DPDK's is (take returns the newest).
struct FakeCache {
    std::vector<int*>* objs;
    unsigned size() const { return static_cast<unsigned>(objs->size()); }
    void take(int** out, unsigned n)
    {
        for (unsigned i = 0; i < n; ++i) {
            out[i] = objs->back();
            objs->pop_back();
        }
    }
    void give(int* const* in, unsigned n) { objs->insert(objs->end(), in, in + n); }
};

struct ReturnRingTest : ::testing::Test {
    std::vector<int> mbufs = std::vector<int>(4 * return_batch);
    std::vector<int*> client_cache, server_cache;
    // Puts `n` distinct fake mbufs in `cache`, from mbufs[first].
    void fill(std::vector<int*>& cache, unsigned first, unsigned n)
    {
        for (unsigned i = 0; i < n; ++i)
            cache.push_back(&mbufs[first + i]);
    }
};

TEST_F(ReturnRingTest, ClientHandsBackWholeBatchesAndOnlyWhatTheRingHasRoomFor)
{
    RingMemory ring(512); // room for 511: one batch and a part of the next
    MbufReturner<int, FakeCache> give_back(FakeCache{&client_cache}, mp::Ring<int>(ring.ring));

    fill(client_cache, 0, return_batch - 1);
    EXPECT_EQ(give_back(), 0U) << "less than a batch stays in the cache";
    fill(client_cache, return_batch - 1, return_batch + 1);
    EXPECT_EQ(give_back(), return_batch);
    EXPECT_EQ(client_cache.size(), return_batch);
    EXPECT_EQ(rte_ring_count(ring.ring), return_batch);
    EXPECT_EQ(give_back(), 511 - return_batch) << "the rest of the room";
    EXPECT_EQ(give_back(), 0U) << "a full ring leaves the cache to the pool";
    EXPECT_EQ(client_cache.size() + rte_ring_count(ring.ring), 2 * return_batch);
    EXPECT_EQ(give_back.returned(), 511U);

    // Nothing was lost or duplicated on the way.
    std::vector<int*> all(client_cache);
    void* out[512];
    const unsigned n = rte_ring_dequeue_burst(ring.ring, out, 512, nullptr);
    for (unsigned i = 0; i < n; ++i)
        all.push_back(static_cast<int*>(out[i]));
    std::sort(all.begin(), all.end());
    EXPECT_EQ(std::unique(all.begin(), all.end()), all.end());
    EXPECT_EQ(all.size(), 2 * return_batch);
}

TEST_F(ReturnRingTest, WithoutAReturnRingTheClientLeavesItAllToThePool)
{
    MbufReturner<int, FakeCache> give_back(FakeCache{&client_cache}, mp::Ring<int>());
    fill(client_cache, 0, 2 * return_batch);
    EXPECT_EQ(give_back(), 0U);
    EXPECT_EQ(client_cache.size(), 2 * return_batch);
}

TEST_F(ReturnRingTest, ServerRefillsBelowABatchRoundRobinAndCountsPerClient)
{
    RingMemory ring0(1024), ring1(1024), ring2(1024);
    ClientCounters counters[3] = {};
    MbufRefiller<int, FakeCache> refill(FakeCache{&server_cache}, counters);
    refill.add_ring(mp::Ring<int>(ring0.ring));
    refill.add_ring(mp::Ring<int>(ring1.ring));
    refill.add_ring(mp::Ring<int>(ring2.ring));
    const auto put = [&](RingMemory& ring, unsigned first, unsigned n) {
        void* objs[4 * return_batch];
        for (unsigned i = 0; i < n; ++i)
            objs[i] = &mbufs[first + i];
        ASSERT_EQ(rte_ring_enqueue_bulk(ring.ring, objs, n, nullptr), n);
    };
    put(ring0, 0, 2 * return_batch);
    put(ring2, 2 * return_batch, 10); // client 1 has handed nothing back

    EXPECT_EQ(refill(), return_batch) << "one batch from client 0";
    EXPECT_EQ(refill(), 0U) << "a cache holding a batch is not topped up";
    server_cache.clear(); // RX took them
    EXPECT_EQ(refill(), 10U) << "client 1 is empty: client 2's turn";
    EXPECT_EQ(server_cache.front(), &mbufs[2 * return_batch]);
    EXPECT_EQ(refill(), return_batch) << "client 0 again";
    EXPECT_EQ(server_cache.size(), return_batch + 10);
    server_cache.clear();
    EXPECT_EQ(refill(), 0U) << "below a batch, but every ring is empty";
    EXPECT_EQ(counters[0].returned.get(), 2 * return_batch);
    EXPECT_EQ(counters[1].returned.get(), 0U);
    EXPECT_EQ(counters[2].returned.get(), 10U);
}

// ---- statistics screen -----------------------------------------------------------

TEST(Stats, SnapshotSumsClientCountersPerPortAndScreenHasUpstreamLayout)
{
    auto info = std::make_unique<PortInfo>();
    info->num_ports = 2;
    info->id[0] = 0;
    info->id[1] = 1;
    info->rx_stats.rx[0] = 1000;
    info->rx_stats.rx[1] = 900;
    info->tx_stats[0].tx[1] = 400; // client 0 sent 400 on port 1, 300 on port 0
    info->tx_stats[0].tx[0] = 300;
    info->tx_stats[1].tx[1] = 500;
    info->tx_stats[1].tx_drop[0] = 7;
    ClientCounters counters[2];
    counters[0].rx.add(800);
    counters[1].rx.add(1000);
    counters[1].rx_drop.add(100);

    const StatsSnapshot snap = take_snapshot(*info, counters, 2);
    ASSERT_EQ(snap.ports.size(), 2U);
    EXPECT_EQ(snap.ports[1].tx, 900U);
    EXPECT_EQ(snap.ports[0].tx_drop, 7U);
    EXPECT_EQ(snap.clients[0].tx, 700U);
    EXPECT_EQ(snap.clients[1].tx_drop, 7U);

    const std::string text = format_stats(snap, {"02:00:00:00:00:00", "02:00:00:00:00:01"});
    EXPECT_EQ(text, "PORTS\n"
                    "-----\n"
                    "Port 0: '02:00:00:00:00:00'\tPort 1: '02:00:00:00:00:01'\t\n"
                    "\n"
                    "Port 0 - rx:      1000\ttx:       300\n"
                    "Port 1 - rx:       900\ttx:       900\n"
                    "\n"
                    "CLIENTS\n"
                    "-------\n"
                    "Client  0 - rx:       800, rx_drop:         0\n"
                    "            tx:       700, tx_drop:         0\n"
                    "Client  1 - rx:      1000, rx_drop:       100\n"
                    "            tx:       500, tx_drop:         7\n"
                    "\n");
}

} // namespace
