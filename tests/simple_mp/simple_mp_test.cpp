/* SPDX-License-Identifier: BSD-3-Clause */
// simple_mp as people use it: a primary and a secondary process in their own
// terminals (or with commands piped in), messages crossing both ways, the
// upstream C program on either side, a load of 5000 messages each way, and the
// starts that must fail.
//
// Lcore ids: the primary runs 0 (prompt) and 1 (receiver), the secondary 2 and
// 3, mapped onto the machine's two CPUs, so that the processes never share a
// mempool cache.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <regex>
#include <string>
#include <vector>

#include "process.hpp"

using namespace mptest;

namespace {

constexpr std::string_view primary_lcores = "0@0,1@1";
constexpr std::string_view secondary_lcores = "2@0,3@1";

std::vector<std::string> simple_mp(const DpdkPrefix& prefix, std::string_view lcores,
                                   std::initializer_list<std::string_view> extra,
                                   const std::string& program = binary("simple_mp"))
{
    return args({{program}, eal_args(prefix, lcores, {}, extra)});
}

std::vector<std::string> primary_args(const DpdkPrefix& prefix)
{
    return simple_mp(prefix, primary_lcores, {"--proc-type=primary"});
}

std::vector<std::string> secondary_args(const DpdkPrefix& prefix)
{
    return simple_mp(prefix, secondary_lcores, {"--proc-type=secondary"});
}

// Started, receiving, and at its prompt. EAL's log (stderr) and the program's
// lines (stdout) may arrive in either order through pipes, so each is looked
// for on its own. Ours starts the receiver before the prompt; the upstream
// program starts both at once, so that its first prompt may be cut in two by
// "Starting core N": only the receiver is waited for there.
::testing::AssertionResult ready(Process& p, bool upstream_program = false)
{
    if (p.expect_count("APP: Finished Process Init.", 1, 30s) &&
        p.expect_count("Starting core ", 1, 30s) &&
        (upstream_program || p.expect("simple_mp > ", 30s)))
        return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "not ready; output:\n" << p.output();
}

::testing::AssertionResult exits_cleanly(Process& p, std::chrono::milliseconds timeout = 20s)
{
    const auto exit = p.wait_exit(timeout);
    if (!exit)
        return ::testing::AssertionFailure() << "still running; output:\n" << p.output();
    if (exit->code != 0)
        return ::testing::AssertionFailure() << "exit code " << exit->code << ", signal "
                                             << exit->signal << "; output:\n" << p.output();
    return ::testing::AssertionSuccess();
}

// The texts of the "core N: Received '...'" lines in `output`, in order.
std::vector<std::string> received(const std::string& output, unsigned lcore)
{
    const std::regex line("core " + std::to_string(lcore) + ": Received '([^']*)'\r?\n");
    std::vector<std::string> texts;
    for (auto it = std::sregex_iterator(output.begin(), output.end(), line);
         it != std::sregex_iterator(); ++it)
        texts.push_back((*it)[1]);
    return texts;
}

std::size_t occurrences(const std::string& text, std::string_view what)
{
    std::size_t n = 0;
    for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1))
        ++n;
    return n;
}

// ------------------------------------------------------------ both directions

TEST(SimpleMp, MessagesCrossBothWaysBetweenTwoTerminals)
{
    DpdkPrefix prefix("smp_pty");
    Process primary(primary_args(prefix), Io::pty);
    ASSERT_TRUE(ready(primary));
    EXPECT_NE(primary.output().find("Starting core 1\r\n\r\nsimple_mp > "), std::string::npos)
        << primary.output();
    Process secondary(secondary_args(prefix), Io::pty);
    ASSERT_TRUE(ready(secondary));

    primary.send_line("send hello_secondary");
    ASSERT_TRUE(secondary.expect("core 3: Received 'hello_secondary'\r\n")) << secondary.output();
    secondary.send_line("send hello primary, with spaces");
    ASSERT_TRUE(primary.expect("core 1: Received 'hello primary, with spaces'\r\n"))
        << primary.output();
    // Line editing: a typo rubbed out with backspace is not sent.
    primary.send_line("send typo\x7f\x7f\x7f\x7f" "fixed");
    ASSERT_TRUE(secondary.expect("core 3: Received 'fixed'\r\n")) << secondary.output();
    // History: the up arrow brings the last command back.
    primary.send_line("\x1b[A");
    ASSERT_TRUE(secondary.expect("core 3: Received 'fixed'\r\n")) << secondary.output();

    secondary.send_line("quit");
    EXPECT_TRUE(exits_cleanly(secondary));
    primary.send_line("quit");
    EXPECT_TRUE(exits_cleanly(primary));
    EXPECT_EQ(received(primary.output(), 1), std::vector<std::string>{"hello primary, with spaces"});
    EXPECT_EQ(received(secondary.output(), 3),
              (std::vector<std::string>{"hello_secondary", "fixed", "fixed"}));
}

