/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// What mp_server shares with its clients, under the upstream example's names
// and with its exact memory layout, so that the upstream mp_server and
// mp_client can be mixed with ours in either direction.
//
//   memzone "MProc_port_info"   PortInfo: the ports in use and their counters
//   mempool "MProc_pktmbuf_pool" the packet buffers
//   ring    "MProc_Client_<N>_RX" one per client, single producer (the server),
//                                 single consumer (client N)
//
// Counters are plain volatile words, as upstream: each one has a single writer
// (rx_stats: the server; tx_stats[N]: client N), and the readers only display
// them, so no atomic read-modify-write is needed.

#include <cstddef>
#include <cstdint>
#include <string>

#include <rte_common.h>
#include <rte_config.h>

namespace client_server_mp {

inline constexpr unsigned max_clients = 16;

inline constexpr const char* port_info_name = "MProc_port_info";
inline constexpr const char* pktmbuf_pool_name = "MProc_pktmbuf_pool";

// "MProc_Client_<id>_RX"
inline std::string client_ring_name(unsigned client)
{
    return std::string("MProc_Client_").append(std::to_string(client)).append("_RX");
}

// Packets the server read from each port, indexed by the port's position in
// PortInfo::id (not by port id: that is how upstream fills and shows it).
struct alignas(RTE_CACHE_LINE_SIZE) RxStats {
    uint64_t rx[RTE_MAX_ETHPORTS];
};

// One client's transmit counters, indexed by port id; a cache line set of its
// own per client so that clients never write the same line.
struct alignas(RTE_CACHE_LINE_SIZE) TxStats {
    uint64_t tx[RTE_MAX_ETHPORTS];
    uint64_t tx_drop[RTE_MAX_ETHPORTS];
};

struct PortInfo {
    uint16_t num_ports;
    uint16_t id[RTE_MAX_ETHPORTS];
    volatile RxStats rx_stats;
    volatile TxStats tx_stats[max_clients];
};

// The layout of upstream's `struct port_info` (shared/common.h), spelled out.
static_assert(offsetof(PortInfo, id) == 2);
static_assert(offsetof(PortInfo, rx_stats) ==
              RTE_ALIGN_CEIL(2 + 2 * RTE_MAX_ETHPORTS, RTE_CACHE_LINE_SIZE));
static_assert(sizeof(RxStats) == RTE_ALIGN_CEIL(8 * RTE_MAX_ETHPORTS, RTE_CACHE_LINE_SIZE));
static_assert(sizeof(TxStats) == RTE_ALIGN_CEIL(16 * RTE_MAX_ETHPORTS, RTE_CACHE_LINE_SIZE));
static_assert(offsetof(PortInfo, tx_stats) == offsetof(PortInfo, rx_stats) + sizeof(RxStats));
static_assert(sizeof(PortInfo) == offsetof(PortInfo, tx_stats) + max_clients * sizeof(TxStats));

// Adds to a counter that only the calling process writes (C++20 deprecates
// compound assignment to volatile).
inline void add(volatile uint64_t& counter, uint64_t n) noexcept
{
    counter = counter + n;
}

} // namespace client_server_mp
