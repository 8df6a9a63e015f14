/* SPDX-License-Identifier: BSD-3-Clause */
// Cache-line transfer latency between two CPUs: two threads, one pinned to
// each, hand one cache line back and forth. Prints the one-way time in ns.
//
//   c2c_latency [CPU_A CPU_B [ROUND_TRIPS]]      (default 0 1 100000)
//
// The benchmark runner takes one reading before each run: on a VM the two
// vCPUs may sit on one physical core complex or on two, and every packet
// that crosses between the server's and a client's core pays this price
// several times (see docs/performance.rst).
#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace {

alignas(64) std::atomic<int> turn{0};

bool pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

} // namespace

int main(int argc, char** argv)
{
    const int a = argc > 2 ? std::atoi(argv[1]) : 0;
    const int b = argc > 2 ? std::atoi(argv[2]) : 1;
    const long trips = argc > 3 ? std::atol(argv[3]) : 100000;
    // The other thread's pinning: 0 not yet tried, 1 done, 2 failed.
    std::atomic<int> other_pinned{0};
    std::thread other([&] {
        const bool ok = pin(b);
        other_pinned.store(ok ? 1 : 2);
        if (!ok)
            return;
        for (long i = 0; i < trips; ++i) {
            while (turn.load(std::memory_order_acquire) != 1) {
            }
            turn.store(0, std::memory_order_release);
        }
    });
    const bool here_pinned = pin(a);
    while (other_pinned.load() == 0) {
    }
    if (!here_pinned || other_pinned.load() != 1) {
        std::fprintf(stderr, "c2c_latency: cannot pin to CPUs %d and %d\n", a, b);
        other.detach(); // returning from main ends it wherever it is
        return 1;
    }
    const auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < trips; ++i) {
        turn.store(1, std::memory_order_release);
        while (turn.load(std::memory_order_acquire) != 0) {
        }
    }
    const std::chrono::duration<double, std::nano> took = std::chrono::steady_clock::now() - start;
    other.join();
    std::printf("%.0f\n", took.count() / static_cast<double>(trips) / 2);
    return 0;
}