TEST(SimpleMp, MessagesCrossBothWaysWithCommandsPipedIn)
{
    DpdkPrefix prefix("smp_pipe");
    Process primary(primary_args(prefix), Io::pipe);
    ASSERT_TRUE(ready(primary));
    // --proc-type=auto finds the running primary.
    Process secondary(simple_mp(prefix, secondary_lcores, {"--proc-type=auto"}), Io::pipe);
    ASSERT_TRUE(ready(secondary));

    primary.send_line("send to_secondary");
    secondary.send_line("send to_primary");
    // Received lines reach a pipe at once, whole.
    ASSERT_TRUE(secondary.expect("core 3: Received 'to_secondary'\n")) << secondary.output();
    ASSERT_TRUE(primary.expect("core 1: Received 'to_primary'\n")) << primary.output();
    primary.send_line("help");
    EXPECT_TRUE(primary.expect("  send <message>")) << primary.output();

    // The end of the input ends the program as "quit" does.
    secondary.close_stdin();
    EXPECT_TRUE(exits_cleanly(secondary));
    primary.close_stdin();
    EXPECT_TRUE(exits_cleanly(primary));
    EXPECT_EQ(occurrences(primary.output() + secondary.output(), "error"), 0U);
}

TEST(SimpleMp, SecondaryCanBeRestartedWhileThePrimaryRuns)
{
    DpdkPrefix prefix("smp_restart");
    Process primary(primary_args(prefix), Io::pipe);
    ASSERT_TRUE(ready(primary));
    for (const std::string run : {"first", "second"}) {
        Process secondary(secondary_args(prefix), Io::pipe);
        ASSERT_TRUE(ready(secondary));
        secondary.send_line("send from the " + run + " secondary");
        ASSERT_TRUE(primary.expect("core 1: Received 'from the " + run + " secondary'\n"))
            << primary.output();
        primary.send_line("send to the " + run + " secondary");
        ASSERT_TRUE(secondary.expect("core 3: Received 'to the " + run + " secondary'\n"))
            << secondary.output();
        secondary.send_line("quit");
        EXPECT_TRUE(exits_cleanly(secondary));
    }
    primary.send_line("quit");
    EXPECT_TRUE(exits_cleanly(primary));
}

// ------------------------------------------------------------ upstream interop

TEST(SimpleMp, UpstreamPrimaryAndOurSecondaryExchangeBothWays)
{
    const std::string upstream_program = upstream("simple_mp");
    if (upstream_program.empty())
        GTEST_SKIP() << "the upstream simple_mp was not built (dpdk-doc missing)";
    DpdkPrefix prefix("smp_uppri");
    // A terminal, so that the C program's stdout is line-buffered.
    Process primary(simple_mp(prefix, primary_lcores, {"--proc-type=primary"}, upstream_program),
                    Io::pty);
    ASSERT_TRUE(ready(primary, true));
    Process secondary(secondary_args(prefix), Io::pipe);
    ASSERT_TRUE(ready(secondary));

    primary.send_line("send from_upstream");
    ASSERT_TRUE(secondary.expect("core 3: Received 'from_upstream'\n")) << secondary.output();
    secondary.send_line("send from_ours");
    ASSERT_TRUE(primary.expect("core 1: Received 'from_ours'")) << primary.output();

    secondary.send_line("quit");
    EXPECT_TRUE(exits_cleanly(secondary));
    primary.send_line("quit");
    EXPECT_TRUE(exits_cleanly(primary));
}

TEST(SimpleMp, OurPrimaryAndUpstreamSecondaryExchangeBothWays)
{
    const std::string upstream_program = upstream("simple_mp");
    if (upstream_program.empty())
        GTEST_SKIP() << "the upstream simple_mp was not built (dpdk-doc missing)";
    DpdkPrefix prefix("smp_upsec");
    Process primary(primary_args(prefix), Io::pipe);
    ASSERT_TRUE(ready(primary));
    Process secondary(
        simple_mp(prefix, secondary_lcores, {"--proc-type=secondary"}, upstream_program), Io::pty);
    ASSERT_TRUE(ready(secondary, true));

    primary.send_line("send from_ours");
    ASSERT_TRUE(secondary.expect("core 3: Received 'from_ours'")) << secondary.output();
    secondary.send_line("send from_upstream");
    ASSERT_TRUE(primary.expect("core 1: Received 'from_upstream'\n")) << primary.output();

    secondary.send_line("quit");
    EXPECT_TRUE(exits_cleanly(secondary));
    primary.send_line("quit");
    EXPECT_TRUE(exits_cleanly(primary));
}

