/* SPDX-License-Identifier: BSD-3-Clause */
// l2fwd_fork: L2 forwarding by slave processes that a master process starts,
// watches and restarts (see docs/l2fwd_fork.rst).
//
//   l2fwd_fork -l 0-2 -- -p 3 [-q NQ] [-T PERIOD] [-f]
#include <mp/all.hpp>

#include "app.hpp"

namespace {

int run(int argc, char** argv)
{
    const auto command_line = l2fwd_fork::CommandLine::capture(argc, argv);
    const l2fwd_fork::Options options =
        mp::parse_app_args({"l2fwd_fork", l2fwd_fork::usage_text}, argc, argv,
                           [](std::span<char* const> args) {
                               return l2fwd_fork::parse_options(args);
                           });
    std::optional<mp::Watchdog> exit_watchdog; // first: it bounds ~Eal too
    mp::Eal eal(argc, argv);
    const mp::PacketCapture capture(eal);
    if (options.slave)
        return l2fwd_fork::run_slave(eal, *options.slave);
    if (options.standby)
        return l2fwd_fork::run_standby(eal, *options.standby);
    if (!eal.primary())
        throw mp::UsageError("l2fwd_fork runs as the master, a primary process, and starts its "
                             "slave processes itself: do not start it as a secondary");
    return l2fwd_fork::run_master(eal, options, command_line, exit_watchdog);
}

} // namespace

int main(int argc, char** argv)
{
    return mp::run_app("l2fwd_fork", [&] { return run(argc, argv); });
}
