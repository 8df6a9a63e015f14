/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// Ethernet ports: selection by port mask, configuration with the upstream
// examples' fall-backs, a bounded link wait, and counters.

#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <span>
#include <string_view>
#include <thread>
#include <vector>

#include <rte_ethdev.h>

#include "dpdk_internals.hpp"
#include "error.hpp"
#include "log.hpp"

namespace mp {

// The ports a mask selects, in port-id order. Every selected port must exist;
// with `even`, their number must be even (the apps forward in pairs).
inline std::vector<uint16_t> ports_from_mask(uint64_t mask, bool even = true)
{
    const unsigned available = rte_eth_dev_count_avail();
    std::vector<uint16_t> ports;
    for (unsigned bit = 0; bit < std::numeric_limits<uint64_t>::digits; ++bit) {
        if ((mask & (uint64_t{1} << bit)) == 0)
            continue;
        if (bit >= RTE_MAX_ETHPORTS || !rte_eth_dev_is_valid_port(static_cast<uint16_t>(bit)))
            throw UsageError(strprintf("portmask 0x%" PRIx64 " selects port %u, which does not "
                                       "exist (%u port%s available)",
                                       mask, bit, available, available == 1 ? "" : "s"));
        ports.push_back(static_cast<uint16_t>(bit));
    }
    if (even && ports.size() % 2 != 0)
        throw UsageError(strprintf("portmask 0x%" PRIx64 " selects %zu ports: an even number is "
                                   "needed, ports are forwarded in pairs",
                                   mask, ports.size()));
    return ports;
}

// Ports are paired by their position among the selected ones: 0<->1, 2<->3, ...
constexpr std::size_t paired_index(std::size_t index) noexcept { return index ^ 1U; }

struct PortSetup {
    uint16_t rx_queues = 1;
    uint16_t tx_queues = 1;
    uint16_t rx_descriptors = 1024;
    uint16_t tx_descriptors = 1024;
    // Spread flows over the RX queues by IP hash (masked by what the device can do).
    bool rss = false;
    // Ask for RX checksum offload; dropped again if the device refuses.
    bool rx_checksum = false;
    // Drop at the RX queue when it is full, so that one stalled reader cannot
    // hold up the whole port.
    bool drop_when_full = true;
    bool promiscuous = true;
};

// The device configuration `setup` asks for, as far as the device can do it:
// RSS and RX checksum offload are dropped again (with the upstream examples'
// lines) if the device refuses them. Throws StartupError.
inline rte_eth_conf configure_port(uint16_t port, const rte_eth_dev_info& info,
                                   const PortSetup& setup)
{
    rte_eth_conf conf{};
    if (setup.rss && setup.rx_queues > 1) {
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        const uint64_t wanted = RTE_ETH_RSS_IP;
        conf.rx_adv_conf.rss_conf.rss_hf = wanted & info.flow_type_rss_offloads;
        if (conf.rx_adv_conf.rss_conf.rss_hf != wanted)
            std::printf("\nPort %u modified RSS hash function based on hardware support, "
                        "requested:%#" PRIx64 " configured:%#" PRIx64 "\n",
                        port, wanted, conf.rx_adv_conf.rss_conf.rss_hf);
    }
    if (setup.rx_checksum)
        conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_CHECKSUM & info.rx_offload_capa;
    if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
        conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;

    int ret = rte_eth_dev_configure(port, setup.rx_queues, setup.tx_queues, &conf);
    if (ret == -EINVAL && conf.rxmode.offloads != 0) {
        std::printf("Port %u configuration failed. Re-attempting with HW checksum disabled.\n",
                    port);
        conf.rxmode.offloads = 0;
        ret = rte_eth_dev_configure(port, setup.rx_queues, setup.tx_queues, &conf);
    }
    if ((ret == -ENOTSUP || ret == -EINVAL) && conf.rxmode.mq_mode == RTE_ETH_MQ_RX_RSS) {
        std::printf("Port %u configuration failed. Re-attempting with HW RSS disabled.\n", port);
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
        conf.rx_adv_conf.rss_conf.rss_hf = 0;
        ret = rte_eth_dev_configure(port, setup.rx_queues, setup.tx_queues, &conf);
    }
    check(ret, strprintf("port %u: cannot configure %u RX / %u TX queues", port,
                         setup.rx_queues, setup.tx_queues));
    return conf;
}

// Configures, sets up the queues and starts `port`, printing what it does as the
// upstream examples do ("# Initialising port N... done"). Throws StartupError.
inline void setup_port(uint16_t port, rte_mempool* pool, const PortSetup& setup)
{
    std::printf("# Initialising port %u... ", port);
    std::fflush(stdout);

    rte_eth_dev_info info{};
    check(rte_eth_dev_info_get(port, &info), strprintf("port %u: cannot get device info", port));
    const rte_eth_conf conf = configure_port(port, info, setup);

    uint16_t rx_desc = setup.rx_descriptors;
    uint16_t tx_desc = setup.tx_descriptors;
    check(rte_eth_dev_adjust_nb_rx_tx_desc(port, &rx_desc, &tx_desc),
          strprintf("port %u: cannot adjust descriptor counts", port));

    const int socket = rte_eth_dev_socket_id(port);
    rte_eth_rxconf rxconf = info.default_rxconf;
    rxconf.offloads = conf.rxmode.offloads;
    rxconf.rx_drop_en = setup.drop_when_full ? 1 : 0;
    for (uint16_t q = 0; q < setup.rx_queues; ++q)
        check(rte_eth_rx_queue_setup(port, q, rx_desc, socket, &rxconf, pool),
              strprintf("port %u: cannot set up RX queue %u", port, q));

    rte_eth_txconf txconf = info.default_txconf;
    txconf.offloads = conf.txmode.offloads;
    for (uint16_t q = 0; q < setup.tx_queues; ++q)
        check(rte_eth_tx_queue_setup(port, q, tx_desc, socket, &txconf),
              strprintf("port %u: cannot set up TX queue %u", port, q));

    if (setup.promiscuous) {
        const int ret = rte_eth_promiscuous_enable(port);
        if (ret != 0 && ret != -ENOTSUP)
            check(ret, strprintf("port %u: cannot enable promiscuous mode", port));
    }
    check(rte_eth_dev_start(port), strprintf("port %u: cannot start", port));
    std::printf("done\n");
}

// Stops and closes ports when it goes out of scope. Only the process that owns
// the ports outright (no secondary forwards on them any more) should hold one.
class PortsGuard {
public:
    explicit PortsGuard(std::vector<uint16_t> ports) : ports_(std::move(ports)) {}
    PortsGuard(const PortsGuard&) = delete;
    PortsGuard& operator=(const PortsGuard&) = delete;
    ~PortsGuard()
    {
        for (uint16_t port : ports_) {
            rte_eth_dev_stop(port);
            if (close_)
                rte_eth_dev_close(port);
        }
    }

