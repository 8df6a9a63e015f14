/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// The message of the exception a call throws, for tests that assert error text.

#include <exception>
#include <string>

namespace mptest {

// What `fn()` threw, or "no error".
template <typename Fn>
std::string error_of(Fn&& fn)
{
    try {
        fn();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "no error";
}

} // namespace mptest
