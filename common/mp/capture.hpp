/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// The packet-capture server that dpdk-dumpcap and dpdk-pdump talk to, owned
// for the life of main() right after the EAL (docs/capture.rst):
//
//   mp::Eal eal(argc, argv);
//   const mp::PacketCapture capture(eal);
//
// A capture tool is a secondary process. It asks over EAL's multi-process
// channel for capture callbacks on a port's queues, and the process that
// serves the request adds them to its own ethdev callback lists: a process
// captures only the packets it receives and sends itself. Who serves:
//   - up to DPDK 24.11 the primary alone. Its rte_pdump_init() reserves the
//     shared statistics memzone; in a secondary that reservation fails on the
//     name, so a secondary cannot serve, and its traffic cannot be captured;
//   - from DPDK 25.11 the primary also forwards each request to every
//     secondary that ran rte_pdump_init() (which then only looks the memzone
//     up), so every process's traffic is captured.
// Without a capture running, nothing is added to the per-packet path.

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_pdump.h>
#include <rte_version.h>

#include "eal.hpp"
#include "log.hpp"

namespace mp {

class PacketCapture {
public:
    explicit PacketCapture(const Eal& eal) noexcept : eal_(eal)
    {
        if (!eal.primary() && !secondaries_serve)
            return;
        // Only the capture is lost (the tools then say the enable failed).
        if (rte_pdump_init() != 0) {
            log(RTE_LOG_WARNING, "packet capture is not available in this process: %s",
                rte_strerror(rte_errno));
            return;
        }
        serving_ = true;
    }

    PacketCapture(const PacketCapture&) = delete;
    PacketCapture& operator=(const PacketCapture&) = delete;

    // A primary's rte_pdump_uninit() frees the statistics memzone, which the
    // callbacks of running secondaries (25.11) write to: a primary whose
    // shared memory outlives it leaves the memzone. Its request handler goes
    // with the process either way.
    ~PacketCapture()
    {
        if (serving_ && (!eal_.primary() || eal_.cleans_up_at_exit()))
            rte_pdump_uninit();
    }

    // Whether this process adds capture callbacks when a tool asks.
    bool serving() const noexcept { return serving_; }

    static constexpr bool secondaries_serve = RTE_VERSION >= RTE_VERSION_NUM(25, 11, 0, 0);

private:
    const Eal& eal_;
    bool serving_ = false;
};

} // namespace mp
