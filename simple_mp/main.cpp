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
#include "message_channel.hpp"
#include "receiver.hpp"
#include "sender.hpp"
#include "stats.hpp"

namespace {

constexpr const char* usage_text =
    "usage: simple_mp [EAL options]\n"
    "  Give it at least two lcores (-l 0-1): one for the prompt, one to receive.\n"
    "  Commands at the 'simple_mp > ' prompt: send <message>, help, quit.\n";

int run(int argc, char** argv)
{
    mp::parse_app_args({"simple_mp", usage_text}, argc, argv, [](std::span<char* const> args) {
        if (!args.empty())
            throw mp::UsageError(mp::strprintf("unexpected argument '%s': simple_mp takes EAL "
                                               "arguments only",
                                               args[0]));
    });
    mp::Eal eal(argc, argv);
    mp::require_lcores(2, "one for the prompt, one to receive messages");

    // The pool is used from the prompt's lcore and the receiver's: both are
    // claimed, a killed predecessor's caches put right, and ours flushed at exit.
    const unsigned main_lcore = rte_get_main_lcore();
    const unsigned receive_lcore = mp::worker_lcores().front();
    const unsigned pool_lcores[] = {main_lcore, receive_lcore};
    simple_mp::MessageChannel channel = eal.primary()
                                            ? simple_mp::MessageChannel::create(pool_lcores)
                                            : simple_mp::MessageChannel::attach(pool_lcores);
    simple_mp::Stats& stats = simple_mp::process_stats();
    // In DPDK 22.11 only the primary has a telemetry socket.
    if (eal.primary())
        simple_mp::register_stats_command(stats);

    std::atomic<uint32_t>& main_put_mark = channel.put_mark(main_lcore);
    std::atomic<uint32_t>& receive_put_mark = channel.put_mark(receive_lcore);
    simple_mp::Sender sender(channel.send_ring(), channel.pool(), main_put_mark, stats,
                             eal.primary() ? simple_mp::Sender::Side::primary
                                           : simple_mp::Sender::Side::secondary);
    simple_mp::Receiver receiver(channel.receive_ring(), channel.pool(), receive_put_mark, stats,
                                 stdout);
    simple_mp::Commands commands(sender);
    simple_mp::Prompt prompt(commands.context(), "\nsimple_mp > ");
    eal.mark_ready();
    if (eal.primary()) {
        // A secondary may outlive us: it must not find its rings and pool freed
        // under it (nor the memory EAL cleans up).
        channel.keep_at_exit();
        eal.keep_shared_state_at_exit();
    }

    // One receiver keeps the messages in the order they were sent; any further
    // worker lcores stay idle. It says "Starting core N" before the first prompt.
    mp::check(rte_eal_remote_launch(&simple_mp::Receiver::main_loop, &receiver, receive_lcore),
              mp::strprintf("cannot start the receiver on lcore %u", receive_lcore));
    while (!receiver.started() && !mp::QuitFlag::raised())
        rte_delay_us_sleep(100);
    prompt.run(); // raises the quit flag when it ends
    rte_eal_mp_wait_lcore();
    return 0; // the channel's claims flush our caches into the pool

}

} // namespace

int main(int argc, char** argv)
{
    return mp::run_app("simple_mp", [&] { return run(argc, argv); });
}
