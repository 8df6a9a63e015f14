/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// One mbuf pool per RX port, mbuf_pool_p<port>, made once at start-up and
// renewed in place after every death in the port's group.
//
// Who uses a pool: only the slave receiving on the port takes mbufs from it,
// and only that slave frees them again (it alone transmits on the pair port's
// TX queue, where they go, and it frees the ones that queue drops or has sent).
// The master uses the pool only while no slave of the group runs (port
// start and stop). So a pool has one user at a time, and its backend is
// "ring_sp_sc": a single-producer/single-consumer ring never waits for another
// process, where the default "ring_mp_mc" ring makes every later put spin for
// good once a process dies between moving the ring's head and its tail (a
// stack-based driver would instead leak list elements, or wait on a spinlock
// the dead held).
//
// Renewal: once every slave of the group has ended and the ports are stopped
// (so the driver holds none of the pool's mbufs), renew() forgets every
// per-lcore cache, empties the ring and puts every mbuf of the pool back into
// it, reinitialised. Whatever the dead slave left (mbufs in its burst arrays
// and TX buffers, its cache, a half-done ring operation) is thereby undone,
// exactly: the pool is full again. Nothing is allocated or freed: creating and
// freeing pools needs DPDK's memory and memzone locks in the shared memory,
// which a slave killed inside rte_eal_init() can leave held, and the master
// would then wait for them for good.

#include <cstdint>
#include <string>
#include <vector>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <mp/dpdk_internals.hpp>
#include <mp/error.hpp>
#include <mp/log.hpp>
#include <mp/mempool.hpp>

namespace l2fwd_fork {

inline constexpr unsigned rx_descriptors = 1024;
inline constexpr unsigned tx_descriptors = 1024;
inline constexpr unsigned mempool_cache_size = 256;
// RX ring + the pair port's TX ring + two bursts + the caches of the slave and
// of the master (which fills RX rings when it starts ports), rounded up to
// 2^n - 1 as mempools like.
inline constexpr unsigned mbufs_per_port = 4095;
static_assert(mbufs_per_port >= rx_descriptors + tx_descriptors + 2 * 32 + 2 * mempool_cache_size);
// See the top of the file.
inline constexpr const char* pool_driver = "ring_sp_sc";

class PortPools {
public:
    explicit PortPools(const std::vector<uint16_t>& ports)
    {
        for (uint16_t port : ports)
            entries_.push_back({port, 0, create(port)});
    }

    rte_mempool* pool(uint16_t port) const { return entry(port).pool.native(); }
    unsigned renewals(uint16_t port) const { return entry(port).renewals; }
    std::vector<rte_mempool*> all() const
    {
        std::vector<rte_mempool*> pools;
        for (const Entry& e : entries_)
            pools.push_back(e.pool.native());
        return pools;
    }

    // Only for a stopped port whose slaves have all ended: see the top of the
    // file. Takes well under a millisecond and never waits.
    void renew(uint16_t port)
    {
        Entry& e = const_cast<Entry&>(entry(port));
        rte_mempool* pool = e.pool.native();
        for (unsigned lcore = 0; lcore < RTE_MAX_LCORE; ++lcore)
            if (rte_mempool_cache* cache = rte_mempool_default_cache(pool, lcore))
                mp::internals::cache_forget(*cache);
        rte_ring_reset(mp::internals::pool_ring(*pool));
        rte_mempool_obj_iter(pool, &PortPools::put_back, nullptr);
        ++e.renewals;
    }

    struct Renewal {
        std::string text;    // " 0 (mbuf_pool_p0, renewal 3) 1 (...)", for the log
        std::string failure; // a port that does not start again
    };
    // Stops `ports`, renews their pools, starts them again. Stopping a port
    // also frees the mbufs its rings still hold (puts that never wait, with a
    // single-producer ring).
    Renewal renew_stopped(const std::vector<uint16_t>& ports)
    {
        Renewal renewal;
        for (uint16_t port : ports)
            if (const int ret = rte_eth_dev_stop(port); ret != 0)
                mp::log(RTE_LOG_WARNING, "port %u: cannot stop: %s", port,
                        mp::rte_error_text(ret));
        for (uint16_t port : ports) {
            renew(port);
            renewal.text += mp::strprintf(" %u (%s, renewal %u)", port, pool(port)->name,
                                          renewals(port));
        }
        for (uint16_t port : ports)
            if (const int ret = rte_eth_dev_start(port); ret != 0) {
                renewal.failure = mp::strprintf("port %u: cannot start again: %s", port,
                                                mp::rte_error_text(ret));
                break;
            }
        return renewal;
    }

private:
    struct Entry {
        uint16_t port;
        unsigned renewals;
        mp::PktmbufPool::Owner pool;
    };

    static mp::PktmbufPool::Owner create(uint16_t port)
    {
        auto pool = mp::PktmbufPool::create(mp::strprintf("mbuf_pool_p%u", port), mbufs_per_port,
                                            mempool_cache_size, pool_driver,
                                            RTE_MBUF_DEFAULT_BUF_SIZE,
                                            rte_eth_dev_socket_id(port));
        if (mp::internals::pool_ring(*pool.native()) == nullptr)
            throw mp::StartupError(mp::strprintf("mbuf pool of port %u: driver %s keeps no "
                                                 "ring to renew",
                                                 port, pool_driver));
        return pool;
    }

    // Every object of the pool, as rte_pktmbuf_pool_create() first made it,
    // back into the (single-producer) ring.
    static void put_back(rte_mempool* pool, void*, void* obj, unsigned index) noexcept
    {
        rte_pktmbuf_init(pool, nullptr, obj, index);
        rte_ring_sp_enqueue(mp::internals::pool_ring(*pool), obj);
    }

    const Entry& entry(uint16_t port) const
    {
        for (const Entry& e : entries_)
            if (e.port == port)
                return e;
        throw mp::StartupError(mp::strprintf("port %u has no mbuf pool", port));
    }

    std::vector<Entry> entries_;
};

} // namespace l2fwd_fork
