/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// What the first process publishes for the others in the memzone "SMP_CONFIG":
// the run's --num-procs and -p (so that a later process with other values is
// refused instead of silently serving the wrong queues), the proc-id claim
// table, and every process's live counters (for telemetry).
//
// The upstream C program has no such memzone; a process of ours that finds none
// runs without these checks (attach_shared in app.cpp).

#include <cinttypes>
#include <cstdint>

#include <mp/error.hpp>

#include "claims.hpp"
#include "forward.hpp"
#include "options.hpp"

namespace symmetric_mp {

inline constexpr const char* config_memzone = "SMP_CONFIG";

struct SharedConfig {
    uint32_t num_procs;
    uint64_t portmask;
    ProcTable procs;
    ProcCounters counters[max_procs];
};

// Refuses options that disagree with the ones the first process published.
inline void check_matches(const SharedConfig& config, const Options& options)
{
    if (options.num_procs != config.num_procs)
        throw mp::StartupError(mp::strprintf(
            "--num-procs %u does not match --num-procs %u of the running processes: every "
            "symmetric_mp process must be given the same --num-procs and -p",
            options.num_procs, config.num_procs));
    if (options.portmask != config.portmask)
        throw mp::StartupError(mp::strprintf(
            "-p 0x%" PRIx64 " does not match -p 0x%" PRIx64 " of the running processes: every "
            "symmetric_mp process must be given the same --num-procs and -p",
            options.portmask, config.portmask));
}

} // namespace symmetric_mp
