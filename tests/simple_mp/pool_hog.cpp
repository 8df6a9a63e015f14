/* SPDX-License-Identifier: BSD-3-Clause */
// A test secondary that empties simple_mp's message pool: it takes every free
// MSG_POOL buffer, says how many (and how many distinct: a pool that hands one
// buffer out twice is corrupt), holds them until a line (or the end) arrives
// on stdin, then gives them back.
//
//   pool_hog <EAL args with --proc-type=secondary>
#include <mp/all.hpp>

#include <cstdio>
#include <set>
#include <vector>

#include "message_channel.hpp"

namespace {

int run(int argc, char** argv)
{
    mp::Eal eal(argc, argv);
    auto pool = mp::Mempool<simple_mp::Message>::lookup(simple_mp::message_pool_name);
    eal.leave_startup_gate(); // it stays until told to go
    std::vector<simple_mp::Message*> held;
    while (simple_mp::Message* m = pool.get())
        held.push_back(m);
    std::printf("holding %zu buffers, %u left in the pool\n", held.size(), pool.available());
    std::printf("distinct buffers: %zu\n", std::set(held.begin(), held.end()).size());
    int c = 0;
    while ((c = std::getchar()) != EOF && c != '\n') {
    }
    pool.put_bulk(held.data(), static_cast<unsigned>(held.size()));
    pool.flush_cache(rte_lcore_id()); // leave nothing parked in this lcore's cache
    std::printf("returned %zu buffers\n", held.size());
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    return mp::run_app("pool_hog", [&] { return run(argc, argv); });
}
