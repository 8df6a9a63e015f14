/* SPDX-License-Identifier: BSD-3-Clause */
// symmetric_mp's forwarding loop in one process against real ports: two null
// ports (endless RX, TX takes everything) and a ring port whose TX ring fills up,
// to see the drops counted and the refused mbufs returned to the pool.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include <rte_eth_ring.h>

#include <mp/all.hpp>

#include "../harness/in_process_eal.hpp"
#include "forward.hpp"

using namespace symmetric_mp;

namespace {

class ForwardLoop : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        eal_ = std::make_unique<mptest::InProcessEal>(
            "smp_fwd", std::vector<std::string>{"--lcores=0@0", "--vdev=net_null0", "--vdev=net_null1"});
        pool_ = mp::PktmbufPool::create("SMP_TEST_POOL", 4096, 0, "lf_stack").release();
        mp::PortSetup setup;
        setup.rx_queues = setup.tx_queues = 2;
        setup.rss = true;
        setup.rx_checksum = true;
        mp::setup_port(0, pool_.native(), setup);
        mp::setup_port(1, pool_.native(), setup);

        // Port 2: RX from an empty ring, TX into a ring that holds 63 packets.
        rx_ring_ = rte_ring_create("SMP_TEST_RX", 64, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
        tx_ring_ = rte_ring_create("SMP_TEST_TX", 64, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
        ASSERT_NE(rx_ring_, nullptr);
        ASSERT_NE(tx_ring_, nullptr);
        const int port = rte_eth_from_rings("smp_test_ring", &rx_ring_, 1, &tx_ring_, 1, 0);
        ASSERT_EQ(port, 2);
        mp::PortSetup ring_setup;
        mp::setup_port(2, pool_.native(), ring_setup);
    }
    static void TearDownTestSuite()
    {
        eal_.reset();
    }

    static inline std::unique_ptr<mptest::InProcessEal> eal_;
    static inline mp::PktmbufPool pool_;
    static inline rte_ring* rx_ring_ = nullptr;
    static inline rte_ring* tx_ring_ = nullptr;
    static inline std::atomic<uint32_t> in_put_{0};
};

// Packets sent on one TX queue, from the extended statistics: DPDK 25.11 took
// the per-queue arrays out of rte_eth_stats, and xstats has them in all releases.
uint64_t tx_queue_packets(uint16_t port, uint16_t queue)
{
    const std::string name = "tx_q" + std::to_string(queue) + "_packets";
    uint64_t id = 0;
    uint64_t value = 0;
    EXPECT_EQ(rte_eth_xstats_get_id_by_name(port, name.c_str(), &id), 0) << name;
    EXPECT_EQ(rte_eth_xstats_get_by_id(port, &id, &value, 1), 1) << name;
    return value;
}

TEST_F(ForwardLoop, EachPortsBurstGoesOutOfItsPairOnTheSameQueue)
{
    auto counters = std::make_unique<ProcCounters>();
    const uint16_t ports[] = {0, 1};
    const uint64_t before_q0 = tx_queue_packets(1, 0);
    const uint64_t before_q1 = tx_queue_packets(1, 1);
    const auto uses = port_cache_uses(ports);
    mp::LcoreCacheMark cache_(in_put_, pool_.native(), rte_lcore_id());
    EXPECT_EQ(forward_once(ports, uses, 1, counters->port, cache_), 2U * burst_size);
    EXPECT_EQ(forward_once(ports, uses, 1, counters->port, cache_), 2U * burst_size);
    for (const uint16_t port : ports) {
        EXPECT_EQ(counters->port[port].rx.get(), 2U * burst_size);
        EXPECT_EQ(counters->port[port].tx.get(), 2U * burst_size);
        EXPECT_EQ(counters->port[port].drop.get(), 0U);
    }
    // The null PMD counts per queue: port 1 sent our packets on queue 1.
    EXPECT_EQ(tx_queue_packets(1, 1) - before_q1, 2U * burst_size);
    EXPECT_EQ(tx_queue_packets(1, 0), before_q0);
    EXPECT_EQ(pool_.in_use(), 0U) << "the null PMD frees what it sends";
    EXPECT_EQ(in_put_.load(), 0U) << "outside a burst, the lcore is outside any put";
}

TEST_F(ForwardLoop, WhatTheTxQueueRefusesIsCountedAndFreed)
{
    auto counters = std::make_unique<ProcCounters>();
    const uint16_t ports[] = {0, 2}; // null port 0 feeds the ring port 2
    const auto uses = port_cache_uses(ports);
    mp::LcoreCacheMark cache_(in_put_, pool_.native(), rte_lcore_id());
    for (int i = 0; i < 4; ++i)
        forward_once(ports, uses, 0, counters->port, cache_);
    const unsigned held = rte_ring_count(tx_ring_);
    EXPECT_EQ(held, 63U);
    EXPECT_EQ(counters->port[0].rx.get(), 4U * burst_size);
    EXPECT_EQ(counters->port[2].tx.get(), held);
    EXPECT_EQ(counters->port[2].drop.get(), 4U * burst_size - held);
    EXPECT_EQ(counters->port[2].rx.get(), 0U) << "the ring port received nothing";
    EXPECT_EQ(pool_.in_use(), held) << "dropped mbufs must go back to the pool";

    void* sent[64];
    const unsigned n = rte_ring_dequeue_burst(tx_ring_, sent, 64, nullptr);
    rte_pktmbuf_free_bulk(reinterpret_cast<rte_mbuf**>(sent), n);
    EXPECT_EQ(pool_.in_use(), 0U);
}

} // namespace
