/* SPDX-License-Identifier: BSD-3-Clause */
#include "memif_peer.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace mptest {

MemifPeer::MemifPeer(unsigned queues)
    : prefix_("memif_testpmd"), socket_("/tmp/" + prefix_.name() + "_memif"),
      process_(args({{dpdk_tool("dpdk-testpmd")},
                     eal_args(prefix_, "0@0,1@1", {server_vdev(0), server_vdev(1)}),
                     {"--", "-i", "--rxq=" + std::to_string(queues),
                      "--txq=" + std::to_string(queues), "--total-num-mbufs=4096",
                      "--no-flush-rx"}}),
               Io::pty)
{
}

MemifPeer::~MemifPeer()
{
    process_.send_line("quit");
    process_.wait_exit(20s);
    process_.kill();
    for (int port : {0, 1})
        std::filesystem::remove(socket(port));
}

bool MemifPeer::installed() { return !dpdk_tool("dpdk-testpmd").empty(); }

bool MemifPeer::ready()
{
    if (!process_.expect("testpmd> ", 60s))
        return false;
    return command("set fwd rxonly");
}

std::string MemifPeer::client_vdev(int port) const
{
    return "--vdev=net_memif" + std::to_string(port) + ",role=client,id=" +
           std::to_string(port) + ",socket=" + socket(port);
}

bool MemifPeer::send() { return command("start tx_first 1"); }

bool MemifPeer::received(unsigned long long each)
{
    return poll_until(20s, [&] {
        const std::size_t seen = process_.output().size();
        if (!command("show port stats all"))
            return false;
        const std::string reply = process_.output().substr(seen);
        const std::string line = "RX-packets: " + std::to_string(each) + " ";
        const std::size_t first = reply.find(line);
        return first != std::string::npos &&
               reply.find(line, first + line.size()) != std::string::npos;
    }, 200ms);
}

bool MemifPeer::stop() { return command("stop"); }

std::string MemifPeer::socket(int port) const { return socket_ + std::to_string(port); }

std::string MemifPeer::server_vdev(int port) const
{
    return "net_memif" + std::to_string(port) + ",role=server,id=" + std::to_string(port) +
           ",socket=" + socket(port);
}

bool MemifPeer::command(const std::string& line)
{
    process_.send_line(line);
    if (process_.expect("testpmd> ", 60s))
        return true;
    // testpmd did not come back to its prompt: say where each of its threads is.
    std::fprintf(stderr, "testpmd (pid %d) did not answer '%s'; its threads:\n",
                 static_cast<int>(process_.pid()), line.c_str());
    const std::filesystem::path tasks = "/proc/" + std::to_string(process_.pid()) + "/task";
    std::error_code error;
    for (const auto& task : std::filesystem::directory_iterator(tasks, error)) {
        const auto read = [&](const char* file) {
            std::ifstream in(task.path() / file);
            return std::string(std::istreambuf_iterator<char>(in), {});
        };
        std::fprintf(stderr, "  %s stat: %s  wchan: %s\n%s", task.path().filename().c_str(),
                     read("stat").c_str(), read("wchan").c_str(), read("stack").c_str());
    }
    return false;
}

} // namespace mptest
