/* SPDX-License-Identifier: BSD-3-Clause */
// dpdk-dumpcap against the running programs (docs/capture.rst): testpmd sends
// a known number of its own packets over memif into a program's two ports,
// dumpcap captures a fixed number of packets to a pcapng file, and the file
// must hold exactly the packets that crossed the processes able to capture on
// this DPDK version: up to 24.11 the primary alone, from 25.11 every process.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <mp/capture.hpp>

#include "memif_peer.hpp"
#include "process.hpp"

using namespace mptest;

namespace {

constexpr bool secondaries_serve = mp::PacketCapture::secondaries_serve;

// dumpcap frees its copies into its pool from lcore 0 (22.11 gives it no
// lcore option): a capturing process must not use lcore 0's cache of it too.
constexpr const char* tool_free_lcore = "2@0";

// Whether process `pid` has shared object `library` ("librte_pdump") mapped.
bool maps_library(pid_t pid, const std::string& library)
{
    std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
    const std::string file = "/" + library + ".so";
    for (std::string line; std::getline(maps, line);)
        if (line.find(file) != std::string::npos)
            return true;
    return false;
}

// ---- a pcapng reader, just what dumpcap writes ------------------------------

enum class Direction { unknown, in, out };

struct CapturedPacket {
    uint32_t interface = 0;
    Direction direction = Direction::unknown;
    std::optional<uint32_t> queue;
    std::string data;
};

struct Capture {
    std::size_t interfaces = 0; // interface description blocks
    std::vector<CapturedPacket> packets;
};

uint32_t u32(const std::string& s, std::size_t at)
{
    uint32_t v = 0;
    std::memcpy(&v, s.data() + at, 4);
    return v;
}
uint16_t u16(const std::string& s, std::size_t at)
{
    uint16_t v = 0;
    std::memcpy(&v, s.data() + at, 2);
    return v;
}

// Options (code, value) from `at` to the end of a block body.
std::multimap<uint16_t, std::string> options(const std::string& block, std::size_t at)
{
    std::multimap<uint16_t, std::string> found;
    while (at + 4 <= block.size()) {
        const uint16_t code = u16(block, at);
        const uint16_t len = u16(block, at + 2);
        if (code == 0 || at + 4 + len > block.size())
            break;
        found.emplace(code, block.substr(at + 4, len));
        at += 4 + ((len + 3U) & ~3U);
    }
    return found;
}

// The blocks of a little-endian pcapng file (what dumpcap writes on x86);
// nullopt if it is not one.
std::optional<Capture> read_pcapng(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    constexpr uint32_t section_header = 0x0A0D0D0A, interface_block = 1, enhanced_packet = 6;
    if (file.size() < 12 || u32(file, 0) != section_header || u32(file, 8) != 0x1A2B3C4D)
        return std::nullopt;
    Capture capture;
    for (std::size_t at = 0; at + 12 <= file.size();) {
        const uint32_t type = u32(file, at);
        const uint32_t length = u32(file, at + 4);
        if (length < 12 || at + length > file.size())
            return std::nullopt;
        const std::string body = file.substr(at + 8, length - 12);
        if (type == interface_block) {
            ++capture.interfaces;
        } else if (type == enhanced_packet) {
            CapturedPacket p;
            p.interface = u32(body, 0);
            const uint32_t captured = u32(body, 12);
            p.data = body.substr(20, captured);
            const auto opts = options(body, 20 + ((captured + 3U) & ~3U));
            if (const auto flags = opts.find(2); flags != opts.end() && flags->second.size() == 4)
                p.direction = static_cast<Direction>(u32(flags->second, 0) & 3U);
            if (const auto queue = opts.find(6); queue != opts.end() && queue->second.size() == 4)
                p.queue = u32(queue->second, 0);
            capture.packets.push_back(std::move(p));
        }
        at += length;
    }
    return capture;
}

// testpmd's txonly packets: IPv4/UDP from 198.18.0.1 to 198.18.0.2.
bool from_testpmd(std::string_view frame)
{
    using namespace std::string_view_literals;
    return frame.size() >= 42 && frame.substr(12, 2) == "\x08\x00"sv && frame[23] == 17 &&
           frame.substr(26, 8) == "\xc6\x12\x00\x01\xc6\x12\x00\x02"sv;
}

// ---- dpdk-dumpcap ---------------------------------------------------------------

// dumpcap of 22.11 keeps the last -i only, and takes "*" for every port;
// later ones take several -i.
std::vector<std::string> both_memif_ports()
{
    if (RTE_VERSION < RTE_VERSION_NUM(23, 3, 0, 0))
        return {"-i", "*"};
    return {"-i", "net_memif0", "-i", "net_memif1"};
}

// Captures both memif ports of `prefix` into a pcapng file, which it removes.
class Dumpcap {
public:
    // `stop` is dumpcap's condition: {"-c", "N"} or {"-a", "duration:S"}.
    Dumpcap(const DpdkPrefix& prefix, std::vector<std::string> stop)
        : no_pci_("/tmp/" + prefix.name() + "_no_pci"), file_("/tmp/" + prefix.name() + ".pcapng"),
          process_(args({{"/usr/bin/env", "SYSFS_PCI_DEVICES=" + make_folder(no_pci_),
                          dpdk_tool("dpdk-dumpcap"), "--file-prefix=" + prefix.name(), "-w", file_},
                         both_memif_ports(), stop}))
    {
    }
    ~Dumpcap()
    {
        process_.kill();
        std::filesystem::remove(file_);
        std::filesystem::remove(no_pci_);
    }

