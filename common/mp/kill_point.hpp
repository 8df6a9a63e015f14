/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// Named points where a test can have a process killed, deterministically:
//
//   MP_KILL_POINT("recovery.flushing");
//
// In a build with tests (Meson defines MP_KILL_POINTS there), a process whose
// environment has MP_KILL_AT=<name>[,<name>...] sends itself SIGKILL when it
// reaches one of those points, exactly as a kill -9 from outside would land. Elsewhere the
// macro is empty. Points sit on start-up, recovery and exit paths only, never
// on the per-packet path.

#if defined(MP_KILL_POINTS)
#include <csignal>
#include <cstdlib>
#include <cstring>
#endif

namespace mp {

#if defined(MP_KILL_POINTS)
inline void kill_point(const char* name) noexcept
{
    static const char* const wanted = std::getenv("MP_KILL_AT");
    if (wanted == nullptr)
        return;
    const std::size_t length = std::strlen(name);
    for (const char* at = wanted; (at = std::strstr(at, name)) != nullptr; at += length) {
        const bool starts = at == wanted || at[-1] == ',';
        const bool ends = at[length] == '\0' || at[length] == ',';
        if (starts && ends)
            std::raise(SIGKILL);
    }
}
#define MP_KILL_POINT(name) ::mp::kill_point(name)
#else
#define MP_KILL_POINT(name) ((void)0)
#endif

} // namespace mp
