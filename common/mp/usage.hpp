/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// The command line before the EAL starts. Help and the application's own
// arguments (those after "--") are handled before rte_eal_init(), so that
// reading a program's options, or being told what is wrong with them, needs no
// hugepages, no root and no ports.
//
//   constexpr mp::ProgramUsage usage{"symmetric_mp", usage_text};
//   const Options options = mp::parse_app_args(usage, argc, argv, parse_options);
//   mp::Eal eal(argc, argv);
//
// "--help" or "-h", before or after "--", prints the usage on stdout and exits 0;
// "--help-eal" prints EAL's own option list and exits 0. A bad argument is a
// UsageError, which mp::run_app prints as one line ending with a pointer to
// "--help".

#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <span>
#include <string>
#include <string_view>

#include <rte_eal.h>

namespace mp {

struct ProgramUsage {
    const char* program; // as in its error lines, e.g. "symmetric_mp"
    const char* text;    // "usage: ..." and one line per option
};

// The words after the first "--": the application's own (EAL stops there too).
inline std::span<char* const> app_args_of(int argc, char** argv)
{
    for (int i = 1; i < argc; ++i)
        if (std::string_view(argv[i]) == "--")
            return {argv + i + 1, static_cast<std::size_t>(argc - i - 1)};
    return {};
}

enum class HelpRequest { none, program, eal };

// What the command line asks for. "-h" and "--help" are EAL's own help options
// before "--"; after it they are taken the same way, as users type them there.
inline HelpRequest help_request(int argc, char** argv)
{
    HelpRequest request = HelpRequest::none;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--help-eal")
            return HelpRequest::eal;
        if (arg == "--help" || arg == "-h")
            request = HelpRequest::program;
    }
    return request;
}

inline void print_usage(const ProgramUsage& usage)
{
    std::printf("%s"
                "  -h, --help       this text (also after \"--\")\n"
                "EAL options go before \"--\"; '%s --help-eal' lists them.\n",
                usage.text, usage.program);
}

// EAL's --help prints its option list and exits 0 from inside rte_eal_init(),
// before it looks at hugepages or creates its runtime folder (checked on 22.11
// and 24.11 as an unprivileged user); its start-up notices are kept quiet.
[[noreturn]] inline void show_eal_help(char* argv0)
{
    std::string quiet = "--log-level=lib.eal:warning";
    std::string help = "--help";
    char* args[] = {argv0, quiet.data(), help.data(), nullptr};
    rte_eal_init(static_cast<int>(std::size(args)) - 1, args); // argv's nullptr not counted
    std::exit(EXIT_FAILURE); // EAL did not take --help as its help option
}

// Answers a request for help (and exits), then parses the application's own
// arguments with `parse`, which throws a UsageError for a bad one.
template <class Parse>
auto parse_app_args(const ProgramUsage& usage, int argc, char** argv, Parse&& parse)
{
    switch (help_request(argc, argv)) {
    case HelpRequest::eal:
        show_eal_help(argv[0]);
    case HelpRequest::program:
        print_usage(usage);
        std::exit(EXIT_SUCCESS);
    case HelpRequest::none:
        break;
    }
    return parse(app_args_of(argc, argv));
}

} // namespace mp
