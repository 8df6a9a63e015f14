/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// What a client that starts after a killed one (kill -9, crash) puts right
// in its rings before it uses them (the dead one's mempool cache is put right by
// mp::recover_lcore_cache). Only safe for the ring's sole consumer (RX ring)
// or sole producer (return ring), which the client's claim in the
// "MProc_config" memzone ensures.

#include <cstdint>

#include <rte_ring.h>

namespace client_server_mp {

// Moves a single-thread head back to its tail, for the side (producer or
// consumer) of a ring whose only user was killed between the two updates.
// Returns how many entries lay between them.
inline unsigned rewind_head(rte_ring_headtail& side, uint32_t mask) noexcept
{
    const uint32_t head = side.head;
    const uint32_t tail = side.tail;
    if (head == tail || side.sync_type != RTE_RING_SYNC_ST)
        return 0;
    side.head = tail;
    return (head - tail) & mask;
}

// A single-consumer dequeue first moves cons.head past the entries it takes,
// copies them, then sets cons.tail = cons.head. A consumer killed between the
// two leaves head ahead of tail: the next single consumer starts from head, so
// the entries in between (packets the dead one never handled) would be skipped
// and lost, while the producer cannot reuse their slots until tail moves on.
// Moving head back to tail hands them to the new consumer. Returns how many.
inline unsigned take_back_claimed_entries(rte_ring* ring) noexcept
{
    return rewind_head(ring->cons, ring->mask);
}

// A single-producer enqueue moves prod.head past the slots it fills, copies
// the entries, then sets prod.tail = prod.head. A producer killed in between
// leaves head ahead of tail; the next single producer would start from head
// and, on its own tail update, publish the dead one's slots too: half-written
// entries, or entries of an earlier lap, i.e. mbufs that are in use again.
// Moving head back to tail forgets them (the mbufs of that batch are lost to
// the pool, at most one batch). Returns how many.
inline unsigned forget_unpublished_entries(rte_ring* ring) noexcept
{
    return rewind_head(ring->prod, ring->mask);
}

} // namespace client_server_mp
