/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// The application options of l2fwd_fork (what follows "--"), as in the old
// example: -p PORTMASK, -q NQ, -T PERIOD, -f. Pure: no DPDK calls, so that the
// unit tests drive it directly.
//
// --slave=N and --standby=N are not for users: the master passes them to the
// processes it starts, to say which entry of the shared slave or standby table
// they are.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include <rte_config.h>

#include <mp/args.hpp>

namespace l2fwd_fork {

// The most RX ports one slave polls (upstream MAX_RX_QUEUE_PER_LCORE).
inline constexpr unsigned max_rx_ports_per_lcore = 16;
// The longest statistics period, one day (upstream MAX_TIMER_PERIOD).
inline constexpr unsigned max_stats_period = 86400;

inline constexpr const char* usage_text =
    "usage: l2fwd_fork [EAL options] -- -p PORTMASK [-q NQ] [-T PERIOD] [-f]\n"
    "  -p PORTMASK: hexadecimal bitmask of the ports to forward (an even number)\n"
    "  -q NQ: number of RX ports each slave polls (1 to 16, default 1)\n"
    "  -T PERIOD: print statistics every PERIOD seconds (0 to disable, 10 default, "
    "86400 maximum)\n"
    "  -f: floating slaves: each takes a free lcore id and may run on any of the "
    "master's CPUs\n"
    "  The EAL options must give at least three lcores: the master and two slaves.\n";

struct Options {
    uint64_t portmask = 0;
    unsigned ports_per_lcore = 1;
    unsigned stats_period = 10; // seconds, 0 = no periodic statistics
    bool floating = false;
    std::optional<unsigned> slave;   // set in the slave processes only
    std::optional<unsigned> standby; // set in the standby processes only
};

inline Options parse_options(std::span<char* const> args)
{
    // The shared slave and standby tables hold RTE_MAX_LCORE entries each.
    constexpr unsigned max_slave = RTE_MAX_LCORE - 1;
    static constexpr mp::OptionSpec specs[] = {
        {"p", true}, {"q", true}, {"T", true}, {"f", false}, {"slave", true},
                                          {"standby", true}};
    Options options;
    const std::vector<mp::Option> given = mp::parse_options(args, specs);
    for (const mp::Option& option : given) {
        if (option.name == "p") {
            options.portmask = mp::parse_portmask(option.value);
        } else if (option.name == "q") {
            options.ports_per_lcore =
                mp::parse_number("q", option.value, 1U, max_rx_ports_per_lcore);
        } else if (option.name == "T") {
            options.stats_period = mp::parse_number("T", option.value, 0U, max_stats_period);
        } else if (option.name == "f") {
            options.floating = true;
        } else if (option.name == "slave") {
            options.slave = mp::parse_number("slave", option.value, 0U, max_slave);
        } else {
            options.standby = mp::parse_number("standby", option.value, 0U, max_slave);
        }
    }
    // A slave reads everything else from the master's shared memory.
    if (!options.slave && !options.standby)
        mp::require_option(given, "p", "the hexadecimal mask of the ports to forward");
    return options;
}

} // namespace l2fwd_fork
