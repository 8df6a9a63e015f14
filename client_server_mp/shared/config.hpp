/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// What our mp_server shares beyond upstream's PortInfo, in a memzone of its own
// ("MProc_config") so that PortInfo keeps the upstream layout:
//  - the number of clients, so that a client can check its id;
//  - the server's per-client counters (upstream keeps them private), for
//    telemetry and for the books a test checks;
//  - who holds each client id and each lcore id. A client id read by two
//    clients would split its ring between them; an lcore id used by two
//    processes corrupts the pool's per-lcore cache. A claim held by a process
//    that died (kill -9) may be taken over, and the lcore entry tells the new
//    owner whether the dead one's mempool cache can be trusted.
// An upstream mp_server does not create this memzone; our client then runs
// without these checks.

#include <atomic>
#include <cerrno>
#include <cstdint>

#include <signal.h>
#include <sys/types.h>

#include <rte_common.h>
#include <rte_config.h>

#include "port_info.hpp"

namespace client_server_mp {

inline constexpr const char* config_name = "MProc_config";
inline constexpr uint32_t config_magic = 0x43534d31; // "CSM1": layout version 1

// A counter with one writer and any number of readers: plain loads and stores,
// no locked instruction on the fast path.
struct Counter {
    std::atomic<uint64_t> value{0};
    void add(uint64_t n) noexcept
    {
        value.store(value.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    uint64_t get() const noexcept { return value.load(std::memory_order_relaxed); }
};

// Counted by the server for each client: packets enqueued to its ring, and
// packets freed because the ring was full.
struct alignas(RTE_CACHE_LINE_SIZE) ClientCounters {
    Counter rx;
    Counter rx_drop;
};

// A slot held by one process, by pid (0: free).
struct alignas(RTE_CACHE_LINE_SIZE) Claim {
    std::atomic<int32_t> pid{0};
    // For lcore claims: non-zero while the holder may be inside a mempool put
    // (its per-lcore cache is half-updated then).
    std::atomic<uint32_t> in_mempool_put{0};
};

struct Config {
    uint32_t magic;
    uint32_t num_clients;
    int32_t server_pid;
    ClientCounters clients[max_clients];
    Claim client_owner[max_clients];
    Claim lcore_owner[RTE_MAX_LCORE];
};

inline bool process_alive(pid_t pid) noexcept
{
    return pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH);
}

enum class ClaimResult {
    taken,       // the slot was free
    taken_over,  // the slot was held by a process that has died
    held,        // a live process holds it
};

// Takes `slot` for `self`. `previous` receives the pid that held it (0 if free).
// `alive` says whether a pid is a running process (a parameter for the tests).
template <class Alive>
ClaimResult claim(std::atomic<int32_t>& slot, int32_t self, int32_t& previous, Alive&& alive)
{
    for (;;) {
        int32_t current = slot.load(std::memory_order_acquire);
        previous = current;
        if (current == self)
            return ClaimResult::taken;
        if (current != 0 && alive(current))
            return ClaimResult::held;
        if (slot.compare_exchange_strong(current, self, std::memory_order_acq_rel))
            return current == 0 ? ClaimResult::taken : ClaimResult::taken_over;
        // Someone else changed it meanwhile: look again.
    }
}

inline ClaimResult claim(std::atomic<int32_t>& slot, int32_t self, int32_t& previous)
{
    return claim(slot, self, previous, [](int32_t pid) { return process_alive(pid); });
}

// Gives a slot back, if we still hold it.
inline void release_claim(std::atomic<int32_t>& slot, int32_t self) noexcept
{
    int32_t expected = self;
    slot.compare_exchange_strong(expected, 0, std::memory_order_acq_rel);
}

} // namespace client_server_mp
