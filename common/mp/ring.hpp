/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// rte_ring of T* with typed burst/bulk operations.
//
//   auto ring = mp::Ring<Msg>::create("PRI_2_SEC", 64);   // primary: owns, frees
//   auto peer = mp::Ring<Msg>::lookup("PRI_2_SEC");       // secondary: borrows

#include <cstdint>
#include <string>

#include <rte_lcore.h>
#include <rte_ring.h>

#include "dpdk_internals.hpp"
#include "error.hpp"
#include "owned.hpp"

namespace mp {

template <typename T>
class Ring : public Handle<rte_ring> {
public:
    using Owner = Owned<Ring, &rte_ring_free>;
    using Handle::Handle;

    // Creates a ring of `count` slots (a power of two; it holds count - 1 objects
    // unless RING_F_EXACT_SZ is given). Throws StartupError naming the ring.
    static Owner create(const std::string& name, unsigned count, unsigned flags = 0,
                        int socket = static_cast<int>(rte_socket_id()))
    {
        rte_ring* ring = rte_ring_create(name.c_str(), count, socket, flags);
        if (ring == nullptr)
            throw StartupError(strprintf("cannot create ring '%s' (%u slots): %s", name.c_str(),
                                         count, rte_strerror(rte_errno)));
        return Owner(Ring(ring));
    }

    // Finds a ring some other process created. Throws StartupError naming the ring.
    static Ring lookup(const std::string& name)
    {
        return Ring(found_or_throw(rte_ring_lookup(name.c_str()), "ring", name));
    }

    // Fast path: no checks, no exceptions.
    unsigned enqueue_burst(T* const* objs, unsigned n, unsigned* free_space = nullptr) noexcept
    {
        return rte_ring_enqueue_burst(native_, reinterpret_cast<void* const*>(objs), n, free_space);
    }
    unsigned enqueue_bulk(T* const* objs, unsigned n, unsigned* free_space = nullptr) noexcept
    {
        return rte_ring_enqueue_bulk(native_, reinterpret_cast<void* const*>(objs), n, free_space);
    }
    bool enqueue(T* obj) noexcept { return rte_ring_enqueue(native_, obj) == 0; }

    unsigned dequeue_burst(T** objs, unsigned n, unsigned* available = nullptr) noexcept
    {
        return rte_ring_dequeue_burst(native_, reinterpret_cast<void**>(objs), n, available);
    }
    bool dequeue(T*& obj) noexcept
    {
        void* raw = nullptr;
        if (rte_ring_dequeue(native_, &raw) != 0)
            return false;
        obj = static_cast<T*>(raw);
        return true;
    }

    unsigned count() const noexcept { return rte_ring_count(native_); }
    unsigned free_count() const noexcept { return rte_ring_free_count(native_); }
    unsigned capacity() const noexcept { return rte_ring_get_capacity(native_); }
    bool empty() const noexcept { return rte_ring_empty(native_) != 0; }
    const char* name() const noexcept { return native_->name; }

    // Repairs for a ring whose sole consumer or sole producer was killed in
    // the middle of a dequeue or enqueue, called by the process that replaces
    // it before it uses the ring. Each returns how many entries it dealt
    // with; 0 for a healthy ring or one whose side is not single-thread.
    //
    // A dequeue moves cons.head past the entries it takes, copies them, then
    // moves cons.tail. A consumer killed in between leaves head ahead of
    // tail: the next consumer would skip the entries in between (lost), and
    // the producer cannot reuse their slots until tail moves. Moving head
    // back to tail hands them to the new consumer.
    unsigned take_back_claimed_entries() noexcept
    {
        return internals::rewind_head(native_->cons, native_->mask);
    }
    // An enqueue moves prod.head past the slots it fills, copies the entries,
    // then moves prod.tail. A producer killed in between leaves head ahead of
    // tail; the next producer's tail update would publish those slots too:
    // half-written entries, or entries of an earlier lap, i.e. objects in use
    // again. Moving head back to tail forgets them (the dead producer's batch
    // is lost, never handed out twice).
    unsigned forget_unpublished_entries() noexcept
    {
        return internals::rewind_head(native_->prod, native_->mask);
    }
};

} // namespace mp
