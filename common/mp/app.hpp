/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// The frame of every main(): line-buffered output, the quit flag, and one line
// on stderr plus exit code 1 for any start-up error. A command-line error's
// line ends with where to read the usage.
//
//   int main(int argc, char** argv) {
//       return mp::run_app("simple_mp", [&] { return simple_mp::run(argc, argv); });
//   }

#include <cstdio>
#include <cstdlib>
#include <exception>

#include "error.hpp"
#include "signals.hpp"

namespace mp {

template <class Body>
int run_app(const char* program, Body&& body) noexcept
{
    // Lines must reach a pipe or a file as soon as they are printed, whole.
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    QuitFlag::install();
    try {
        return body();
    } catch (const std::exception& e) {
        std::fflush(stdout);
        if (dynamic_cast<const UsageError*>(&e) != nullptr)
            std::fprintf(stderr, "%s: error: %s (see '%s --help')\n", program, e.what(), program);
        else
            std::fprintf(stderr, "%s: error: %s\n", program, e.what());
        return EXIT_FAILURE;
    }
}

} // namespace mp
