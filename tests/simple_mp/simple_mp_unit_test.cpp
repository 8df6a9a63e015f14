/* SPDX-License-Identifier: BSD-3-Clause */
// simple_mp's units against real DPDK rings and pools, in one process: EAL runs
// once for the binary, in memory only (no hugepage files).
#include <gtest/gtest.h>

#include <mp/all.hpp>

#include "../harness/argv.hpp"
#include "../harness/in_process_eal.hpp"
#include "commands.hpp"
#include "message_channel.hpp"
#include "receiver.hpp"
#include "sender.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace simple_mp;
using namespace std::chrono_literals;

namespace {

const auto* const g_env = mptest::InProcessEal::for_all_tests("simple_mp_unit", {"--lcores=0@0,1@1"});

// The primary's objects for one test; freed at its end so the next test can
// create them again under the same names.
struct PrimaryObjects : ::testing::Test {
    // No lcore claimed: the tests use a put mark of their own.
    MessageChannel channel = MessageChannel::create({});
    Stats stats;
    std::atomic<uint32_t> put_mark{0};

    std::vector<std::string> drain(mp::Ring<Message> ring)
    {
        std::vector<std::string> texts;
        Message* m = nullptr;
        while (ring.dequeue(m)) {
            texts.emplace_back(m->text);
            channel.pool().put(m);
        }
        return texts;
    }
};

// Everything written to a FILE*, for the receiver's output.
class CapturedOutput {
public:
    CapturedOutput() : file_(open_memstream(&data_, &size_)) {}
    ~CapturedOutput()
    {
        std::fclose(file_);
        std::free(data_);
    }
    std::FILE* file() { return file_; }
    std::string text()
    {
        std::fflush(file_);
        return std::string(data_, size_);
    }

private:
    char* data_ = nullptr;
    std::size_t size_ = 0;
    std::FILE* file_;
};

TEST_F(PrimaryObjects, PrimaryCreatesTheUpstreamObjectsAndTheSecondarySwapsTheRings)
{
    EXPECT_STREQ(channel.send_ring().name(), "PRI_2_SEC");
    EXPECT_STREQ(channel.receive_ring().name(), "SEC_2_PRI");
    EXPECT_EQ(channel.send_ring().capacity(), 63U);
    EXPECT_EQ(channel.receive_ring().capacity(), 63U);
    EXPECT_STREQ(channel.pool().name(), "MSG_POOL");
    EXPECT_EQ(channel.pool().size(), 1024U);
    EXPECT_EQ(channel.pool().element_size(), 128U);
    EXPECT_EQ(channel.pool().native()->cache_size, 32U);

    const MessageChannel secondary = MessageChannel::attach({});
    EXPECT_EQ(secondary.send_ring().native(), channel.receive_ring().native());
    EXPECT_EQ(secondary.receive_ring().native(), channel.send_ring().native());
    EXPECT_EQ(secondary.pool().native(), channel.pool().native());
}

TEST(MessageChannel, AttachWithoutAPrimarysObjectsNamesTheMissingRing)
{
    EXPECT_EQ(mptest::error_of<mp::StartupError>([] { MessageChannel::attach({}); }),
              "cannot find ring 'SEC_2_PRI': is the primary process running with the same "
              "--file-prefix?");
}

TEST_F(PrimaryObjects, SendPutsTheTextOnThePeersRing)
{
    Sender sender(channel.send_ring(), channel.pool(), put_mark, stats, Sender::Side::primary);
    EXPECT_EQ(sender.send("hello secondary"), SendStatus::sent);
    EXPECT_EQ(sender.send("two words"), SendStatus::sent);
    EXPECT_EQ(drain(channel.send_ring()),
              (std::vector<std::string>{"hello secondary", "two words"}));
    EXPECT_TRUE(channel.receive_ring().empty());
    EXPECT_EQ(stats.sent, 2U);
    EXPECT_EQ(stats.refused, 0U);
}

TEST_F(PrimaryObjects, TextOfExactly127CharactersFitsAnd128IsRefused)
{
    Sender sender(channel.send_ring(), channel.pool(), put_mark, stats, Sender::Side::primary);
    const std::string longest(127, 'x');
    const std::string too_long(128, 'y');
    EXPECT_EQ(sender.send(longest), SendStatus::sent);
    EXPECT_EQ(sender.send(too_long), SendStatus::too_long);
    EXPECT_EQ(sender.refusal(SendStatus::too_long, too_long),
              "message not sent: it has 128 bytes, a MSG_POOL buffer holds at most 127");
    EXPECT_EQ(sender.send(""), SendStatus::empty);
    EXPECT_EQ(drain(channel.send_ring()), std::vector<std::string>{longest});
    EXPECT_EQ(stats.sent, 1U);
    EXPECT_EQ(stats.refused, 2U);
    EXPECT_EQ(channel.pool().in_use(), 0U) << "a refused message must give its buffer back";
}

TEST_F(PrimaryObjects, SendWaitsForRoomWhenThePeersRingIsFull)
{
    Sender sender(channel.send_ring(), channel.pool(), put_mark, stats, Sender::Side::primary, 20s);
    for (int i = 0; i < 63; ++i)
        ASSERT_EQ(sender.send("fill " + std::to_string(i)), SendStatus::sent);
    ASSERT_EQ(channel.send_ring().free_count(), 0U);

    // The peer takes one message a little later; the send must wait for it.
    std::thread peer([&] {
        std::this_thread::sleep_for(200ms);
        Message* m = nullptr;
        ASSERT_TRUE(channel.send_ring().dequeue(m));
        EXPECT_STREQ(m->text, "fill 0");
        channel.pool().put(m);
    });
    EXPECT_EQ(sender.send("waited"), SendStatus::sent);
    peer.join();
    const std::vector<std::string> left = drain(channel.send_ring());
    ASSERT_EQ(left.size(), 63U);
    EXPECT_EQ(left.front(), "fill 1");
    EXPECT_EQ(left.back(), "waited");
    EXPECT_EQ(stats.refused, 0U);
}

TEST_F(PrimaryObjects, SendGivesUpWhenThePeersRingStaysFull)
{
    Sender sender(channel.send_ring(), channel.pool(), put_mark, stats, Sender::Side::primary, 100ms);
    for (int i = 0; i < 63; ++i)
        ASSERT_EQ(sender.send("fill"), SendStatus::sent);
    EXPECT_EQ(sender.send("one too many"), SendStatus::ring_full);
    EXPECT_EQ(sender.refusal(SendStatus::ring_full, "one too many"),
              "message not sent: ring PRI_2_SEC stayed full for 0.1 s: the other process is not "
              "receiving (has it exited?)");
    EXPECT_EQ(stats.sent, 63U);
    EXPECT_EQ(stats.refused, 1U);
    EXPECT_EQ(channel.pool().in_use(), 63U) << "the refused message's buffer went back to the pool";
    EXPECT_EQ(drain(channel.send_ring()).size(), 63U);
}

TEST_F(PrimaryObjects, EmptyPoolIsRefusedWithAMessage)
{
    auto small = mp::Mempool<Message>::create("UT_SMALL_POOL", 4, 0, sizeof(Message));
    Message* taken[4];
    ASSERT_TRUE(small.get_bulk(taken, 4));
    Sender sender(channel.send_ring(), small, put_mark, stats, Sender::Side::primary);
    EXPECT_EQ(sender.send("no buffer"), SendStatus::pool_empty);
    EXPECT_EQ(sender.refusal(SendStatus::pool_empty, "no buffer"),
              "message not sent: message pool UT_SMALL_POOL is empty (4 of 4 buffers in use): "
              "is the other process receiving?");
    EXPECT_EQ(stats.refused, 1U);
    EXPECT_TRUE(channel.send_ring().empty());
    small.put_bulk(taken, 4);
    EXPECT_EQ(sender.send("now it fits"), SendStatus::sent);
    Message* m = nullptr;
    ASSERT_TRUE(channel.send_ring().dequeue(m));
    EXPECT_STREQ(m->text, "now it fits");
    small.put(m);
}

TEST_F(PrimaryObjects, ReceiverPrintsOneWholeLinePerMessageAndFreesTheBuffers)
{
    Sender peer(channel.receive_ring(), channel.pool(), put_mark, stats, Sender::Side::primary);
    for (const char* text : {"first", "second one", "third"})
        ASSERT_EQ(peer.send(text), SendStatus::sent);
    CapturedOutput out;
    Receiver receiver(channel.receive_ring(), channel.pool(), put_mark, stats, out.file());
    EXPECT_EQ(receiver.poll(7), 3U);
    EXPECT_EQ(receiver.poll(7), 0U);
    EXPECT_EQ(out.text(), "core 7: Received 'first'\n"
                          "core 7: Received 'second one'\n"
                          "core 7: Received 'third'\n");
    EXPECT_EQ(stats.received, 3U);
    EXPECT_EQ(channel.pool().in_use(), 0U);
}

TEST_F(PrimaryObjects, ReceiverNeverReadsPastAnUnterminatedBuffer)
{
    Message* m = channel.pool().get();
    ASSERT_NE(m, nullptr);
    std::memset(m->text, 'z', sizeof(m->text)); // another program's bad message
    ASSERT_TRUE(channel.receive_ring().enqueue(m));
    CapturedOutput out;
    Receiver receiver(channel.receive_ring(), channel.pool(), put_mark, stats, out.file());
    EXPECT_EQ(receiver.poll(1), 1U);
    EXPECT_EQ(out.text(), "core 1: Received '" + std::string(128, 'z') + "'\n");
}

// The command table, driven as the prompt drives it (LineInput) through a
// cmdline that writes into a pipe.
class CommandLine {
public:
    explicit CommandLine(cmdline_parse_ctx_t* context)
    {
        if (pipe2(out_, O_NONBLOCK | O_CLOEXEC) != 0)
            throw std::runtime_error("pipe");
        cl_ = cmdline_new(context, "> ", -1, out_[1]);
        input_.emplace(cl_, out_[1], "> ");
    }
    ~CommandLine()
    {
        cmdline_free(cl_); // closes the pipe's write end
        close(out_[0]);
    }
    // Types `line` and returns what the prompt printed for it.
    std::string type(const std::string& line)
    {
        input_->feed(line);
        std::string text;
        char buf[4096];
        for (ssize_t n; (n = read(out_[0], buf, sizeof(buf))) > 0;)
            text.append(buf, static_cast<std::size_t>(n));
        return text;
    }

private:
    int out_[2] = {-1, -1};
    cmdline* cl_ = nullptr;
    std::optional<LineInput> input_;
};

TEST_F(PrimaryObjects, SendCommandTakesTheRestOfTheLineWithoutTrailingBlanks)
{
    Sender sender(channel.send_ring(), channel.pool(), put_mark, stats, Sender::Side::primary);
    Commands commands(sender);
    CommandLine cl(commands.context());
    cl.type("send hello\n");
    cl.type("send two  words \t \n");
    EXPECT_EQ(drain(channel.send_ring()), (std::vector<std::string>{"hello", "two  words"}));
}

// cmdline's line editor drops every byte from 0x80 up: "Atatürk" used to go
// out as "Atatrk".
TEST_F(PrimaryObjects, Utf8TextIsSentByteExactAndEchoed)
{
    Sender sender(channel.send_ring(), channel.pool(), put_mark, stats, Sender::Side::primary);
    Commands commands(sender);
    CommandLine cl(commands.context());
    const std::string echoed = cl.type("send Atatürk\n");
    EXPECT_NE(echoed.find("send Atatürk\r\n"), std::string::npos) << echoed;
    cl.type("send Ünïcødé with spaces, “quotes” and 🙂\r");
    EXPECT_EQ(drain(channel.send_ring()),
              (std::vector<std::string>{"Atatürk", "Ünïcødé with spaces, “quotes” and 🙂"}));
}

TEST_F(PrimaryObjects, Utf8TextOf127BytesFitsAnd128IsRefusedInOneLine)
{
    Sender sender(channel.send_ring(), channel.pool(), put_mark, stats, Sender::Side::primary);
    Commands commands(sender);
    CommandLine cl(commands.context());
    std::string longest;
    while (longest.size() < 126)
        longest += "ü"; // two bytes each
    longest += "x";
    ASSERT_EQ(longest.size(), 127U);
    cl.type("send " + longest + "\n");
    const std::string refused = cl.type("send " + longest + "y\n");
    EXPECT_NE(refused.find("\r\nmessage not sent: it has 128 bytes, a MSG_POOL buffer holds at "
                           "most 127\n"),
              std::string::npos)
        << refused;
    EXPECT_EQ(drain(channel.send_ring()), std::vector<std::string>{longest});
    EXPECT_EQ(stats.refused, 1U);
}

TEST_F(PrimaryObjects, NonAsciiLineWithEditingKeysIsRefusedNotAltered)
{
    Sender sender(channel.send_ring(), channel.pool(), put_mark, stats, Sender::Side::primary);
    Commands commands(sender);
    CommandLine cl(commands.context());
    // Backspace would rub out the editor's copy, which lacks the "ü".
    const std::string out = cl.type("send Atatürk\x7f\x7fXY\n");
    EXPECT_NE(out.find(std::string("\r\n") + LineInput::edited_refusal + "\n"), std::string::npos)
        << out;
    EXPECT_TRUE(channel.send_ring().empty());
    // Recalled from the history, a non-ASCII line comes back whole.
    cl.type("send Atatürk\n");
    cl.type("\x1b[A\n");
    EXPECT_EQ(drain(channel.send_ring()), (std::vector<std::string>{"Atatürk", "Atatürk"}));
}

TEST_F(PrimaryObjects, CommandErrorsAreOneLineEach)
{
    Sender sender(channel.send_ring(), channel.pool(), put_mark, stats, Sender::Side::primary);
    Commands commands(sender);
    CommandLine cl(commands.context());
    const std::string too_long = "send " + std::string(128, 'y') + "\n";
    EXPECT_NE(cl.type(too_long).find("\r\nmessage not sent: it has 128 bytes, a MSG_POOL "
                                     "buffer holds at most 127\n"),
              std::string::npos);
    EXPECT_NE(cl.type("send\n").find("Bad arguments\n"), std::string::npos);
    EXPECT_NE(cl.type("sned x\n").find("Command not found\n"), std::string::npos);
    EXPECT_NE(cl.type("sénd x\n").find("Command not found\n"), std::string::npos);
    EXPECT_TRUE(channel.send_ring().empty());
    EXPECT_EQ(stats.refused, 1U);
}

TEST_F(PrimaryObjects, HelpListsTheCommands)
{
    Sender sender(channel.send_ring(), channel.pool(), put_mark, stats, Sender::Side::primary);
    Commands commands(sender);
    CommandLine cl(commands.context());
    const std::string out = cl.type("help\n");
    EXPECT_NE(out.find(help_text), std::string::npos) << out;
    for (const char* command : {"  send <message>", "  help", "  quit"})
        EXPECT_NE(out.find(command), std::string::npos) << command;
}

} // namespace
