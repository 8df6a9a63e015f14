/* SPDX-License-Identifier: BSD-3-Clause */
// A program outside the suite's tree, built by tests/install/install_test.sh
// against the installed headers alone (pkg-config dpdk-mp): the EAL, a mempool
// and a ring of the common library, used as another project would.
//
//   consumer <EAL args> -- N      passes N pool objects through the ring
#include <mp/all.hpp>

#include <cstdio>
#include <vector>

namespace {

int run(int argc, char** argv)
{
    constexpr mp::ProgramUsage usage{"consumer", "usage: consumer [EAL options] -- N\n"};
    const unsigned n = mp::parse_app_args(usage, argc, argv, [](std::span<char* const> args) {
        if (args.size() != 1)
            throw mp::UsageError("expected one argument, the number of objects");
        return mp::parse_number<unsigned>("N", args[0], 1, 512);
    });
    mp::Eal eal(argc, argv);
    auto pool = mp::Mempool<uint64_t>::create("consumer_pool", 1023, 0);
    auto ring = mp::Ring<uint64_t>::create("consumer_ring", 1024);

    std::vector<uint64_t*> objects(n);
    if (!pool.get_bulk(objects.data(), n))
        throw mp::StartupError("the pool is empty");
    for (unsigned i = 0; i < n; ++i)
        *objects[i] = i;
    if (ring.enqueue_bulk(objects.data(), n) != n)
        throw mp::StartupError("the ring is full");
    uint64_t sum = 0;
    for (uint64_t* object = nullptr; ring.dequeue(object);) {
        sum += *object;
        pool.put(object);
    }
    eal.mark_ready();
    std::printf("consumer: %u objects through ring %s, sum %llu, %u back in the pool\n", n,
                "consumer_ring", static_cast<unsigned long long>(sum), pool.available());
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    return mp::run_app("consumer", [&] { return run(argc, argv); });
}
