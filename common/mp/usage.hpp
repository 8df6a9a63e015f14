/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// Parses the application arguments and, when they are wrong, shows the usage
// text on stderr before the error line that mp::run_app prints.
//
//   const Options options = mp::parse_or_show_usage(usage_text, [&] {
//       return parse_options(eal.app_args());
//   });

#include <cstdio>

#include "error.hpp"

namespace mp {

template <class Parse>
auto parse_or_show_usage(const char* usage, Parse&& parse)
{
    try {
        return parse();
    } catch (const UsageError&) {
        std::fputs(usage, stderr);
        throw;
    }
}

} // namespace mp
