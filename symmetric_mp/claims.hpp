/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// Who serves which proc-id, and who runs on which lcore id: claim slots in the
// shared memzone (see <mp/claim.hpp>: a slot whose owner died may be taken
// over, which is how a restarted process resumes the queues of the one that
// died). Lcore ids are claimed too, because two live processes on one lcore id
// would share (and corrupt) a per-lcore mempool cache; an lcore claim also
// carries its owner's "inside a mempool put" mark (<mp/lcore_cache.hpp>), so
// that the next owner of a dead one's lcore knows what to do with its cache.
// mp::ProcessClaims (<mp/process_claims.hpp>) takes and frees them; the
// refusal says which process holds what we asked for.

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include <rte_config.h>
#include <rte_mbuf.h>

#include <mp/claim.hpp>
#include <mp/error.hpp>
#include <mp/lcore_cache.hpp>
#include <mp/log.hpp>
#include <mp/mempool.hpp>
#include <mp/process_claims.hpp>

#include "options.hpp"

namespace symmetric_mp {

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
};

using Claims = mp::ProcessClaims<rte_mbuf>;

// Why this process cannot have its proc-id or one of its lcore ids.
inline std::string refusal(const ProcTable& table, unsigned proc_id,
                           const mp::ClaimConflict& conflict)
{
    return mp::claim_refusal(
        conflict,
        [&](int pid) {
            return mp::strprintf("--proc-id %u is already served by process %d, which is still "
                                 "running: give each process its own --proc-id",
                                 proc_id, pid);
        },
        [&](unsigned lcore, int pid) {
            // The holder's proc-id is unknown only if it released it a moment ago.
            const std::optional<unsigned> holder_proc = table.proc_of(conflict.holder);
            const std::string who =
                holder_proc ? mp::strprintf("proc-id %u (process %d)", *holder_proc, pid)
                            : mp::strprintf("process %d", pid);
            return mp::strprintf("lcore %u is already used by %s: give each process its own "
                                 "lcore ids (-l/--lcores), they index the mbuf pool's "
                                 "per-lcore caches",
                                 lcore, who.c_str());
        });
}

// Takes `proc_id` and our lcore ids in `table`, or, without a table (an
// upstream primary publishes none), claims nothing.
inline Claims claim_proc_id(ProcTable* table, unsigned proc_id, mp::PktmbufPool pool,
                            std::span<const unsigned> lcores)
{
    if (table == nullptr)
        return Claims::unclaimed(pool, lcores);
    Claims claims(&table->procs[proc_id], table->lcores, lcores, pool, "mbufs",
                  [&](const mp::ClaimConflict& c) { return refusal(*table, proc_id, c); });
    if (claims.id_taken_over())
        mp::log(RTE_LOG_INFO, "proc-id %u was served by process %d, which has exited: resuming "
                              "its queues",
                proc_id, static_cast<int>(claims.previous_id_holder()));
    return claims;
}

} // namespace symmetric_mp
