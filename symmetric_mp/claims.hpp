/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// Who serves which proc-id, and who runs on which lcore id: claim slots in the
// shared memzone (see <mp/claim.hpp>: a slot whose owner died may be taken
// over, which is how a restarted process resumes the queues of the one that
// died). Lcore ids are claimed too, because two live processes on one lcore id
// would share (and corrupt) a per-lcore mempool cache; an lcore claim also
// carries its owner's "inside a mempool put" mark (<mp/lcore_cache.hpp>), so
// that the next owner of a dead one's lcore knows what to do with its cache.
// mp::ProcessClaims (<mp/process_claims.hpp>) takes and frees them.

#include <cstdint>
#include <optional>

#include <rte_config.h>

#include <mp/claim.hpp>
#include <mp/lcore_cache.hpp>

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

} // namespace symmetric_mp
