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
//
// A shared DPDK's librte_pdump is opened at run time, and only by a process
// that serves: linked into the program, it and what it links (librte_bpf,
// libpcap and through it libdbus, libsystemd, libgcrypt, ...: 16 shared
// objects on Debian 12) would load at every exec, and every symbol of every
// driver plugin EAL loads would be looked up past them, about 2 ms of a
// secondary's start-up. A static DPDK build (meson -Dprefer_static=true)
// links it.

#include <dlfcn.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_pdump.h>
#include <rte_version.h>

#include "dpdk_internals.hpp"
#include "eal.hpp"
#include "log.hpp"

namespace mp {

// rte_pdump_init() and rte_pdump_uninit(), or nullptr when this process
// cannot reach them (`why` then says why).
struct PdumpCalls {
    decltype(&rte_pdump_init) init = nullptr;
    decltype(&rte_pdump_uninit) uninit = nullptr;
    const char* why = nullptr;
};

inline PdumpCalls pdump_calls() noexcept
{
#ifdef MP_DPDK_STATIC
    return {&rte_pdump_init, &rte_pdump_uninit};
#else
    // Kept open for the life of the process: its request handler may run
    // until the process ends.
    void* library = internals::open_dpdk_library("librte_pdump");
    if (library == nullptr) {
        const char* error = dlerror(); // the loader's reason, naming the file
        return {.why = error != nullptr ? error : "librte_pdump cannot be opened"};
    }
    PdumpCalls calls;
    calls.init = reinterpret_cast<decltype(&rte_pdump_init)>(dlsym(library, "rte_pdump_init"));
    calls.uninit =
        reinterpret_cast<decltype(&rte_pdump_uninit)>(dlsym(library, "rte_pdump_uninit"));
    if (calls.init == nullptr || calls.uninit == nullptr)
        return {.why = "librte_pdump has no rte_pdump_init"};
    return calls;
#endif
}

class PacketCapture {
public:
    explicit PacketCapture(const Eal& eal) noexcept : eal_(eal)
    {
        if (!eal.primary() && !secondaries_serve)
            return;
        // Only the capture is lost (the tools then say the enable failed).
        pdump_ = pdump_calls();
        if (pdump_.init == nullptr || pdump_.init() != 0) {
            log(RTE_LOG_WARNING, "packet capture is not available in this process: %s",
                pdump_.why != nullptr ? pdump_.why : rte_strerror(rte_errno));
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
            pdump_.uninit();
    }

    // Whether this process adds capture callbacks when a tool asks.
    bool serving() const noexcept { return serving_; }

    static constexpr bool secondaries_serve = RTE_VERSION >= RTE_VERSION_NUM(25, 11, 0, 0);

private:
    const Eal& eal_;
    PdumpCalls pdump_;
    bool serving_ = false;
};

} // namespace mp
