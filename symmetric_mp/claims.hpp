/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// Who serves which proc-id, and who runs on which lcore id: claim slots in the
// shared memzone (see <mp/claim.hpp>: a slot whose owner died may be taken
// over, which is how a restarted process resumes the queues of the one that
// died). Lcore ids are claimed too, because two live processes on one lcore id
// would share (and corrupt) a per-lcore mempool cache; an lcore claim also
// carries its owner's "inside a mempool put" mark (<mp/lcore_cache.hpp>), so
// that the next owner of a dead one's lcore knows what to do with its cache.
//
// No DPDK calls here: the tests drive the table in ordinary memory.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include <rte_config.h>

#include <mp/claim.hpp>
#include <mp/lcore_cache.hpp>

#include "options.hpp"

namespace symmetric_mp {

struct LcoreConflict {
    unsigned lcore;
    std::optional<unsigned> proc_id; // the holder's proc-id (unknown if it just left)
    mp::OwnerKey owner;
};

// The lcore claims of one process: a conflict (nothing held), or every lcore
// held, with those taken over from dead processes (whose caches need recovery).
struct LcoreClaims {
    std::optional<LcoreConflict> conflict;
    std::vector<unsigned> taken_over;
};

struct ProcTable {
    mp::ClaimSlot procs[max_procs];
    mp::LcoreClaim lcores[RTE_MAX_LCORE];

    // The proc-id `owner` holds, if any.
    std::optional<unsigned> proc_of(mp::OwnerKey owner) const noexcept
    {
        for (unsigned proc = 0; proc < max_procs; ++proc)
            if (procs[proc].holder() == owner)
                return proc;
        return std::nullopt;
    }

    // Takes every lcore id of `lcores` (each < RTE_MAX_LCORE) for `me`, or none
    // if a live process holds one of them. A compare-exchange per lcore: of two
    // processes that start at once on one lcore, exactly one gets it. On a
    // conflict each slot goes back to the state we found: a free one is freed,
    // and one taken over from a dead process goes back to that dead owner, so
    // that whoever takes it next still recovers the dead one's cache.
    template <typename IsAlive = bool (*)(mp::OwnerKey)>
    LcoreClaims claim_lcores(std::span<const unsigned> lcores, mp::OwnerKey me,
                             IsAlive alive = &mp::is_alive)
    {
        LcoreClaims result;
        std::vector<mp::OwnerKey> previous(lcores.size(), 0);
        for (std::size_t i = 0; i < lcores.size(); ++i) {
            const mp::Claim claim = this->lcores[lcores[i]].slot.claim(me, alive);
            previous[i] = claim.previous;
            if (claim.result == mp::ClaimResult::held) {
                for (std::size_t j = 0; j < i; ++j)
                    this->lcores[lcores[j]].slot.give_back(me, previous[j]);
                result.conflict = LcoreConflict{lcores[i], proc_of(claim.previous),
                                                claim.previous};
                result.taken_over.clear();
                return result;
            }
            if (claim.result == mp::ClaimResult::taken_over)
                result.taken_over.push_back(lcores[i]);
        }
        return result;
    }

    // Frees what `me` holds: its lcore ids, then proc-id `proc_id`.
    void release(unsigned proc_id, mp::OwnerKey me) noexcept
    {
        for (mp::LcoreClaim& lcore : lcores)
            lcore.slot.release(me);
        procs[proc_id].release(me);
    }
};

} // namespace symmetric_mp