// ------------------------------------------------------------ load

// Every line of `count` "send <tag>-<i>" commands, written at once.
std::string send_commands(const std::string& tag, int count)
{
    std::string lines;
    for (int i = 0; i < count; ++i)
        lines += "send " + tag + "-" + std::to_string(i) + "\n";
    return lines;
}

std::vector<std::string> numbered(const std::string& tag, int count)
{
    std::vector<std::string> texts;
    for (int i = 0; i < count; ++i)
        texts.push_back(tag + "-" + std::to_string(i));
    return texts;
}

TEST(SimpleMp, FiveThousandMessagesEachWayAllArriveInOrder)
{
    constexpr int count = 5000;
    DpdkPrefix prefix("smp_load");
    Process primary(primary_args(prefix), Io::pipe);
    ASSERT_TRUE(ready(primary));
    Process secondary(secondary_args(prefix), Io::pipe);
    ASSERT_TRUE(ready(secondary));

    // As fast as the prompts take them: far faster than a 63-message ring drains
    // if the sender does not wait.
    primary.write(send_commands("p", count));
    secondary.write(send_commands("s", count));
    ASSERT_TRUE(secondary.expect_count("Received 'p-", count, 180s))
        << "secondary received " << occurrences(secondary.output(), "Received 'p-");
    ASSERT_TRUE(primary.expect_count("Received 's-", count, 180s))
        << "primary received " << occurrences(primary.output(), "Received 's-");

    primary.send_line("quit");
    secondary.send_line("quit");
    EXPECT_TRUE(exits_cleanly(primary, 60s));
    EXPECT_TRUE(exits_cleanly(secondary, 60s));
    EXPECT_TRUE(received(secondary.output(), 3) == numbered("p", count))
        << "the secondary's messages are not p-0 ... p-4999 in order";
    EXPECT_TRUE(received(primary.output(), 1) == numbered("s", count))
        << "the primary's messages are not s-0 ... s-4999 in order";
    EXPECT_EQ(occurrences(primary.output(), "not sent"), 0U);
    EXPECT_EQ(occurrences(secondary.output(), "not sent"), 0U);
}

// ------------------------------------------------------------ refusals

TEST(SimpleMp, TooLongMessagesAreRefusedWithAMessageAndTheNextOneGoes)
{
    DpdkPrefix prefix("smp_long");
    Process primary(primary_args(prefix), Io::pipe);
    ASSERT_TRUE(ready(primary));
    Process secondary(secondary_args(prefix), Io::pipe);
    ASSERT_TRUE(ready(secondary));

    const std::string longest(127, 'x');
    primary.send_line("send " + longest);
    primary.send_line("send " + std::string(128, 'y'));
    // Longer than the line editor's 512-byte buffer: what it kept is still too long.
    primary.send_line("send " + std::string(600, 'z'));
    primary.send_line("send after");
    ASSERT_TRUE(primary.expect("message not sent: it has 128 characters, a MSG_POOL buffer holds "
                               "at most 127\n"))
        << primary.output();
    ASSERT_TRUE(primary.expect_regex("message not sent: it has [0-9]+ characters, a MSG_POOL "
                                     "buffer holds at most 127\n"))
        << primary.output();
    ASSERT_TRUE(secondary.expect("core 3: Received 'after'\n")) << secondary.output();
    EXPECT_EQ(received(secondary.output(), 3), (std::vector<std::string>{longest, "after"}));
    EXPECT_TRUE(primary.running());
}

TEST(SimpleMp, FullRingIsRefusedAfterAWaitAndQueuedMessagesAreDeliveredLater)
{
    DpdkPrefix prefix("smp_full");
    Process primary(primary_args(prefix), Io::pipe);
    ASSERT_TRUE(ready(primary));
    // No secondary yet: PRI_2_SEC holds 63 messages, the 64th waits, then is refused.
    primary.write(send_commands("q", 64));
    ASSERT_TRUE(primary.expect("message not sent: ring PRI_2_SEC stayed full for 3.0 s: the other "
                               "process is not receiving (has it exited?)\n",
                               30s))
        << primary.output();
    EXPECT_EQ(occurrences(primary.output(), "not sent"), 1U);
    EXPECT_TRUE(primary.running());

    Process secondary(secondary_args(prefix), Io::pipe);
    // It receives the queued messages at once, possibly before its prompt shows.
    ASSERT_TRUE(ready(secondary));
    ASSERT_TRUE(secondary.expect_count("core 3: Received 'q-62'\n", 1)) << secondary.output();
    primary.send_line("send after");
    ASSERT_TRUE(secondary.expect("core 3: Received 'after'\n")) << secondary.output();
    std::vector<std::string> expected = numbered("q", 63);
    expected.push_back("after");
    EXPECT_EQ(received(secondary.output(), 3), expected);
}

