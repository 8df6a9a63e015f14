/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// What the master and its slaves share, in one memzone the master reserves.
// Plain data and atomics only: the slaves are other processes.
//
//   master writes                         slaves write
//   ───────────────────────────────────   ──────────────────────────────────
//   port pairs and MACs, slave plans      port counters (one writer each)
//   lcore id table (claims, releases)     ready_pid when forwarding
//   pid, lcore, state, restarts           ack on their command channel
//   command (STOP) per slave              the doorbell, when ready
//   a standby's pid and assignment        a standby's ready_pid

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include <rte_ether.h>
#include <rte_lcore.h>

#include <mp/counter.hpp>

#include "doorbell.hpp"
#include "options.hpp"

namespace l2fwd_fork {

inline constexpr const char* shared_memzone_name = "l2fwd_fork_shared";

// What a slave checks before it reads anything else of the memzone: the master
// that made it is this same program with this same layout. The master execs
// its own binary (launcher.hpp), but a slave started by hand, or from another
// build, must refuse rather than read a SharedState of another shape. Bump the
// version with every change to SharedState or what it holds. A test build
// defines another version to play the other build.
inline constexpr uint64_t shared_magic = 0x6c32667766726b31; // "l2fwfrk1"
#ifdef L2FWD_FORK_TEST_LAYOUT_VERSION
inline constexpr uint32_t shared_layout_version = L2FWD_FORK_TEST_LAYOUT_VERSION;
#else
inline constexpr uint32_t shared_layout_version = 3;
#endif

// The first bytes of the memzone, the same in every layout.
struct SharedHeader {
    uint64_t magic;
    uint32_t layout_version;
    uint32_t layout_size; // sizeof(SharedState) of the master's build
};

// A slave that is ready waits for `go`, which the master gives once every
// slave of its group is ready: slaves that share port pairs start together,
// and a new slave does not busy-poll a CPU while its partner is initialising.
enum class Command : uint32_t { none = 0, stop = 1, go = 2 };

// Master -> slave: the command word; slave -> master: the ack word. Two atomic
// words rather than rings: a slave killed at any instant cannot leave them
// half-updated, so nothing needs repairing after a death.
struct CommandChannel {
    std::atomic<uint32_t> command;
    std::atomic<uint32_t> ack;
};

// The master's side: set the command and wake the slave if it sleeps on it
// (waiting for go).
inline void send_command(CommandChannel& channel, Command command) noexcept
{
    channel.command.store(static_cast<uint32_t>(command), std::memory_order_release);
    futex_wake_all(channel.command);
}

struct alignas(RTE_CACHE_LINE_SIZE) SlaveRecord {
    // The plan, fixed before the first launch.
    uint16_t launch_lcore;
    uint16_t n_rx_ports;
    uint16_t rx_ports[max_rx_ports_per_lcore];
    // This launch (written by the master).
    std::atomic<uint32_t> lcore;   // the lcore id the slave runs as
    std::atomic<int32_t> pid;
    std::atomic<uint32_t> state;   // a SlaveState, for telemetry
    std::atomic<uint32_t> restarts;
    // Written by the slave once it is ready to forward.
    std::atomic<int32_t> ready_pid;
    CommandChannel channel;
};

// A standby: a slave process started ahead of need, which has done its EAL
// start-up and sleeps until the master gives it a slave's place (standbys.hpp).
// `assignment` is 0 while it waits, then the slave index + 1, or `retire`.
struct alignas(RTE_CACHE_LINE_SIZE) StandbyRecord {
    static constexpr uint32_t retire = UINT32_MAX;
    std::atomic<int32_t> pid;        // master: once forked (< 0: -errno of fork)
    std::atomic<int32_t> ready_pid;  // the standby, once started
    std::atomic<uint32_t> assignment; // master (futex word)
};

// Upstream's per-port counters, split by writer so that the two slaves that
// update one port do not share a cache line: the port's receiver counts rx, the
// slave transmitting on it (the receiver of its pair) counts tx and dropped.
struct PortStatistics {
    alignas(RTE_CACHE_LINE_SIZE) mp::Counter rx;
    alignas(RTE_CACHE_LINE_SIZE) mp::Counter tx;
    mp::Counter dropped;
};

struct SharedState {
    SharedHeader header; // first: see shared_magic
    std::atomic<uint32_t> doorbell; // see doorbell.hpp
    int32_t master_pid;
    uint32_t n_slaves;
    uint64_t portmask;
    uint16_t dst_port[RTE_MAX_ETHPORTS];
    rte_ether_addr port_mac[RTE_MAX_ETHPORTS];
    std::atomic<int32_t> lcore_owner[RTE_MAX_LCORE]; // see lcore_ids.hpp
    SlaveRecord slaves[RTE_MAX_LCORE];
    StandbyRecord standbys[RTE_MAX_LCORE];
    PortStatistics port_stats[RTE_MAX_ETHPORTS];
};

static_assert(offsetof(SharedState, header) == 0);

inline SharedHeader this_build_header() noexcept
{
    return {shared_magic, shared_layout_version, static_cast<uint32_t>(sizeof(SharedState))};
}

// Why a slave of this build cannot use the memzone a master wrote with
// `header`; empty if it can.
inline std::string layout_mismatch(const SharedHeader& header)
{
    const SharedHeader ours = this_build_header();
    if (header.magic != ours.magic)
        return "the memzone " + std::string(shared_memzone_name) +
               " was not written by an l2fwd_fork master";
    if (header.layout_version != ours.layout_version || header.layout_size != ours.layout_size)
        return "the master's shared state has layout version " +
               std::to_string(header.layout_version) + " (" + std::to_string(header.layout_size) +
               " bytes), this program expects version " + std::to_string(ours.layout_version) +
               " (" + std::to_string(ours.layout_size) +
               " bytes): it is another build of l2fwd_fork";
    return {};
}
static_assert(std::atomic<uint64_t>::is_always_lock_free &&
              std::atomic<int32_t>::is_always_lock_free);

} // namespace l2fwd_fork
