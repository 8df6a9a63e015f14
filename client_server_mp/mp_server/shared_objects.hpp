/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// What the server makes for its clients: the port list, the config with the
// claims, the mbuf pool, and per client a ring of packets and a ring for the
// mbufs it hands back; the ports themselves; and at exit, freeing them all, or
// keeping them while clients still run.

#include <cstdio>
#include <string>
#include <vector>

#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <mp/all.hpp>

#include "../shared/config.hpp"
#include "../shared/port_info.hpp"
#include "../shared/return_rings.hpp"

namespace client_server_mp {

// The lock-free stack driver: a client killed in the middle of a put or a get
// cannot leave the pool locked for everybody else, as the default ring driver
// can (its producer and consumer heads stay ahead of the tails for good).
inline constexpr const char* pool_driver = "lf_stack";

// Sizes as upstream's server but for the clients' rings, and a pool that holds
// what every queue, ring and cache can keep at once.
inline constexpr unsigned rx_descriptors = 1024;
inline constexpr unsigned tx_descriptors = 1024;
inline constexpr unsigned mbuf_cache_size = 512;
// Dealing one packet to each client in turn fills every client's buffer within
// the same few packets. With the clients sharing a CPU, all but the running one
// refuse theirs, and the running one's ring receives them all at once: 32
// packets per client. Upstream's 128 slots drop most of that, and the ring
// runs empty before the next round. 512 slots take the buffers of 15 clients.
inline constexpr unsigned client_ring_size = 512;

inline unsigned pool_size(unsigned ports, unsigned clients)
{
    return rx_descriptors * ports +
           clients * (client_ring_size + tx_descriptors * ports + return_ring_slots) +
           (clients + 1) * mbuf_cache_size;
}

inline unsigned live_clients(const Config& config)
{
    unsigned live = 0;
    for (unsigned c = 0; c < config.num_clients; ++c)
        if (config.client_owner[c].live_holder() != 0)
            ++live;
    return live;
}

// What the server makes for its clients: freed at exit, unless clients still
// run (they would crash on freed memory).
struct SharedObjects {
    mp::Memzone<PortInfo>::Owner info;
    mp::Memzone<Config>::Owner config;
    mp::PktmbufPool::Owner pool;
    std::vector<mp::Ring<rte_mbuf>::Owner> rings;        // per client: its packets
    std::vector<mp::Ring<rte_mbuf>::Owner> return_rings; // and the mbufs it hands back

    static SharedObjects create(const std::vector<uint16_t>& ports, unsigned num_clients)
    {
        SharedObjects shared;
        shared.info = mp::Memzone<PortInfo>::reserve(port_info_name);
        shared.info->num_ports = static_cast<uint16_t>(ports.size());
        for (std::size_t j = 0; j < ports.size(); ++j)
            shared.info->id[j] = ports[j];
        shared.config = mp::Memzone<Config>::reserve(config_name);
        shared.config->num_clients = num_clients;
        shared.config->server_pid = getpid();
        shared.config->magic = config_magic;

        const unsigned mbufs = pool_size(shared.info->num_ports, num_clients);
        std::printf("Creating mbuf pool '%s' [%u mbufs, %s driver] ...\n", pktmbuf_pool_name,
                    mbufs, pool_driver);
        shared.pool =
            mp::PktmbufPool::create(pktmbuf_pool_name, mbufs, mbuf_cache_size, pool_driver);
        for (unsigned c = 0; c < num_clients; ++c) {
            shared.rings.push_back(mp::Ring<rte_mbuf>::create(
                client_ring_name(c), client_ring_size, RING_F_SP_ENQ | RING_F_SC_DEQ));
            shared.return_rings.push_back(mp::Ring<rte_mbuf>::create(
                return_ring_name(c), return_ring_slots, RING_F_SP_ENQ | RING_F_SC_DEQ));
        }
        return shared;
    }

    void keep_at_exit()
    {
        for (auto& ring : rings)
            (void)ring.release();
        for (auto& ring : return_rings)
            (void)ring.release();
        (void)pool.release();
        (void)config.release();
        (void)info.release();
    }

    // Every mbuf not in the pool (or a cache) must be in a ring once every
    // client has stopped (they flush theirs at Ctrl-C). What is not was lost by
    // a client that was killed (docs/client_server_mp.rst).
    void print_accounting() const
    {
        unsigned in_rings = 0;
        for (std::size_t c = 0; c < rings.size(); ++c)
            in_rings += rings[c].count() + return_rings[c].count();
        const unsigned in_use = pool.in_use();
        std::printf("Mbuf pool: %u mbufs, %u in use, %u of them in the rings, %d unaccounted "
                    "for\n",
                    pool.size(), in_use, in_rings,
                    static_cast<int>(in_use) - static_cast<int>(in_rings));
    }
};

inline void setup_ports(const std::vector<uint16_t>& ports, unsigned num_clients, rte_mempool* pool)
{
    mp::PortSetup setup;
    setup.rx_queues = 1;
    setup.tx_queues = static_cast<uint16_t>(num_clients); // client N sends on queue N
    setup.rx_descriptors = rx_descriptors;
    setup.tx_descriptors = tx_descriptors;
    for (uint16_t port : ports)
        mp::setup_port(port, pool, setup);
    mp::wait_for_links(ports);
}

// At exit: with clients still running, the ports and the shared objects stay
// (the clients would crash on freed memory); otherwise the mbufs are accounted
// for and the ports closed.
inline void keep_or_close(mp::Eal& eal, SharedObjects& shared, const std::vector<uint16_t>& ports)
{
    if (const unsigned live = live_clients(*shared.config); live != 0) {
        std::printf("%u client%s still running: leaving the ports and shared objects in place\n",
                    live, live == 1 ? "" : "s");
        eal.keep_shared_state_at_exit();
        shared.keep_at_exit();
    } else {
        shared.print_accounting();
        mp::PortsGuard close_ports(ports);
    }
}

} // namespace client_server_mp