TEST(SimpleMp, EmptyMessagePoolIsAMessageNotACrash)
{
    DpdkPrefix prefix("smp_pool");
    Process primary(primary_args(prefix), Io::pipe);
    ASSERT_TRUE(ready(primary));
    Process hog(args({{build_root() + "/tests/simple_mp/pool_hog"},
                      eal_args(prefix, "4@0", {}, {"--proc-type=secondary"})}),
                Io::pipe);
    ASSERT_TRUE(hog.expect("holding 1024 buffers, 0 left in the pool", 30s)) << hog.output();

    primary.send_line("send no buffer for me");
    ASSERT_TRUE(primary.expect("message not sent: message pool MSG_POOL is empty (1024 of 1024 "
                               "buffers in use): is the other process receiving?\n"))
        << primary.output();
    EXPECT_TRUE(primary.running());

    hog.send_line("give them back");
    ASSERT_TRUE(hog.expect("returned 1024 buffers")) << hog.output();
    EXPECT_TRUE(exits_cleanly(hog));
    Process secondary(secondary_args(prefix), Io::pipe);
    ASSERT_TRUE(ready(secondary));
    primary.send_line("send now there is room");
    ASSERT_TRUE(secondary.expect("core 3: Received 'now there is room'\n")) << secondary.output();
    EXPECT_EQ(received(secondary.output(), 3), std::vector<std::string>{"now there is room"});
    primary.send_line("quit");
    EXPECT_TRUE(exits_cleanly(primary));
}

// ------------------------------------------------------------ ending

// The terminal settings of the process's standard input (a pty slave).
struct TerminalOf {
    explicit TerminalOf(const Process& p)
        : fd(open(("/proc/" + std::to_string(p.pid()) + "/fd/0").c_str(), O_RDWR | O_NOCTTY))
    {
    }
    ~TerminalOf()
    {
        if (fd >= 0)
            close(fd);
    }
    int fd;
};

TEST(SimpleMp, CtrlCInATerminalEndsBothLcores)
{
    DpdkPrefix prefix("smp_ctrlc");
    Process primary(primary_args(prefix), Io::pty);
    ASSERT_TRUE(ready(primary));
    {
        // The harness's pty has no interrupt key; a user's terminal has ^C.
        TerminalOf terminal(primary);
        termios settings{};
        ASSERT_EQ(tcgetattr(terminal.fd, &settings), 0);
        EXPECT_NE(settings.c_lflag & ISIG, 0U)
            << "the signal keys are off: Ctrl-C would only clear the line";
        EXPECT_EQ(settings.c_lflag & (ICANON | ECHO), 0U) << "the line editor needs raw keys";
        settings.c_cc[VINTR] = 0x03;
        ASSERT_EQ(tcsetattr(terminal.fd, TCSANOW, &settings), 0);
    }
    primary.write("\x03");
    EXPECT_TRUE(exits_cleanly(primary));
}

TEST(SimpleMp, CtrlDAtAnEmptyPromptEndsBothLcores)
{
    DpdkPrefix prefix("smp_ctrld");
    Process primary(primary_args(prefix), Io::pty);
    ASSERT_TRUE(ready(primary));
    primary.write("\x04");
    EXPECT_TRUE(exits_cleanly(primary));
}

TEST(SimpleMp, SigintAndSigtermEndBothLcores)
{
    DpdkPrefix prefix("smp_signals");
    Process primary(primary_args(prefix), Io::pipe);
    ASSERT_TRUE(ready(primary));
    Process secondary(secondary_args(prefix), Io::pipe);
    ASSERT_TRUE(ready(secondary));
    secondary.signal(SIGTERM);
    EXPECT_TRUE(exits_cleanly(secondary));
    primary.signal(SIGINT);
    EXPECT_TRUE(exits_cleanly(primary));
}

// ------------------------------------------------------------ telemetry

