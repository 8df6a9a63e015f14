/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// Start-up errors. Every failure before the fast path starts is thrown as one of
// these and turned by mp::run_app() into a single line on stderr and exit code 1.
// Nothing on the per-packet path throws.

#include <cstdarg>
#include <cstdio>
#include <stdexcept>
#include <string>

#include <rte_errno.h>

namespace mp {

// Something the process needs could not be set up (a DPDK call failed, a shared
// object is missing, the primary disagrees with us, ...).
class StartupError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The command line is wrong. Kept apart so that main() can add a usage hint.
class UsageError : public StartupError {
public:
    using StartupError::StartupError;
};

// printf-style formatting into a std::string (g++ 12 has no <format>).
[[gnu::format(printf, 1, 2)]] inline std::string strprintf(const char* fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    va_list copy;
    va_copy(copy, ap);
    const int len = std::vsnprintf(nullptr, 0, fmt, copy);
    va_end(copy);
    std::string out(len > 0 ? static_cast<std::size_t>(len) : 0, '\0');
    if (len > 0)
        std::vsnprintf(out.data(), out.size() + 1, fmt, ap);
    va_end(ap);
    return out;
}

// Text for a DPDK error code, given either as -errno (ethdev style) or errno.
inline const char* rte_error_text(int err)
{
    return rte_strerror(err < 0 ? -err : err);
}

// Throws StartupError("<what>: <reason>") when a DPDK call returned a negative code.
inline int check(int ret, const std::string& what)
{
    if (ret < 0)
        throw StartupError(what + ": " + rte_error_text(ret));
    return ret;
}

// `found`, the result of a lookup by name of a shared object of kind `kind`
// ("ring", "mempool", ...), or, when it is nullptr, the error that says where
// the object should have come from.
template <typename T>
T* found_or_throw(T* found, const char* kind, const std::string& name)
{
    if (found == nullptr)
        throw StartupError(strprintf("cannot find %s '%s': is the primary process running with "
                                     "the same --file-prefix?",
                                     kind, name.c_str()));
    return found;
}

} // namespace mp
