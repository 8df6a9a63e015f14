/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// How the mbufs a client sent get back to the server (our programs only).
//
// A client's TX frees the mbufs it sent into its own lcore's cache of the
// pool; the server's RX allocates from the server lcore's cache. Left alone,
// the mbufs cross over through the pool's backend. The server's backend is
// lf_stack (a killed process cannot lock it), whose put and get walk a linked
// list element by element, each element last written by the other core: a
// chain of dependent cross-core cache misses that cost the client and the
// server more per packet than the rest of the forwarding path (see
// docs/performance.rst). So each client hands a batch back whenever its cache
// holds one, through a single-producer, single-consumer ring of its own, and
// the server takes a batch whenever its cache runs low. Both ends move arrays
// of pointers, which the CPU streams; the backend stays the overflow path in
// both directions, so an upstream client (which knows nothing of these rings)
// still works with our server.
//
//   ring "MProc_Client_<N>_Return"  producer: client N, consumer: the server
//
// `Cache` is mp::LcoreCache<T> in the programs and a plain container in unit
// tests: unsigned size(); void take(T** objs, unsigned n); void give(T* const*, unsigned n).

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>

#include <mp/counter.hpp>
#include <mp/ring.hpp>

#include "port_info.hpp"

namespace client_server_mp {

// Slots per return ring, and the batch that moves at once. A client's cache
// (512 mbufs, flushed to the backend past 768) never reaches its flush
// threshold while the server keeps up; the server's, topped up below one
// batch, stays below it too.
inline constexpr unsigned return_ring_slots = 1024;
inline constexpr unsigned return_batch = 256;

// "MProc_Client_<id>_Return"
inline std::string return_ring_name(unsigned client)
{
    return std::string("MProc_Client_").append(std::to_string(client)).append("_Return");
}

// Client side: call once per loop. A client without a return ring (an
// upstream server) leaves everything to the backend.
template <class T, class Cache>
class MbufReturner {
public:
    MbufReturner(Cache cache, mp::Ring<T> ring) noexcept : cache_(cache), ring_(ring) {}

    // Moves one batch from the cache to the ring once the cache holds a
    // batch, or as much as the ring has room for. Returns how many moved.
    unsigned operator()() noexcept
    {
        if (!ring_ || cache_.size() < return_batch)
            return 0;
        // We are the ring's only producer: the room can only grow before the enqueue.
        const unsigned n = std::min(return_batch, ring_.free_count());
        if (n == 0)
            return 0;
        cache_.take(batch_.data(), n);
        ring_.enqueue_bulk(batch_.data(), n);
        returned_ += n;
        return n;
    }

    uint64_t returned() const noexcept { return returned_; }

private:
    Cache cache_;
    mp::Ring<T> ring_;
    std::array<T*, return_batch> batch_{};
    uint64_t returned_ = 0;
};

// Server side: call once per round of RX bursts. Below a batch in its cache,
// it takes a batch from the next client's ring that has any, round-robin so
// that every client's ring drains.
template <class T, class Cache>
class MbufRefiller {
public:
    // `counters[c].returned` counts what came back from client c.
    MbufRefiller(Cache cache, ClientCounters* counters) noexcept
        : cache_(cache), counters_(counters)
    {
    }

    // Rings in client order: the first one added is client 0's.
    void add_ring(mp::Ring<T> ring) noexcept { rings_[ring_count_++] = ring; }

    // Returns how many mbufs went into the cache.
    unsigned operator()() noexcept
    {
        if (cache_.size() >= return_batch)
            return 0;
        for (unsigned tried = 0; tried < ring_count_; ++tried) {
            const unsigned c = next_;
            next_ = next_ + 1 == ring_count_ ? 0 : next_ + 1;
            const unsigned n = rings_[c].dequeue_burst(batch_.data(), return_batch);
            if (n != 0) {
                cache_.give(batch_.data(), n);
                counters_[c].returned.add(n);
                return n;
            }
        }
        return 0;
    }

private:
    Cache cache_;
    ClientCounters* counters_;
    std::array<mp::Ring<T>, max_clients> rings_{};
    unsigned ring_count_ = 0;
    unsigned next_ = 0;
    std::array<T*, return_batch> batch_{};
};

} // namespace client_server_mp
