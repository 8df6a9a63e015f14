/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// Application commands on DPDK's telemetry socket, e.g.
//   echo /simple_mp/stats | dpdk-telemetry.py -f <file-prefix>
//
//   int reply(const Stats& stats, rte_tel_data* data);     // fills the reply
//   static const Stats stats = ...;                         // lives until exit
//   mp::register_telemetry<&reply>("/simple_mp/stats", stats, "help text");

#include <cstdint>
#include <initializer_list>
#include <utility>

#include <rte_telemetry.h>
#include <rte_version.h>

#include "log.hpp"

namespace mp {

// Unsigned values in a telemetry dictionary or array. DPDK 23.03 renamed the
// u64 calls to _uint (24.11 deprecates the old names, 25.11 removes them);
// this is the only place that knows.
inline int telemetry_add(rte_tel_data* dict, const char* name, uint64_t value) noexcept
{
#if RTE_VERSION >= RTE_VERSION_NUM(23, 3, 0, 0)
    return rte_tel_data_add_dict_uint(dict, name, value);
#else
    return rte_tel_data_add_dict_u64(dict, name, value);
#endif
}
inline int telemetry_add(rte_tel_data* array, uint64_t value) noexcept
{
#if RTE_VERSION >= RTE_VERSION_NUM(23, 3, 0, 0)
    return rte_tel_data_add_array_uint(array, value);
#else
    return rte_tel_data_add_array_u64(array, value);
#endif
}

// Registers `path`; a failure only costs the command, so it is logged, not fatal.
inline void register_telemetry(const char* path, telemetry_cb callback, const char* help) noexcept
{
    if (rte_telemetry_register_cmd(path, callback, help) != 0)
        log(RTE_LOG_WARNING, "cannot register telemetry command %s", path);
}

// The callback of one reply function and the source it reads.
template <auto Reply, typename Source>
struct TelemetryCommand {
    static inline const Source* source = nullptr;
    static int callback(const char*, const char*, rte_tel_data* data)
    {
        return Reply(*source, data);
    }
};

// Registers `path` with a reply that reads `source`. Telemetry callbacks carry
// no user pointer in DPDK 22.11, so the pointer is kept per reply function:
// each function serves one command, and `source` must outlive the telemetry
// thread (a static, or shared memory), since that thread may run until exit.
template <auto Reply, typename Source>
void register_telemetry(const char* path, const Source& source, const char* help) noexcept
{
    TelemetryCommand<Reply, Source>::source = &source;
    register_telemetry(path, &TelemetryCommand<Reply, Source>::callback, help);
}

// Fills `data` with a dictionary of unsigned counters.
inline int telemetry_dict(rte_tel_data* data,
                          std::initializer_list<std::pair<const char*, uint64_t>> fields) noexcept
{
    rte_tel_data_start_dict(data);
    for (const auto& [name, value] : fields)
        telemetry_add(data, name, value);
    return 0;
}

} // namespace mp
