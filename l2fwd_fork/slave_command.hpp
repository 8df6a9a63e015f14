/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// The command line of a slave process. A slave is this same program started
// again as a DPDK secondary process of the master: a supported DPDK process,
// unlike a child that carries on after fork() with the parent's EAL state.
//
//   <argv0> --proc-type=secondary --file-prefix=<master's> --lcores=<id>@<cpus>
//           --no-telemetry --log-level=lib.eal:warning <inherited> -- --slave=<n>
//
// <inherited> are the master's EAL options that a secondary needs as well: the
// devices to probe or skip (--no-pci, -a, -b), where drivers and hugepages are
// (-d, --huge-dir), the IOVA and VFIO settings, and the log levels (after ours,
// so that the user's win). Virtual devices are not repeated: a 22.11 secondary
// gets the primary's list over the multi-process channel. Pure, so that the
// unit tests drive it.

#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <mp/args.hpp>
#include <mp/error.hpp>

namespace l2fwd_fork {

// "3" for one CPU, "(0,1)" for a set, as --lcores wants them.
inline std::string cpu_set_text(const std::vector<unsigned>& cpus)
{
    if (cpus.size() == 1)
        return std::to_string(cpus.front());
    std::string text = "(";
    for (std::size_t i = 0; i < cpus.size(); ++i) {
        if (i != 0)
            text += ',';
        text += std::to_string(cpus[i]);
    }
    text += ')';
    return text;
}

// The master's EAL options (before "--", program name excluded) that a slave
// also gets, each as one "--name=value" or flag word.
inline std::vector<std::string> inherited_eal_args(std::span<const std::string> eal_args)
{
    // Options that take a value (to step over the values of those we drop).
    static const std::set<std::string_view> short_with_value = {"a", "b", "c", "d", "l", "m",
                                                                "n", "r", "s", "S"};
    static const std::set<std::string_view> long_with_value = {
        "allow", "base-virtaddr", "block", "file-prefix", "force-max-simd-bitwidth",
        "huge-dir", "iova-mode", "lcores", "log-level", "main-lcore", "master-lcore",
        "mbuf-pool-ops-name", "proc-type", "socket-limit", "socket-mem", "trace",
        "trace-bufsz", "trace-dir", "trace-mode", "vdev", "vfio-intr", "vfio-vf-token"};
    // What a slave inherits, by long name ("a" and "b" are spelled as allow/block).
    static const std::set<std::string_view> inherited = {
        "no-pci", "allow", "block", "d", "huge-dir", "iova-mode", "log-level", "vfio-intr",
        "vfio-vf-token"};

    std::vector<std::string> out;
    for (std::size_t i = 0; i < eal_args.size(); ++i) {
        const mp::OptionWord word = mp::read_option_word(eal_args[i]);
        if (word.kind == mp::OptionWord::Kind::none)
            continue; // a stray word: EAL itself has refused or ignored it
        const bool is_short = word.kind == mp::OptionWord::Kind::short_option;
        std::string name(word.name);
        std::string value(word.value);
        bool has_value = word.has_value;
        const auto& with_value = is_short ? short_with_value : long_with_value;
        if (!has_value && with_value.contains(name) && i + 1 < eal_args.size()) {
            value = eal_args[++i];
            has_value = true;
        }
        if (is_short && name == "a")
            name = "allow";
        else if (is_short && name == "b")
            name = "block";
        if (!inherited.contains(name))
            continue;
        if (name == "d")
            out.push_back("-d" + value);
        else
            out.push_back("--" + name + (has_value ? "=" + value : ""));
    }
    return out;
}

struct SlaveCommand {
    std::string argv0;       // shown by ps (the master's own argv[0])
    std::string file_prefix; // the master's
    unsigned lcore = 0;      // the lcore id the slave runs as
    std::vector<unsigned> cpus;
    std::vector<std::string> inherited;
    unsigned slave = 0;      // its entry in the shared slave (or standby) table
    bool standby = false;    // started as a standby (--standby=N, not --slave=N)
};

inline std::vector<std::string> slave_argv(const SlaveCommand& command)
{
    std::vector<std::string> argv = {
        command.argv0,
        "--proc-type=secondary",
        "--file-prefix=" + command.file_prefix,
        "--lcores=" + std::to_string(command.lcore) + "@" + cpu_set_text(command.cpus),
        "--no-telemetry",
        "--log-level=lib.eal:warning",
    };
    argv.insert(argv.end(), command.inherited.begin(), command.inherited.end());
    argv.push_back("--");
    argv.push_back((command.standby ? "--standby=" : "--slave=") + std::to_string(command.slave));
    return argv;
}

} // namespace l2fwd_fork
