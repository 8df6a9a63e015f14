/* SPDX-License-Identifier: BSD-3-Clause */
// simple_mp: two DPDK processes sending text messages to each other through two
// shared rings and a shared message pool (see docs/simple_mp.rst).
//
//   simple_mp -l 0-1 --proc-type=primary
//   simple_mp -l 2-3 --proc-type=secondary
//
// The main lcore runs the prompt and sends; one worker lcore receives.
#include <mp/all.hpp>

#include "commands.hpp"
#include "endpoint.hpp"
#include "stats.hpp"

namespace {

constexpr const char* usage_text =
    "usage: simple_mp [EAL options]\n"
    "  Give it at least two lcores (-l 0-1): one for the prompt, one to receive.\n"
    "  Commands at the 'simple_mp > ' prompt: send <message>, help, quit.\n";

void parse_no_app_args(std::span<char* const> args)
{
    if (!args.empty())
        throw mp::UsageError(mp::strprintf("unexpected argument '%s': simple_mp takes EAL "
                                           "arguments only",
                                           args[0]));
}

int run(int argc, char** argv)
{
    mp::parse_app_args({"simple_mp", usage_text}, argc, argv, parse_no_app_args);
    mp::Eal eal(argc, argv);
    mp::require_lcores(2, "one for the prompt, one to receive messages");

    simple_mp::Stats& stats = simple_mp::process_stats();
    simple_mp::Endpoint endpoint(eal.primary(), stats);
    // In DPDK 22.11 only the primary has a telemetry socket.
    if (eal.primary())
        simple_mp::register_stats_command(stats);
    simple_mp::Commands commands(endpoint.sender());
    simple_mp::Prompt prompt(commands.context(), "\nsimple_mp > ");
    eal.mark_ready();
    endpoint.keep_at_exit(eal);
    endpoint.run(prompt);
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    return mp::run_app("simple_mp", [&] { return run(argc, argv); });
}
