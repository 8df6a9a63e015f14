/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// dpdk-testpmd on the far side of a program's two ports, over memif:
//
//   MemifPeer peer(1);
//   ASSERT_TRUE(peer.ready());
//   Process p({binary("l2fwd_fork"), ..., peer.client_vdev(0), peer.client_vdev(1), ...});
//   peer.send();                    // 32 packets per queue and port (tx_first)
//   EXPECT_TRUE(peer.received(32)); // testpmd's RX counters, both ports

#include <string>

#include "process.hpp"

namespace mptest {

// testpmd is the memif server of both ports (the program's side connects as
// memif clients) and counts what comes back (fwd rxonly).
class MemifPeer {
public:
    explicit MemifPeer(unsigned queues);
    ~MemifPeer();
    MemifPeer(const MemifPeer&) = delete;
    MemifPeer& operator=(const MemifPeer&) = delete;

    // testpmd is installed (else tests skip).
    static bool installed();

    // testpmd prompts and forwards nothing of its own.
    bool ready();

    // The --vdev a program gives for its port `port`.
    std::string client_vdev(int port) const;

    // 32 packets on each queue of each port.
    bool send();

    // Both ports have received `each` packets back (polls testpmd's counters).
    bool received(unsigned long long each);

    // Forwarding stops before the programs' side goes: testpmd must not poll
    // memif queues whose client leaves (it crashed that way once).
    bool stop();

    std::string output() const { return process_.output(); }

private:
    std::string socket(int port) const;
    std::string server_vdev(int port) const;
    bool command(const std::string& line);

    DpdkPrefix prefix_;
    std::string socket_;
    Process process_;
};

} // namespace mptest
