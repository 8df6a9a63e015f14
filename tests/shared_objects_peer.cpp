/* SPDX-License-Identifier: BSD-3-Clause */
// A test program for the common library across processes.
//
//   shared_objects_peer <EAL args> -- N
//
// The primary creates a ring each way, a mempool of tokens and a memzone, and
// waits. The secondary looks them up, takes N tokens from the pool, numbers
// them and sends them to the primary; the primary checks their order, returns
// them to the pool and sends N of its own back; the secondary checks those and
// counts them in the memzone. Both print what they saw.
#include <mp/all.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

namespace {

struct Token {
    uint64_t seq;
    char text[56];
};

struct SharedState {
    std::atomic<uint64_t> secondary_received;
    std::atomic<uint32_t> secondary_done;
};

constexpr unsigned kBurst = 32;

// Receives n tokens from `ring`, checking their order; returns them to `pool`.
bool receive_in_order(mp::Ring<Token> ring, mp::Mempool<Token> pool, unsigned n, const char* who)
{
    Token* burst[kBurst];
    uint64_t expected = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (expected < n && std::chrono::steady_clock::now() < deadline) {
        const unsigned got = ring.dequeue_burst(burst, kBurst);
        for (unsigned i = 0; i < got; ++i) {
            char want[56];
            std::snprintf(want, sizeof(want), "%s %" PRIu64, who, expected);
            if (burst[i]->seq != expected || std::strcmp(burst[i]->text, want) != 0) {
                std::printf("out of order: got %" PRIu64 " '%s', expected %" PRIu64 "\n",
                            burst[i]->seq, burst[i]->text, expected);
                return false;
            }
            ++expected;
        }
        pool.put_bulk(burst, got);
    }
    return expected == n;
}

// Sends n numbered tokens taken from `pool` on `ring`.
bool send_numbered(mp::Ring<Token> ring, mp::Mempool<Token> pool, unsigned n, const char* who)
{
    for (unsigned seq = 0; seq < n;) {
        Token* token = pool.get();
        if (token == nullptr) {
            std::this_thread::yield();
            continue;
        }
        token->seq = seq;
        std::snprintf(token->text, sizeof(token->text), "%s %u", who, seq);
        while (!ring.enqueue(token))
            std::this_thread::yield();
        ++seq;
    }
    return true;
}

int run(int argc, char** argv)
{
    mp::Eal eal(argc, argv);
    const auto args = eal.app_args();
    if (args.size() != 1)
        throw mp::UsageError("expected one argument: the number of tokens each way");
    const unsigned n = mp::parse_number("count", args[0], 1U, 1000000U);

    if (eal.primary()) {
        auto to_primary = mp::Ring<Token>::create("SO_TO_PRI", 256);
        auto to_secondary = mp::Ring<Token>::create("SO_TO_SEC", 256);
        auto pool = mp::Mempool<Token>::create("SO_POOL", 1023, 32);
        auto state = mp::Memzone<SharedState>::reserve("SO_STATE");
        eal.mark_ready();
        std::printf("primary ready\n");
        const bool ok = receive_in_order(to_primary, pool, n, "from secondary");
        std::printf("primary received %u tokens %s\n", n, ok ? "in order" : "WRONG");
        send_numbered(to_secondary, pool, n, "from primary");
        while (state->secondary_done.load() == 0 && !mp::QuitFlag::raised())
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        std::printf("primary sees secondary_received=%" PRIu64 " pool in use=%u\n",
                    state->secondary_received.load(), pool.in_use());
        return ok ? 0 : 1;
    }

    auto to_primary = mp::Ring<Token>::lookup("SO_TO_PRI");
    auto to_secondary = mp::Ring<Token>::lookup("SO_TO_SEC");
    auto pool = mp::Mempool<Token>::lookup("SO_POOL");
    auto state = mp::Memzone<SharedState>::lookup("SO_STATE");
    eal.mark_ready();
    send_numbered(to_primary, pool, n, "from secondary");
    const bool ok = receive_in_order(to_secondary, pool, n, "from primary");
    state->secondary_received.store(ok ? n : 0);
    state->secondary_done.store(1);
    std::printf("secondary received %u tokens %s\n", n, ok ? "in order" : "WRONG");
    return ok ? 0 : 1;
}

} // namespace

int main(int argc, char** argv)
{
    return mp::run_app("shared_objects_peer", [&] { return run(argc, argv); });
}