    // Capture is enabled on both ports (dumpcap starts counting).
    bool capturing() { return process_.expect("Packets captured:", 30s); }

    // dumpcap ended by itself with exit code 0 and left a readable file.
    std::optional<Capture> finish(std::chrono::milliseconds limit = 30s)
    {
        const auto exit = process_.wait_exit(limit);
        if (!exit || exit->code != 0)
            return std::nullopt;
        return read_pcapng(file_);
    }

    std::string output() const { return process_.output(); }

private:
    // dumpcap takes no EAL options, so no --no-pci: an empty PCI folder
    // keeps it off the machine's NIC.
    static const std::string& make_folder(const std::string& path)
    {
        std::filesystem::create_directory(path);
        return path;
    }

    std::string no_pci_;
    std::string file_;
    Process process_;
};

// Every packet is testpmd's, on one of the two memif interfaces.
void expect_testpmd_packets(const Capture& capture)
{
    ASSERT_EQ(capture.interfaces, 2U);
    for (const CapturedPacket& p : capture.packets) {
        EXPECT_TRUE(from_testpmd(p.data)) << "a packet testpmd did not send, "
                                          << p.data.size() << " bytes";
        EXPECT_LT(p.interface, 2U);
    }
}

std::size_t count(const Capture& capture, Direction direction, uint32_t queue)
{
    std::size_t n = 0;
    for (const CapturedPacket& p : capture.packets)
        n += p.direction == direction && p.queue == queue;
    return n;
}

bool tools_installed()
{
    return MemifPeer::installed() && !dpdk_tool("dpdk-dumpcap").empty();
}

// Runs dumpcap with `stop`, lets testpmd send once capture is on, and returns
// what dumpcap wrote (all testpmd's packets) when the stop condition ended it.
std::optional<Capture> capture_while_sending(const DpdkPrefix& prefix, MemifPeer& peer,
                                             std::vector<std::string> stop)
{
    Dumpcap dumpcap(prefix, std::move(stop));
    if (!dumpcap.capturing() || !peer.send()) {
        ADD_FAILURE() << "no capture started or nothing sent:\n"
                      << dumpcap.output() << "\ntestpmd:\n" << peer.output();
        return std::nullopt;
    }
    auto capture = dumpcap.finish();
    if (capture)
        expect_testpmd_packets(*capture);
    else
        ADD_FAILURE() << "dumpcap failed:\n" << dumpcap.output();
    return capture;
}

} // namespace

// Two symmetric_mp processes, one queue each: 32 packets into each queue of
// each port, all forwarded. The primary (queue 0) is always captured, the
// secondary (queue 1) from 25.11.
TEST(Capture, SymmetricMpPacketsThatCrossedAreCaptured)
{
    if (!tools_installed())
        GTEST_SKIP() << "dpdk-testpmd or dpdk-dumpcap is not installed";
    MemifPeer peer(2);
    ASSERT_TRUE(peer.ready()) << peer.output();
    DpdkPrefix prefix("cap_smp");
    const auto symmetric = [&](unsigned id, const char* lcores) {
        return args({{binary("symmetric_mp")}, eal_args(prefix, lcores),
                     {peer.client_vdev(0), peer.client_vdev(1), "--proc-type=auto", "--", "-p",
                      "3", "--num-procs", "2", "--proc-id", std::to_string(id)}});
    };
    Process p0(symmetric(0, tool_free_lcore));
    ASSERT_TRUE(p0.expect("APP: Finished Process Init.", 60s)) << p0.output();
    Process p1(symmetric(1, "1@1"));
    ASSERT_TRUE(p1.expect("APP: Finished Process Init.", 60s)) << p1.output();
    ASSERT_TRUE(p1.expect_count("using queue 1 of each port", 1, 20s)) << p1.output();
    ASSERT_TRUE(has_polled(p0.pid()) && has_polled(p1.pid())) << "a process does not poll";
    // librte_pdump (and the 16 shared objects it links) is loaded only where
    // it serves: it would slow every secondary's start-up.
    EXPECT_TRUE(maps_library(p0.pid(), "librte_pdump"));
    EXPECT_EQ(maps_library(p1.pid(), "librte_pdump"), secondaries_serve);

    // 32 in and 32 out, per port and process that captures.
    const unsigned captured_procs = secondaries_serve ? 2 : 1;
    const unsigned expected = 32 * 4 * captured_procs;
    const auto capture = capture_while_sending(prefix, peer, {"-c", std::to_string(expected)});
    ASSERT_TRUE(capture);
    EXPECT_TRUE(peer.received(64)) << peer.output();
    EXPECT_EQ(capture->packets.size(), expected);
    for (uint32_t queue = 0; queue < 2; ++queue) {
        const std::size_t each = queue < captured_procs ? 64 : 0;
        EXPECT_EQ(count(*capture, Direction::in, queue), each) << "queue " << queue;
        EXPECT_EQ(count(*capture, Direction::out, queue), each) << "queue " << queue;
    }
    ASSERT_TRUE(peer.stop());
    EXPECT_TRUE(stops_on(p1, SIGINT, 30s));
    EXPECT_TRUE(stops_on(p0, SIGINT, 30s));
}

