/* SPDX-License-Identifier: BSD-3-Clause */
// A test secondary that prints where PRI_2_SEC's consumer head and tail are in
// memory (shared memory sits at the same address in every process of a
// prefix), so that the kill test can watch a simple_mp secondary's dequeues
// from outside and kill it between its head and tail updates.
//
//   ring_probe <EAL args with --proc-type=secondary>
#include <mp/all.hpp>

#include <cstdio>

#include "message_channel.hpp"

namespace {

int run(int argc, char** argv)
{
    mp::Eal eal(argc, argv);
    auto ring = mp::Ring<simple_mp::Message>::lookup(simple_mp::primary_to_secondary);
    const rte_ring_headtail& cons = ring.native()->cons;
    std::printf("consumer head %p tail %p\n", static_cast<const volatile void*>(&cons.head),
                static_cast<const volatile void*>(&cons.tail));
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    return mp::run_app("ring_probe", [&] { return run(argc, argv); });
}