    // Stop only, and leave the ports configured: for ports that are used
    // again after the guard (the unit tests' ports, set up once for all).
    void stop_only() noexcept { close_ = false; }

private:
    std::vector<uint16_t> ports_;
    bool close_ = true;
};

// Waits up to `timeout` for every port's link to come up, then prints each
// port's state as the upstream examples do. Returns true when all are up.
// As upstream's: up to 90 looks, 100 ms apart.
inline constexpr auto link_wait_limit = std::chrono::seconds(9);
inline constexpr auto link_poll_interval = std::chrono::milliseconds(100);

inline bool wait_for_links(const std::vector<uint16_t>& ports,
                           std::chrono::milliseconds timeout = link_wait_limit)
{
    std::printf("\nChecking link status");
    std::fflush(stdout);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool all_up = false;
    while (true) {
        all_up = true;
        for (uint16_t port : ports) {
            rte_eth_link link{};
            if (rte_eth_link_get_nowait(port, &link) != 0 || link.link_status == 0)
                all_up = false;
        }
        if (all_up || std::chrono::steady_clock::now() >= deadline)
            break;
        std::printf(".");
        std::fflush(stdout);
        std::this_thread::sleep_for(link_poll_interval);
    }
    std::printf("done\n");
    for (uint16_t port : ports) {
        rte_eth_link link{};
        char text[RTE_ETH_LINK_MAX_STR_LEN];
        if (rte_eth_link_get_nowait(port, &link) == 0 &&
            rte_eth_link_to_str(text, sizeof(text), &link) >= 0)
            std::printf("Port %u %s\n", port, text);
    }
    return all_up;
}

// A secondary that transmits on a port it never polls for RX (mp_client,
// l2fwd_fork's slaves) calls this on its TX ports before it forwards, once the
// primary has their links up: for a driver whose secondaries map a port's
// memory only when they ask for its link state (memif, see
// internals::link_query_maps_port), it asks, so that its first TX burst
// there is not refused. Other drivers are not asked.
inline void map_memif_ports_here(std::span<const uint16_t> ports)
{
    if (rte_eal_process_type() != RTE_PROC_SECONDARY)
        return;
    for (const uint16_t port : ports) {
        rte_eth_dev_info info{};
        if (rte_eth_dev_info_get(port, &info) != 0 || info.driver_name == nullptr ||
            !internals::link_query_maps_port(info.driver_name))
            continue;
        rte_eth_link link{};
        if (rte_eth_link_get_nowait(port, &link) != 0 || link.link_status != RTE_ETH_LINK_UP)
            log(RTE_LOG_WARNING, "port %u: memif link is down, so this secondary maps the "
                                 "port's memory on its first burst there once the link is up, "
                                 "and the packets of that burst are dropped (DPDK's memif PMD)",
                port);
    }
}

} // namespace mp
