/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// The applications' log lines go through DPDK's logger under the type the
// upstream examples use (USER1, printed as "APP: ..."), so that scripts written
// for them, such as those waiting for "APP: Finished Process Init.", still work.

#include <cstdarg>

#include <rte_log.h>

namespace mp {

inline constexpr uint32_t app_logtype = RTE_LOGTYPE_USER1;

[[gnu::format(printf, 2, 3)]] inline void log(uint32_t level, const char* fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    rte_log(level, app_logtype, "APP: %s\n", line);
}

} // namespace mp
