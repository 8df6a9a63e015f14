/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// Application commands on DPDK's telemetry socket, e.g.
//   echo /simple_mp/stats | dpdk-telemetry.py -f <file-prefix>
// Callbacks get no user pointer in 22.11, so each app keeps the counters it
// reports where the callback can reach them (shared memory or a static).

#include <cstdint>
#include <initializer_list>
#include <utility>

#include <rte_telemetry.h>

#include "log.hpp"

namespace mp {

// Registers `path`; a failure only costs the command, so it is logged, not fatal.
inline void register_telemetry(const char* path, telemetry_cb callback, const char* help) noexcept
{
    if (rte_telemetry_register_cmd(path, callback, help) != 0)
        log(RTE_LOG_WARNING, "cannot register telemetry command %s", path);
}

// Fills `data` with a dictionary of unsigned counters.
inline int telemetry_dict(rte_tel_data* data,
                          std::initializer_list<std::pair<const char*, uint64_t>> fields) noexcept
{
    rte_tel_data_start_dict(data);
    for (const auto& [name, value] : fields)
        rte_tel_data_add_dict_u64(data, name, value);
    return 0;
}

} // namespace mp
