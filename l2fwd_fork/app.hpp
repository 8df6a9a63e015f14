/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// The two roles of the program: the master (started by the user, a primary
// process) and the slaves (started by the master, secondary processes).

#include <optional>
#include <string>
#include <vector>

#include <mp/eal.hpp>
#include <mp/watchdog.hpp>

#include "options.hpp"

namespace l2fwd_fork {

// The master's command line as given, kept before rte_eal_init() reorders it:
// the slaves' command lines are made from it.
struct CommandLine {
    std::string argv0;
    std::vector<std::string> eal_args; // before "--", program name excluded

    static CommandLine capture(int argc, char** argv)
    {
        CommandLine line{argc > 0 ? argv[0] : "l2fwd_fork", {}};
        for (int i = 1; i < argc && std::string(argv[i]) != "--"; ++i)
            line.eal_args.emplace_back(argv[i]);
        return line;
    }
};

// `exit_watchdog` outlives `eal`: the master bounds its exit with it.
int run_master(mp::Eal& eal, const Options& options, const CommandLine& command_line,
               std::optional<mp::Watchdog>& exit_watchdog);
int run_slave(mp::Eal& eal, unsigned slave);
int run_standby(mp::Eal& eal, unsigned standby);

} // namespace l2fwd_fork
