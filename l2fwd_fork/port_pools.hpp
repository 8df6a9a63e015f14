/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// One mbuf pool per RX port. Only the slave receiving on the port takes mbufs
// from it, and only that slave frees them again (as it transmits them on the
// pair port), so every mbuf a slave can hold belongs to the pools of its group.
// After a death, the master stops the group's ports, sets their RX queues up on
// fresh pools and frees the old ones: whatever the dead slave held (its burst
// arrays, TX buffers, per-lcore caches, a half-done ring operation inside the
// pool) goes with the old pool. The pools are named mbuf_pool_p<port>.<n>,
// n counting the renewals.

#include <cstdint>
#include <memory>
#include <vector>

#include <rte_ethdev.h>

#include <mp/error.hpp>
#include <mp/mempool.hpp>
#include <mp/port.hpp>

namespace l2fwd_fork {

inline constexpr unsigned rx_descriptors = 1024;
inline constexpr unsigned tx_descriptors = 1024;
inline constexpr unsigned mempool_cache_size = 256;
// RX ring + the pair port's TX ring + two bursts + the caches of the slave and
// of the master (which fills RX rings when it sets queues up), rounded up to
// 2^n - 1 as mempools like.
inline constexpr unsigned mbufs_per_port = 4095;
static_assert(mbufs_per_port >= rx_descriptors + tx_descriptors + 2 * 32 + 2 * mempool_cache_size);

class PortPools {
public:
    explicit PortPools(const std::vector<uint16_t>& ports)
    {
        for (uint16_t port : ports)
            entries_.push_back({port, 0, create(port, 0)});
    }

    rte_mempool* pool(uint16_t port) const { return entry(port).pool.native(); }
    unsigned generation(uint16_t port) const { return entry(port).generation; }

    // For a stopped port: RX queue 0 on a new pool, then the old pool freed.
    void renew(uint16_t port)
    {
        Entry& e = entry(port);
        auto fresh = create(port, e.generation + 1);
        rte_eth_dev_info info{};
        mp::check(rte_eth_dev_info_get(port, &info),
                  mp::strprintf("port %u: cannot get device info", port));
        rte_eth_conf conf{};
        mp::check(rte_eth_dev_conf_get(port, &conf),
                  mp::strprintf("port %u: cannot get its configuration", port));
        uint16_t rx_desc = rx_descriptors;
        uint16_t tx_desc = tx_descriptors;
        mp::check(rte_eth_dev_adjust_nb_rx_tx_desc(port, &rx_desc, &tx_desc),
                  mp::strprintf("port %u: cannot adjust descriptor counts", port));
        rte_eth_rxconf rxconf = info.default_rxconf;
        rxconf.offloads = conf.rxmode.offloads;
        rxconf.rx_drop_en = mp::PortSetup{}.drop_when_full ? 1 : 0;
        // Releases the old queue and the mbufs its ring held, into the old pool.
        mp::check(rte_eth_rx_queue_setup(port, 0, rx_desc, rte_eth_dev_socket_id(port), &rxconf,
                                         fresh.native()),
                  mp::strprintf("port %u: cannot set up RX queue 0 again", port));
        e.pool = std::move(fresh); // frees the old pool
        ++e.generation;
    }

private:
    struct Entry {
        uint16_t port;
        unsigned generation;
        mp::PktmbufPool::Owner pool;
    };

    static mp::PktmbufPool::Owner create(uint16_t port, unsigned generation)
    {
        return mp::PktmbufPool::create(mp::strprintf("mbuf_pool_p%u.%u", port, generation),
                                       mbufs_per_port, mempool_cache_size, nullptr,
                                       RTE_MBUF_DEFAULT_BUF_SIZE, rte_eth_dev_socket_id(port));
    }

    Entry& entry(uint16_t port)
    {
        for (Entry& e : entries_)
            if (e.port == port)
                return e;
        throw mp::StartupError(mp::strprintf("port %u has no mbuf pool", port));
    }
    const Entry& entry(uint16_t port) const { return const_cast<PortPools*>(this)->entry(port); }

    std::vector<Entry> entries_;
};

} // namespace l2fwd_fork