TEST(SimpleMp, TelemetryCountsSentReceivedAndRefused)
{
    const std::string telemetry = dpdk_tool("dpdk-telemetry.py");
    if (telemetry.empty())
        GTEST_SKIP() << "dpdk-telemetry.py is not installed";
    DpdkPrefix prefix("smp_tel");
    Process primary(primary_args(prefix), Io::pipe);
    ASSERT_TRUE(ready(primary));
    Process secondary(secondary_args(prefix), Io::pipe);
    ASSERT_TRUE(ready(secondary));

    primary.send_line("send one");
    primary.send_line("send two");
    primary.send_line("send " + std::string(200, 'y'));
    ASSERT_TRUE(primary.expect("message not sent")) << primary.output();
    ASSERT_TRUE(secondary.expect("Received 'two'\n")) << secondary.output();
    secondary.send_line("send three");
    ASSERT_TRUE(primary.expect("Received 'three'\n")) << primary.output();

    Process query({telemetry, "-f", prefix.name()}, Io::pipe);
    query.send_line("/simple_mp/stats");
    query.close_stdin();
    ASSERT_TRUE(exits_cleanly(query));
    EXPECT_NE(query.output().find(R"({"/simple_mp/stats": {"sent": 2, "received": 1, "refused": 1}})"),
              std::string::npos)
        << query.output();
}

// ------------------------------------------------------------ bad starts

TEST(SimpleMp, SecondaryWithoutAPrimarySaysSoInOneLine)
{
    DpdkPrefix prefix("smp_noprimary");
    Process secondary(secondary_args(prefix), Io::pipe);
    const auto exit = secondary.wait_exit(30s);
    ASSERT_TRUE(exit);
    EXPECT_EQ(exit->code, 1);
    EXPECT_NE(secondary.errors().find("simple_mp: error: no primary process is running with "
                                      "--file-prefix=" +
                                      prefix.name() + ": start the primary first\n"),
              std::string::npos)
        << secondary.errors();
    EXPECT_EQ(occurrences(secondary.errors(), "simple_mp: error"), 1U);
}

TEST(SimpleMp, SecondPrimaryIsRefusedAndTheFirstKeepsWorking)
{
    DpdkPrefix prefix("smp_twoprimaries");
    Process primary(primary_args(prefix), Io::pipe);
    ASSERT_TRUE(ready(primary));
    // No --proc-type: a primary, as the seed warns.
    Process second(simple_mp(prefix, secondary_lcores, {}), Io::pipe);
    const auto exit = second.wait_exit(30s);
    ASSERT_TRUE(exit);
    EXPECT_EQ(exit->code, 1);
    EXPECT_NE(second.errors().find("simple_mp: error: a primary process is already running with "
                                   "--file-prefix=" +
                                   prefix.name() +
                                   ": run this one with --proc-type=secondary or another "
                                   "--file-prefix\n"),
              std::string::npos)
        << second.errors();

    Process secondary(secondary_args(prefix), Io::pipe);
    ASSERT_TRUE(ready(secondary));
    primary.send_line("send still here");
    EXPECT_TRUE(secondary.expect("core 3: Received 'still here'\n")) << secondary.output();
}

TEST(SimpleMp, OneLcoreIsAClearErrorAndLeavesNoHugepageFiles)
{
    DpdkPrefix prefix("smp_onelcore");
    Process primary(simple_mp(prefix, "0@0", {"--proc-type=primary"}), Io::pipe);
    const auto exit = primary.wait_exit(30s);
    ASSERT_TRUE(exit);
    EXPECT_EQ(exit->code, 1);
    EXPECT_NE(primary.errors().find("simple_mp: error: need at least 2 lcores (one for the prompt, "
                                    "one to receive messages), but the EAL arguments give 1: pass "
                                    "e.g. -l 0-1\n"),
              std::string::npos)
        << primary.errors();
    EXPECT_TRUE(prefix.leftovers().empty()) << prefix.leftovers().front();
}

TEST(SimpleMp, ApplicationArgumentsAreRefused)
{
    DpdkPrefix prefix("smp_appargs");
    Process primary(args({primary_args(prefix), {"--", "-p", "3"}}), Io::pipe);
    const auto exit = primary.wait_exit(30s);
    ASSERT_TRUE(exit);
    EXPECT_EQ(exit->code, 1);
    EXPECT_NE(primary.errors().find("simple_mp: error: unexpected argument '-p': simple_mp takes "
                                    "EAL arguments only\n"),
              std::string::npos)
        << primary.errors();
    EXPECT_TRUE(prefix.leftovers().empty()) << prefix.leftovers().front();
}

} // namespace
