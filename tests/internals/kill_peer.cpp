/* SPDX-License-Identifier: BSD-3-Clause */
// The secondary process of the kill-point test. For each command on its
// standard input it forks a child (a process of its own, sharing the hugepage
// memory like any secondary), which sets up a scenario, stops, runs the
// scenario's operation and stops again. The peer traces the child: it lets it
// run a given number of instructions of the operation, one at a time, and then
// kills it with SIGKILL, as a kill -9 landing exactly there would.
//
//   count <scenario>        ->  "steps T c1 c2 ..." (instructions the operation
//                               takes; after which ones the shared State changed)
//   trial <scenario> <k>    ->  "killed k" or "finished" (the operation ended first)
//   trial <scenario> <k> <c> -> the same, k instructions after the c-th change
//                               of the State (instruction counts drift from run
//                               to run: /proc reads differ): "killed <total>"
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <mp/all.hpp>

#include "scenarios.hpp"

namespace {

using namespace kill_test;

void stop_for_tracer() { std::raise(SIGSTOP); }

// The child: a scenario between two stops. Never returns.
[[noreturn]] void run_child(Scenario scenario)
{
    if (ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0)
        _exit(10);
    auto pool = mp::PktmbufPool::lookup(pool_name);
    auto ring = mp::Ring<rte_mbuf>::lookup(ring_name);
    State* state = mp::Memzone<State>::lookup(state_name).get();
    const unsigned lcore = rte_lcore_id();
    rte_mempool_cache* cache = rte_mempool_default_cache(pool.native(), lcore);
    rte_mbuf* objs[512];

    const auto get = [&](void** out, unsigned n, rte_mempool_cache* from) {
        if (rte_mempool_generic_get(pool.native(), out, n, from) != 0)
            _exit(11);
    };
    void** const table = reinterpret_cast<void**>(objs);
    // (The recovery scenarios' cache is the dead lcore's, filled by the test.)
    const unsigned cached = dead_owner_cache(scenario) ? 0 : cached_before(scenario);
    mp::LcoreCacheMark cache_mark(state->lcores[lcore].in_mempool_put, pool.native(), lcore);
    if (cached != 0) {
        // Exactly `cached` objects in our cache, a burst in hand.
        get(table, cached + burst, nullptr);
        rte_mempool_generic_put(pool.native(), table, cached, cache);
        if (cache->len != cached)
            _exit(12);
    }
    // What a TX burst of net_null does to the cache: up to a burst of puts.
    constexpr mp::internals::CacheUse tx_use{0, burst};

    switch (scenario) {
    case Scenario::put_fits:
    case Scenario::put_fits_full:
    case Scenario::put_makes_room:
        stop_for_tracer();
        {
            const mp::MempoolPutMark mark(cache_mark, tx_use);
            pool.put_bulk(objs + cached, burst);
        }
        break;
    case Scenario::put_flushes:
        stop_for_tracer();
        {
            const mp::MempoolPutMark mark(state->lcores[lcore].in_mempool_put);
            pool.put_bulk(objs + cached, burst);
        }
        break;
    case Scenario::make_room:
        // The burst goes back first: the process holds nothing while it makes room.
        rte_mempool_generic_put(pool.native(), table + cached, burst, nullptr);
        stop_for_tracer();
        cache_mark.make_room(2 * burst);
        break;
    case Scenario::rx_get_put:
        stop_for_tracer();
        {
            // As a driver's RX: fresh mbufs into its descriptor ring (shared
            // memory, which outlives the process), then mbufs it held freed.
            rte_mbuf* fresh[burst];
            const mp::MempoolPutMark mark(cache_mark, {burst, burst});
            get(reinterpret_cast<void**>(fresh), burst, cache);
            ring.enqueue_burst(fresh, burst);
            pool.put_bulk(objs + cached, burst);
        }
        break;
    case Scenario::rx_refills:
        rte_mempool_generic_put(pool.native(), table + cached, burst, nullptr);
        stop_for_tracer();
        {
            const mp::MempoolPutMark mark(cache_mark, {burst, 0});
            get(table, burst, cache);
        }
        break;
    case Scenario::ring_enqueue:
        if (rte_mempool_generic_get(pool.native(), reinterpret_cast<void**>(objs), burst,
                                    nullptr) != 0)
            _exit(11);
        stop_for_tracer();
        ring.enqueue_burst(objs, burst);
        break;
    case Scenario::ring_dequeue:
        stop_for_tracer();
        ring.dequeue_burst(objs, burst);
        break;
    case Scenario::recovery:
    case Scenario::recovery_marked:
        stop_for_tracer();
        mp::recover_lcore_cache(state->lcores[dead_lcore], pool, dead_lcore);
        break;
    case Scenario::claim_gives_back: {
        // As a program starting with a taken lcore id: it must leave the id and
        // dead_lcore as it found them, a dead owner's, still due for recovery.
        constexpr unsigned lcores[] = {dead_lcore, held_lcore};
        stop_for_tracer();
        try {
            const mp::ProcessClaims<rte_mbuf> claims(&state->id, state->lcores, lcores, pool,
                                                     "mbufs");
            _exit(13);
        } catch (const mp::StartupError&) {
        }
        break;
    }
    }
    stop_for_tracer();
    _exit(0);
}

// Runs the child up to `limit` instructions past its first stop (all of them
// if limit < 0). Returns the instructions run, whether it reached its second
// stop, and after which instructions the shared State changed (the claims and
// put marks the next process reads: the points a kill must not miss); the
// child is gone afterwards.
struct Stepped {
    long steps = 0;
    bool finished = false;
    std::vector<long> changes;
};

Stepped step_child(Scenario scenario, long limit, const State& state,
                   std::size_t after_changes = 0)
{
    // Read as bytes: the words are atomics, stored by the stopped child.
    const auto* const shared = reinterpret_cast<const unsigned char*>(&state);
    std::fflush(stdout);
    const pid_t child = fork();
    if (child < 0)
        throw mp::StartupError("fork failed");
    if (child == 0)
        run_child(scenario);

    int status = 0;
    if (waitpid(child, &status, 0) != child || !WIFSTOPPED(status) || WSTOPSIG(status) != SIGSTOP)
        throw mp::StartupError(mp::strprintf("the child did not reach its first stop (status %#x)",
                                             status));
    std::vector<unsigned char> seen(shared, shared + sizeof(State));
    Stepped result;
    long from = after_changes == 0 ? 0 : -1; // where `limit` counts from; -1: not yet
    while (limit < 0 || from < 0 || result.steps < from + limit) {
        if (ptrace(PTRACE_SINGLESTEP, child, nullptr, nullptr) != 0 ||
            waitpid(child, &status, 0) != child || !WIFSTOPPED(status))
            throw mp::StartupError(mp::strprintf("single step %ld failed (status %#x)",
                                                 result.steps, status));
        if (WSTOPSIG(status) == SIGSTOP) {
            result.finished = true;
            break;
        }
        ++result.steps;
        if (!std::equal(seen.begin(), seen.end(), shared)) {
            result.changes.push_back(result.steps);
            std::copy(shared, shared + sizeof(State), seen.begin());
            if (result.changes.size() == after_changes)
                from = result.steps;
        }
    }
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
    return result;
}

int run(int argc, char** argv)
{
    mp::Eal eal(argc, argv);
    if (eal.primary())
        throw mp::StartupError("kill_peer runs as a secondary process only");
    // Its children look the objects up for each trial, killed only later.
    eal.leave_startup_gate();
    const State& state = *mp::Memzone<State>::lookup(state_name).get();
    std::printf("peer ready\n");
    std::fflush(stdout);
    std::string line;
    while (std::getline(std::cin, line)) {
        std::istringstream words(line);
        std::string command, name;
        long k = -1;
        std::size_t after_changes = 0;
        words >> command >> name >> k >> after_changes;
        Scenario scenario{};
        if (command == "quit")
            break;
        if (!scenario_named(name, scenario))
            throw mp::UsageError("unknown scenario '" + name + "'");
        if (command == "count") {
            const Stepped r = step_child(scenario, -1, state);
            std::printf("steps %ld", r.steps);
            for (const long k : r.changes)
                std::printf(" %ld", k);
            std::printf("\n");
        } else if (command == "trial") {
            const Stepped r = step_child(scenario, k, state, after_changes);
            if (r.finished)
                std::printf("finished\n");
            else
                std::printf("killed %ld\n", r.steps);
        } else {
            throw mp::UsageError("unknown command '" + command + "'");
        }
        std::fflush(stdout);
    }
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    return mp::run_app("kill_peer", [&] { return run(argc, argv); });
}