// mp_server receives every packet (its RX is always captured); the client
// sends them on (captured from 25.11).
TEST(Capture, MpServerPacketsThatCrossedAreCaptured)
{
    if (!tools_installed())
        GTEST_SKIP() << "dpdk-testpmd or dpdk-dumpcap is not installed";
    MemifPeer peer(1);
    ASSERT_TRUE(peer.ready()) << peer.output();
    DpdkPrefix prefix("cap_cs");
    Process server(args({{binary("mp_server")}, eal_args(prefix, tool_free_lcore),
                         {peer.client_vdev(0), peer.client_vdev(1), "--", "-p", "3", "-n", "1"}}));
    ASSERT_TRUE(server.expect("APP: Finished Process Init.", 60s)) << server.output();
    Process client(args({{binary("mp_client")}, eal_args(prefix, "1@1", {}, {"--proc-type=secondary"}),
                         {"--", "-n", "0"}}));
    ASSERT_TRUE(client.expect("APP: Finished Process Init.", 60s)) << client.output();
    ASSERT_TRUE(has_polled(server.pid()) && has_polled(client.pid())) << "nothing polls";

    const unsigned expected = secondaries_serve ? 128 : 64;
    const auto capture = capture_while_sending(prefix, peer, {"-c", std::to_string(expected)});
    ASSERT_TRUE(capture);
    EXPECT_EQ(capture->packets.size(), expected);
    EXPECT_EQ(count(*capture, Direction::in, 0), 64U);
    EXPECT_EQ(count(*capture, Direction::out, 0), secondaries_serve ? 64U : 0U);
    ASSERT_TRUE(peer.stop());
    EXPECT_TRUE(stops_on(client, SIGINT, 30s));
    EXPECT_TRUE(stops_on(server, SIGINT, 30s));
}

// l2fwd_fork's slaves (secondaries) do all the forwarding: from 25.11 their
// packets are captured; before, the master accepts the capture (dumpcap
// fails when no process serves it) and has no packets of its own.
TEST(Capture, L2fwdForkSlavesAreCapturedWhereDpdkForwardsTheRequest)
{
    if (!tools_installed())
        GTEST_SKIP() << "dpdk-testpmd or dpdk-dumpcap is not installed";
    MemifPeer peer(1);
    ASSERT_TRUE(peer.ready()) << peer.output();
    DpdkPrefix prefix("cap_l2ff");
    Process master(args({{binary("l2fwd_fork")}, eal_args(prefix, "0@0,1@1,2@0"),
                         {peer.client_vdev(0), peer.client_vdev(1), "--", "-p", "3", "-T", "0"}}));
    ASSERT_TRUE(master.expect("APP: Finished Process Init.", 60s)) << master.output();
    // The slaves forward, not the master: each must have polled its queue
    // before testpmd sends (memif hands out slots on the first RX poll).
    for (int slave = 0; slave < 2; ++slave) {
        const auto started = master.expect_regex("forwarding: lcore \\d+, pid (\\d+)", 60s);
        ASSERT_TRUE(started) << master.output();
        const pid_t pid = std::stoi(started->at(1));
        ASSERT_TRUE(has_polled(pid)) << "slave " << pid << " does not poll";
    }

    std::vector<std::string> stop = {"-a", "duration:5"};
    if (secondaries_serve)
        stop = {"-c", "128"};
    const auto capture = capture_while_sending(prefix, peer, stop);
    ASSERT_TRUE(capture);
    EXPECT_EQ(count(*capture, Direction::in, 0), secondaries_serve ? 64U : 0U);
    EXPECT_EQ(count(*capture, Direction::out, 0), secondaries_serve ? 64U : 0U);
    ASSERT_TRUE(peer.stop());
    EXPECT_TRUE(stops_on(master, SIGINT, 30s));
}
