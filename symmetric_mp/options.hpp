/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// symmetric_mp's own arguments (after "--"):
//   -p PORTMASK  --num-procs N  --proc-id n
// Every process gives all three; the first two must be the same in all of them.
// Pure parsing and range checks, no DPDK calls: whether the ports exist is
// checked later, against the EAL's port list (mp::ports_from_mask).

#include <cstdint>
#include <span>
#include <vector>

#include <mp/args.hpp>
#include <mp/error.hpp>

namespace symmetric_mp {

// The claim table and the live counters in shared memory have a slot per
// process; this bounds --num-procs (far above what RSS queue counts allow on
// most NICs).
inline constexpr unsigned max_procs = 64;

struct Options {
    uint64_t portmask = 0;
    unsigned num_procs = 0;
    unsigned proc_id = 0;
};

inline constexpr const char* usage_text =
    "usage: symmetric_mp [EAL options] -- -p PORTMASK --num-procs N --proc-id n\n"
    "  -p PORTMASK      hexadecimal mask of the ports to forward between (in pairs)\n"
    "  --num-procs N    how many symmetric_mp processes share the ports (RX/TX queues per port)\n"
    "  --proc-id n      this process's number, 0 <= n < N: it serves queue n of every port\n";

inline Options parse_options(std::span<char* const> args)
{
    static constexpr mp::OptionSpec specs[] = {
        {"p", true}, {"num-procs", true}, {"proc-id", true}};
    Options options;
    const std::vector<mp::Option> given = mp::parse_options(args, specs);
    for (const mp::Option& opt : given) {
        if (opt.name == "p")
            options.portmask = mp::parse_portmask(opt.value);
        else if (opt.name == "num-procs")
            options.num_procs = mp::parse_number<unsigned>(opt.name, opt.value, 1, max_procs);
        else
            options.proc_id = mp::parse_number<unsigned>(opt.name, opt.value, 0, max_procs - 1);
    }
    mp::require_option(given, "p", "hexadecimal mask of the ports to use");
    mp::require_option(given, "num-procs", "number of symmetric_mp processes");
    mp::require_option(given, "proc-id", "this process's number, from 0 to num-procs - 1");
    if (options.proc_id >= options.num_procs)
        throw mp::UsageError(mp::strprintf("--proc-id %u is out of range: with --num-procs %u it "
                                           "must be from 0 to %u",
                                           options.proc_id, options.num_procs,
                                           options.num_procs - 1));
    return options;
}

} // namespace symmetric_mp
