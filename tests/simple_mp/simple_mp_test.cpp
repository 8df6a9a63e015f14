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

#include <dirent.h>
#include <fcntl.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <thread>
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
// for on its own. The line editor writes its prompt a character at a time, so
// a received line can cut it in two: when messages may arrive at once (and for
// the upstream program, which starts its receiver and prompt together) only
// the receiver is waited for.
::testing::AssertionResult ready(Process& p, bool prompt_may_be_cut = false)
{
    if (p.expect_count("APP: Finished Process Init.", 1, 30s) &&
        p.expect_count("Starting core ", 1, 30s) &&
        (prompt_may_be_cut || p.expect_on_stdout("simple_mp > ", 30s))) {
        // Past the prompt in output() too, unless a stderr line landed inside it.
        (void)p.expect("simple_mp > ", 0ms);
        return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "not ready; output:\n" << p.output();
}

::testing::AssertionResult exits_cleanly(Process& p, std::chrono::milliseconds timeout = 20s)
{
    const auto exit = p.wait_exit(timeout);
    if (!exit)
        return ::testing::AssertionFailure() << "still running; output:\n" << p.output();
    if (exit->code != 0)
        return ::testing::AssertionFailure()
               << "exit code " << exit->code << ", signal " << exit->signal << "; output:\n"
               << p.output();
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

// Types "send <text>" at `from` and waits for `to` (receiving on `lcore`) to
// print it; `eol` is "\r\n" on a terminal.
::testing::AssertionResult delivers(Process& from, Process& to, unsigned lcore,
                                    const std::string& text, std::string_view eol = "\n")
{
    from.send_line("send " + text);
    const std::string line =
        "core " + std::to_string(lcore) + ": Received '" + text + "'" + std::string(eol);
    if (to.expect(line))
        return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "'" << text << "' did not arrive; sender:\n"
                                         << from.output() << "\nreceiver:\n"
                                         << to.output();
}

::testing::AssertionResult quits(Process& p)
{
    p.send_line("quit");
    return exits_cleanly(p);
}

// A primary and a secondary of this program, commands piped in, both at their
// prompt.
class SimpleMpPair : public ::testing::Test {
protected:
    void SetUp() override
    {
        primary.emplace(primary_args(prefix), Io::pipe);
        ASSERT_TRUE(ready(*primary));
        secondary.emplace(secondary_args(prefix), Io::pipe);
        ASSERT_TRUE(ready(*secondary));
    }

    // Declared first, so that it goes last: the processes end before their files go.
    DpdkPrefix prefix{"smp_pair"};
    std::optional<Process> primary;
    std::optional<Process> secondary;
};

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

    ASSERT_TRUE(delivers(primary, secondary, 3, "hello_secondary", "\r\n"));
    ASSERT_TRUE(delivers(secondary, primary, 1, "hello primary, with spaces", "\r\n"));
    // Line editing: a typo rubbed out with backspace is not sent.
    primary.send_line("send typo\x7f\x7f\x7f\x7f"
                      "fixed");
    ASSERT_TRUE(secondary.expect("core 3: Received 'fixed'\r\n")) << secondary.output();
    // History: the up arrow brings the last command back.
    primary.send_line("\x1b[A");
    ASSERT_TRUE(secondary.expect("core 3: Received 'fixed'\r\n")) << secondary.output();

    EXPECT_TRUE(quits(secondary));
    EXPECT_TRUE(quits(primary));
    EXPECT_EQ(received(primary.output(), 1),
              std::vector<std::string>{"hello primary, with spaces"});
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

    // Received lines reach a pipe at once, whole.
    ASSERT_TRUE(delivers(primary, secondary, 3, "to_secondary"));
    ASSERT_TRUE(delivers(secondary, primary, 1, "to_primary"));
    primary.send_line("help");
    EXPECT_TRUE(primary.expect("  send <message>")) << primary.output();

    // The end of the input ends the program as "quit" does.
    secondary.close_stdin();
    EXPECT_TRUE(exits_cleanly(secondary));
    primary.close_stdin();
    EXPECT_TRUE(exits_cleanly(primary));
    EXPECT_EQ(occurrences(primary.output() + secondary.output(), "error"), 0U);
}

// DPDK's line editor drops every byte from 0x80 up: "Atatürk" arrived as
// "Atatrk". Typed at a terminal, UTF-8 must arrive byte for byte.
TEST(SimpleMp, Utf8MessagesCrossBothWaysByteExactAtTheTerminal)
{
    DpdkPrefix prefix("smp_utf8");
    Process primary(primary_args(prefix), Io::pty);
    ASSERT_TRUE(ready(primary));
    Process secondary(secondary_args(prefix), Io::pty);
    ASSERT_TRUE(ready(secondary));

    ASSERT_TRUE(delivers(primary, secondary, 3, "Atatürk", "\r\n"));
    ASSERT_TRUE(delivers(secondary, primary, 1, "Ünïcødé, “quotes” and 🙂", "\r\n"));
    // The longest message, in two-byte characters: 63 x "ü" and "x" = 127 bytes.
    std::string longest;
    for (int i = 0; i < 63; ++i)
        longest += "ü";
    longest += "x";
    ASSERT_EQ(longest.size(), 127U);
    ASSERT_TRUE(delivers(primary, secondary, 3, longest, "\r\n"));
    // One byte more is refused, in one line, and nothing is sent.
    primary.send_line("send " + longest + "y");
    ASSERT_TRUE(primary.expect("message not sent: it has 128 bytes, a MSG_POOL buffer holds at "
                               "most 127\r\n"))
        << primary.output();
    ASSERT_TRUE(delivers(primary, secondary, 3, "après", "\r\n"));

    EXPECT_TRUE(quits(secondary));
    EXPECT_TRUE(quits(primary));
    EXPECT_EQ(occurrences(primary.output(), "message not sent"), 1U) << primary.output();
    EXPECT_EQ(received(secondary.output(), 3),
              (std::vector<std::string>{"Atatürk", longest, "après"}));
}

TEST(SimpleMp, SecondaryCanBeRestartedWhileThePrimaryRuns)
{
    DpdkPrefix prefix("smp_restart");
    Process primary(primary_args(prefix), Io::pipe);
    ASSERT_TRUE(ready(primary));
    for (const std::string run : {"first", "second"}) {
        Process secondary(secondary_args(prefix), Io::pipe);
        ASSERT_TRUE(ready(secondary));
        ASSERT_TRUE(delivers(secondary, primary, 1, "from the " + run + " secondary"));
        ASSERT_TRUE(delivers(primary, secondary, 3, "to the " + run + " secondary"));
        EXPECT_TRUE(quits(secondary));
    }
    EXPECT_TRUE(quits(primary));
}

TEST_F(SimpleMpPair, SecondaryRefusesToSendOnceThePrimaryHasExited)
{
    ASSERT_TRUE(quits(*primary));
    secondary->send_line("send anyone there?");
    EXPECT_TRUE(secondary->expect("message not sent: the primary process has exited, nobody "
                                  "receives: quit, then start the primary again before this "
                                  "process\n"))
        << secondary->output();
    EXPECT_TRUE(quits(*secondary));
}

// ------------------------------------------------------------ upstream interop

// The parameter says which side runs the upstream C program.
enum class UpstreamSide { primary, secondary };

class Interop : public ::testing::TestWithParam<UpstreamSide> {};

TEST_P(Interop, MessagesCrossBothWays)
{
    const std::string upstream_program = upstream("simple_mp");
    if (upstream_program.empty())
        GTEST_SKIP() << "the upstream simple_mp was not built (dpdk-doc missing)";
    const bool upstream_primary = GetParam() == UpstreamSide::primary;
    DpdkPrefix prefix("smp_interop");
    // The C program runs on a terminal, so that its stdout is line-buffered.
    const auto io = [](bool upstream_side) { return upstream_side ? Io::pty : Io::pipe; };
    const auto eol = [](bool upstream_side) { return upstream_side ? "\r\n" : "\n"; };
    const auto program = [&](bool upstream_side) {
        return upstream_side ? upstream_program : binary("simple_mp");
    };

    Process primary(
        simple_mp(prefix, primary_lcores, {"--proc-type=primary"}, program(upstream_primary)),
        io(upstream_primary));
    ASSERT_TRUE(ready(primary, upstream_primary));
    Process secondary(
        simple_mp(prefix, secondary_lcores, {"--proc-type=secondary"}, program(!upstream_primary)),
        io(!upstream_primary));
    ASSERT_TRUE(ready(secondary, !upstream_primary));

    // One word: the C program's "send" takes no spaces.
    ASSERT_TRUE(delivers(primary, secondary, 3, "to_the_secondary", eol(!upstream_primary)));
    ASSERT_TRUE(delivers(secondary, primary, 1, "to_the_primary", eol(upstream_primary)));
    EXPECT_TRUE(quits(secondary));
    EXPECT_TRUE(quits(primary));
}

INSTANTIATE_TEST_SUITE_P(SimpleMp, Interop,
                         ::testing::Values(UpstreamSide::primary, UpstreamSide::secondary),
                         [](const ::testing::TestParamInfo<UpstreamSide>& info) {
                             return info.param == UpstreamSide::primary ? "UpstreamPrimary"
                                                                        : "UpstreamSecondary";
                         });

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

TEST_F(SimpleMpPair, FiveThousandMessagesEachWayAllArriveInOrder)
{
    constexpr int count = 5000;

    // As fast as the prompts take them: far faster than a 63-message ring drains
    // if the sender does not wait.
    const auto started = std::chrono::steady_clock::now();
    primary->write(send_commands("p", count));
    secondary->write(send_commands("s", count));
    ASSERT_TRUE(secondary->expect_count("Received 'p-", count, 60s))
        << "secondary received " << occurrences(secondary->output(), "Received 'p-");
    ASSERT_TRUE(primary->expect_count("Received 's-", count, 60s))
        << "primary received " << occurrences(primary->output(), "Received 's-");
    // docs/simple_mp.rst: under a second on an idle machine (a history kept per
    // line once made it 18 s). The bound leaves room for a loaded CI machine.
    const auto took = std::chrono::steady_clock::now() - started;
    std::printf("[ measured ] 5000 messages each way: %lld ms\n",
                static_cast<long long>(
                    std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
    EXPECT_LT(took, 6s);

    EXPECT_TRUE(quits(*primary));
    EXPECT_TRUE(quits(*secondary));
    EXPECT_TRUE(received(secondary->output(), 3) == numbered("p", count))
        << "the secondary's messages are not p-0 ... p-4999 in order";
    EXPECT_TRUE(received(primary->output(), 1) == numbered("s", count))
        << "the primary's messages are not s-0 ... s-4999 in order";
    EXPECT_EQ(occurrences(primary->output(), "not sent"), 0U);
    EXPECT_EQ(occurrences(secondary->output(), "not sent"), 0U);
}

// 1000 messages written at once to our primary while the upstream secondary
// is stopped (SIGSTOP) until the ring is full: its receiver then gets every
// one, in order (our sender waits for room in the ring; upstream's would drop).
TEST(SimpleMp, UpstreamReceiverGetsEveryMessageUnderLoad)
{
    const std::string upstream_program = upstream("simple_mp");
    if (upstream_program.empty())
        GTEST_SKIP() << "the upstream simple_mp was not built (dpdk-doc missing)";
    constexpr int count = 1000;
    DpdkPrefix prefix("smp_upload");
    Process primary(primary_args(prefix), Io::pipe);
    ASSERT_TRUE(ready(primary));
    Process secondary(simple_mp(prefix, secondary_lcores, {"--proc-type=secondary"},
                                upstream_program),
                      Io::pty);
    // Its prompt first: written into a terminal the receiver prints to, it
    // could cut a received line in two. Its receiver's "Starting core" line
    // may land inside the prompt itself: the prompt's end is awaited.
    ASSERT_TRUE(ready(secondary, true));
    ASSERT_TRUE(secondary.expect_count("> ", 1, 30s)) << secondary.output();
    secondary.signal(SIGSTOP);
    primary.write(send_commands("p", count));
    // 63 fill PRI_2_SEC, the 64th waits for room (the first prompt, and one per
    // message sent).
    EXPECT_TRUE(primary.expect_count("simple_mp > ", 64)) << primary.output();
    secondary.signal(SIGCONT);
    ASSERT_TRUE(secondary.expect_count("Received 'p-", count, 20s))
        << "received " << occurrences(secondary.output(), "Received 'p-");
    EXPECT_TRUE(received(secondary.output(), 3) == numbered("p", count))
        << "not p-0 ... p-999 in order";
    EXPECT_EQ(occurrences(primary.output(), "not sent"), 0U);
    EXPECT_TRUE(quits(secondary));
    EXPECT_TRUE(quits(primary));
}

// `#` starts a comment; what a process held goes back to the pool when it
// quits, so all 1024 buffers are free again (some may wait in the primary's
// lcore caches, out of another process's reach).
TEST_F(SimpleMpPair, ACommentIsNotSentAndEveryBufferIsBackAfterTheSecondaryQuits)
{
    ASSERT_TRUE(delivers(*primary, *secondary, 3, "kept"));
    primary->send_line("send before # after");
    ASSERT_TRUE(secondary->expect("core 3: Received 'before'\n")) << secondary->output();
    ASSERT_TRUE(delivers(*secondary, *primary, 1, "back"));
    for (int i = 0; i < 100; ++i)
        ASSERT_TRUE(delivers(*secondary, *primary, 1, std::string("m").append(std::to_string(i))));
    EXPECT_TRUE(quits(*secondary));
    EXPECT_EQ(received(secondary->output(), 3), (std::vector<std::string>{"kept", "before"}));

    Process hog(args({{build_root() + "/tests/simple_mp/pool_hog"},
                      eal_args(prefix, "4@0", {}, {"--proc-type=secondary"})}),
                Io::pipe);
    const auto held = hog.expect_regex("holding ([0-9]+) buffers, ([0-9]+) left in the pool", 30s);
    ASSERT_TRUE(held) << hog.output();
    EXPECT_EQ(std::stoul((*held)[1]) + std::stoul((*held)[2]), 1024U) << hog.output();
    hog.send_line("give them back");
    EXPECT_TRUE(exits_cleanly(hog));
    EXPECT_TRUE(quits(*primary));
}

// ------------------------------------------------------------ kill -9

// The thread of `pid` that runs EAL worker lcore `lcore` ("lcore-worker-3" in
// 22.11, "dpdk-worker3" in 24.11); -1 if none.
pid_t worker_thread(pid_t pid, unsigned lcore)
{
    const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
    std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir(tasks.c_str()), &closedir);
    while (dir) {
        const dirent* entry = readdir(dir.get());
        if (entry == nullptr)
            break;
        std::ifstream file(tasks + "/" + entry->d_name + "/comm");
        std::string comm;
        std::getline(file, comm);
        if (comm.find("worker") != std::string::npos && comm.ends_with(std::to_string(lcore)))
            return static_cast<pid_t>(std::stol(entry->d_name));
    }
    return -1;
}

uint32_t read_u32(pid_t pid, uintptr_t address)
{
    uint32_t value = 0;
    iovec local{&value, sizeof(value)};
    iovec remote{reinterpret_cast<void*>(address), sizeof(value)};
    return process_vm_readv(pid, &local, 1, &remote, 1, 0) == sizeof(value) ? value : 0;
}

// Runs thread `tid` of `pid` one instruction at a time (ptrace) until the
// ring consumer's head and tail at `head` and `tail` differ, i.e. it is inside
// a dequeue, and kills the process there (kill -9). False if that did not
// happen before `give_up`.
bool kill_inside_dequeue(pid_t pid, pid_t tid, uintptr_t head, uintptr_t tail,
                         std::chrono::steady_clock::time_point give_up)
{
    int status = 0;
    if (ptrace(PTRACE_SEIZE, tid, nullptr, nullptr) != 0 ||
        ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr) != 0 ||
        waitpid(tid, &status, __WALL) != tid)
        return false;
    while (std::chrono::steady_clock::now() < give_up) {
        if (read_u32(pid, head) != read_u32(pid, tail)) {
            ::kill(pid, SIGKILL);
            // A traced thread stays until its tracer has seen it go.
            while (waitpid(tid, &status, __WALL) == tid && !WIFEXITED(status) &&
                   !WIFSIGNALED(status)) {
            }
            return true;
        }
        if (ptrace(PTRACE_SINGLESTEP, tid, nullptr, nullptr) != 0 ||
            waitpid(tid, &status, __WALL) != tid || WIFEXITED(status) || WIFSIGNALED(status))
            return false;
    }
    ptrace(PTRACE_DETACH, tid, nullptr, nullptr);
    return false;
}

// A secondary killed (kill -9) in the middle of taking messages off PRI_2_SEC,
// while messages flow both ways. On the upstream multi-producer/multi-consumer
// rings its successor spun forever in its first dequeue; on single-producer/
// single-consumer rings it takes the half-taken messages back, both directions
// work again, and the pool hands no buffer out twice.
TEST(SimpleMp, SecondaryKilledInsideARingOperationIsReplacedAndMessagesFlowAgain)
{
    DpdkPrefix prefix("smp_kill");
    Process primary(primary_args(prefix), Io::pipe);
    ASSERT_TRUE(ready(primary));
    std::optional<Process> secondary(std::in_place, secondary_args(prefix), Io::pipe);
    ASSERT_TRUE(ready(*secondary));
    Process probe(args({{build_root() + "/tests/simple_mp/ring_probe"},
                        eal_args(prefix, "5@0", {}, {"--proc-type=secondary"})}),
                  Io::pipe);
    const auto where = probe.expect_regex("consumer head (0x[0-9a-f]+) tail (0x[0-9a-f]+)\n", 30s);
    ASSERT_TRUE(where) << probe.output();
    ASSERT_TRUE(exits_cleanly(probe));
    const pid_t receiver = worker_thread(secondary->pid(), 3);
    ASSERT_GT(receiver, 0) << "no worker thread for lcore 3";

    primary.write(send_commands("p", 2000));
    secondary->write(send_commands("s", 300));
    ASSERT_TRUE(secondary->expect("core 3: Received 'p-", 30s)) << secondary->output();
    ASSERT_TRUE(kill_inside_dequeue(secondary->pid(), receiver, std::stoul((*where)[1], nullptr, 16),
                                    std::stoul((*where)[2], nullptr, 16),
                                    std::chrono::steady_clock::now() + 60s))
        << "never caught the secondary inside a dequeue";
    secondary.reset();

    // Its successor takes over; each direction must carry a message again, in
    // bounded time (the primary may still be sending its backlog).
    secondary.emplace(secondary_args(prefix), Io::pipe);
    ASSERT_TRUE(ready(*secondary, true));
    EXPECT_NE(secondary->output().find("a killed secondary had taken but not printed"),
              std::string::npos)
        << secondary->output();
    secondary->send_line("send after the kill");
    EXPECT_TRUE(primary.expect("core 1: Received 'after the kill'\n", 60s))
        << "the restarted secondary could not send; secondary:\n"
        << secondary->output();
    primary.send_line("send welcome back");
    EXPECT_TRUE(secondary->expect("core 3: Received 'welcome back'\n", 60s))
        << "the restarted secondary receives nothing; secondary:\n"
        << secondary->output();
    EXPECT_TRUE(quits(*secondary));

    // The pool: no buffer twice, and no more lost than a kill can cost (the
    // dead process's burst and message in hand, its two lcore caches if
    // dropped) besides the primary's own two caches.
    Process hog(args({{build_root() + "/tests/simple_mp/pool_hog"},
                      eal_args(prefix, "4@0", {}, {"--proc-type=secondary"})}),
                Io::pipe);
    const auto held = hog.expect_regex("holding ([0-9]+) buffers", 30s);
    ASSERT_TRUE(held) << hog.output();
    const auto distinct = hog.expect_regex("distinct buffers: ([0-9]+)\n", 30s);
    ASSERT_TRUE(distinct) << hog.output();
    const unsigned long count = std::stoul((*held)[1]);
    EXPECT_EQ(std::stoul((*distinct)[1]), count) << "the pool handed a buffer out twice";
    EXPECT_LE(count, 1024U);
    constexpr unsigned long cache_threshold = 48; // 1.5 x the cache size of 32
    EXPECT_GE(count, 1024U - 4 * cache_threshold - 32 - 1) << hog.output();
    hog.send_line("give them back");
    EXPECT_TRUE(exits_cleanly(hog));
    EXPECT_TRUE(quits(primary));
}

// ------------------------------------------------------------ refusals

TEST_F(SimpleMpPair, TooLongMessagesAreRefusedWithAMessageAndTheNextOneGoes)
{
    const std::string longest(127, 'x');
    primary->send_line("send " + longest);
    primary->send_line("send " + std::string(128, 'y'));
    // Longer than the line editor's 512-byte buffer: what it kept is still too long.
    primary->send_line("send " + std::string(600, 'z'));
    primary->send_line("send after");
    ASSERT_TRUE(primary->expect("message not sent: it has 128 bytes, a MSG_POOL buffer holds "
                                "at most 127\n"))
        << primary->output();
    ASSERT_TRUE(primary->expect_regex("message not sent: it has [0-9]+ bytes, a MSG_POOL "
                                      "buffer holds at most 127\n"))
        << primary->output();
    ASSERT_TRUE(secondary->expect("core 3: Received 'after'\n")) << secondary->output();
    EXPECT_EQ(received(secondary->output(), 3), (std::vector<std::string>{longest, "after"}));
    EXPECT_TRUE(primary->running());
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
    // It receives the queued messages at once, before or amid its first prompt.
    ASSERT_TRUE(ready(secondary, true));
    ASSERT_TRUE(secondary.expect_count("core 3: Received 'q-62'\n", 1)) << secondary.output();
    ASSERT_TRUE(delivers(primary, secondary, 3, "after"));
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
    ASSERT_TRUE(delivers(primary, secondary, 3, "now there is room"));
    EXPECT_EQ(received(secondary.output(), 3), std::vector<std::string>{"now there is room"});
    EXPECT_TRUE(quits(primary));
}

// ------------------------------------------------------------ ending

// The terminal settings of the process's standard input (a pty slave).
struct TerminalOf {
    explicit TerminalOf(const Process& p)
        : fd(open(("/proc/" + std::to_string(p.pid()) + "/fd/0").c_str(), O_RDWR | O_NOCTTY))
    {}
    ~TerminalOf()
    {
        if (fd >= 0)
            close(fd);
    }
    int fd;
};

TEST(SimpleMp, CtrlCAndCtrlDAtTheTerminalEndBothLcores)
{
    for (const char* key : {"\x03", "\x04"}) {
        SCOPED_TRACE(key[0] == '\x03' ? "Ctrl-C" : "Ctrl-D");
        DpdkPrefix prefix("smp_keys");
        Process primary(primary_args(prefix), Io::pty);
        ASSERT_TRUE(ready(primary));
        {
            TerminalOf terminal(primary);
            termios settings{};
            ASSERT_EQ(tcgetattr(terminal.fd, &settings), 0);
            EXPECT_NE(settings.c_lflag & ISIG, 0U)
                << "the signal keys are off: Ctrl-C would only clear the line";
            EXPECT_EQ(settings.c_lflag & (ICANON | ECHO), 0U) << "the line editor needs raw keys";
            EXPECT_EQ(settings.c_cc[VINTR], 0x03) << "the terminal's interrupt key is ^C";
        }
        primary.write(key);
        EXPECT_TRUE(exits_cleanly(primary));
    }
}

TEST_F(SimpleMpPair, SigintAndSigtermEndBothLcores)
{
    // The prompt and the receiver look at the quit flag every 100 ms.
    EXPECT_TRUE(stops_on(*secondary, SIGTERM, 2s));
    EXPECT_TRUE(stops_on(*primary, SIGINT, 2s));
}

// Ctrl-C while `send` waits for room on a full ring: that message is given up
// with one line, and the program ends at once instead of after the 3 s wait.
TEST(SimpleMp, SigintWhileASendWaitsForRoomEndsWithTheMessageNotSent)
{
    DpdkPrefix prefix("smp_unsent");
    Process primary(primary_args(prefix), Io::pipe);
    ASSERT_TRUE(ready(primary));
    // Nobody receives: 63 fill PRI_2_SEC, the 64th waits.
    primary.write(send_commands("q", 64));
    ASSERT_TRUE(primary.expect_count("simple_mp > ", 64)) << primary.output();
    EXPECT_TRUE(stops_on(primary, SIGINT, 1s));
    EXPECT_EQ(occurrences(primary.output(), "message not sent: quitting\n"), 1U)
        << primary.output();
    EXPECT_EQ(occurrences(primary.output(), "not sent"), 1U) << primary.output();
}

// ------------------------------------------------------------ telemetry

TEST_F(SimpleMpPair, TelemetryCountsSentReceivedAndRefused)
{
    // dpdk-dev, which the suite installs, brings it: its absence is a failure.
    const std::string telemetry = dpdk_tool("dpdk-telemetry.py");
    ASSERT_FALSE(telemetry.empty()) << "dpdk-telemetry.py not found (package dpdk-dev)";
    ASSERT_TRUE(delivers(*primary, *secondary, 3, "one"));
    ASSERT_TRUE(delivers(*primary, *secondary, 3, "two"));
    primary->send_line("send " + std::string(200, 'y'));
    ASSERT_TRUE(primary->expect("message not sent")) << primary->output();
    ASSERT_TRUE(delivers(*secondary, *primary, 1, "three"));

    Process query({telemetry, "-f", prefix.name()}, Io::pipe);
    query.send_line("/simple_mp/stats");
    query.close_stdin();
    ASSERT_TRUE(exits_cleanly(query));
    EXPECT_NE(
        query.output().find(R"({"/simple_mp/stats": {"sent": 2, "received": 1, "refused": 1}})"),
        std::string::npos)
        << query.output();
}

// ------------------------------------------------------------ bad starts

TEST(SimpleMp, SecondaryWithoutAPrimarySaysSoInOneLine)
{
    DpdkPrefix prefix("smp_noprimary");
    Process secondary(secondary_args(prefix), Io::pipe);
    EXPECT_TRUE(refused(secondary, "simple_mp", "simple_mp: error: no primary process is running with --file-prefix=" +
                                                prefix.name() + ": start the primary first"));
}

TEST(SimpleMp, SecondPrimaryIsRefusedAndTheFirstKeepsWorking)
{
    DpdkPrefix prefix("smp_twoprimaries");
    Process primary(primary_args(prefix), Io::pipe);
    ASSERT_TRUE(ready(primary));
    // No --proc-type: a primary, as the seed warns.
    Process second(simple_mp(prefix, secondary_lcores, {}), Io::pipe);
    EXPECT_TRUE(refused(second, "simple_mp", "simple_mp: error: a primary process is already running with "
                                         "--file-prefix=" +
                                             prefix.name() +
                                             ": run this one with --proc-type=secondary or "
                                             "another --file-prefix"));
    Process secondary(secondary_args(prefix), Io::pipe);
    ASSERT_TRUE(ready(secondary));
    EXPECT_TRUE(delivers(primary, secondary, 3, "still here"));
}

TEST(SimpleMp, OneLcoreIsAClearErrorAndLeavesNoHugepageFiles)
{
    DpdkPrefix prefix("smp_onelcore");
    Process primary(simple_mp(prefix, "0@0", {"--proc-type=primary"}), Io::pipe);
    EXPECT_TRUE(refused(primary, "simple_mp", "simple_mp: error: need at least 2 lcores (one for the prompt, one to "
                                          "receive messages), but the EAL arguments give 1: "
                                          "pass e.g. -l 0-1"));
    EXPECT_TRUE(prefix.leftovers().empty()) << prefix.leftovers().front();
}

TEST(SimpleMp, ApplicationArgumentsAreRefused)
{
    DpdkPrefix prefix("smp_appargs");
    Process primary(args({primary_args(prefix), {"--", "-p", "3"}}), Io::pipe);
    EXPECT_TRUE(refused(primary, "simple_mp",
                        "simple_mp: error: unexpected argument '-p': simple_mp takes EAL "
                        "arguments only (see 'simple_mp --help')"));
    EXPECT_TRUE(prefix.leftovers().empty()) << prefix.leftovers().front();
}

// A word before "--" that EAL does not know would reach nobody: refused once
// EAL has read the line, and the primary it made leaves no files.
TEST(SimpleMp, AStrayWordBeforeTheSeparatorIsRefused)
{
    DpdkPrefix prefix("smp_stray");
    Process primary(args({primary_args(prefix), {"stray", "--"}}), Io::pipe);
    EXPECT_TRUE(refused(primary, "simple_mp",
                        "simple_mp: error: unexpected argument 'stray': the program's own "
                        "options go after \"--\" (see 'simple_mp --help')"));
    EXPECT_TRUE(prefix.leftovers().empty()) << prefix.leftovers().front();
}

} // namespace
