/* SPDX-License-Identifier: BSD-3-Clause */
// testpmd over memif against the secondaries that transmit on ports they do
// not poll for RX (docs/troubleshooting.rst, "Secondaries on memif ports"):
// every packet testpmd sends must come back, the first burst on each port
// included.
#include <gtest/gtest.h>

#include <csignal>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "memif_peer.hpp"
#include "process.hpp"

using namespace mptest;

namespace {

// What the programs say when a memif link is down as a secondary starts.
constexpr const char* link_down_warning = "memif link is down";

// testpmd, one queue per port, ready to send.
class Memif : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (!MemifPeer::installed())
            GTEST_SKIP() << "dpdk-testpmd is not installed";
        peer_.emplace(1);
        ASSERT_TRUE(peer_->ready()) << peer_->output();
    }

    MemifPeer& peer() { return *peer_; }
    std::vector<std::string> ports() const
    {
        return {peer_->client_vdev(0), peer_->client_vdev(1)};
    }

private:
    std::optional<MemifPeer> peer_;
};

} // namespace

// mp_server receives, its client sends: testpmd's first 32 packets on each
// port come back on the other.
TEST_F(Memif, MpClientSendsTheFirstBurst)
{
    DpdkPrefix prefix("memif_cs");
    Process server(args({{binary("mp_server")}, eal_args(prefix, "0@0"), ports(),
                         {"--", "-p", "3", "-n", "1"}}));
    ASSERT_TRUE(server.expect("APP: Finished Process Init.", 60s)) << server.output();
    Process client(args({{binary("mp_client")},
                         eal_args(prefix, "1@1", {}, {"--proc-type=secondary"}),
                         {"--", "-n", "0"}}));
    ASSERT_TRUE(client.expect("APP: Finished Process Init.", 60s)) << client.output();

    ASSERT_TRUE(peer().send()) << peer().output();
    EXPECT_TRUE(peer().received(32)) << peer().output() << "\nclient:\n" << client.output();
    EXPECT_EQ(client.output().find(link_down_warning), std::string::npos) << client.output();
    ASSERT_TRUE(peer().stop());
    EXPECT_TRUE(stops_on(client, SIGINT, 30s));
    EXPECT_TRUE(stops_on(server, SIGINT, 30s));
}

// Each l2fwd_fork slave receives on one port and sends on the other.
TEST_F(Memif, L2fwdForkSlavesSendTheFirstBurst)
{
    DpdkPrefix prefix("memif_l2ff");
    Process master(args({{binary("l2fwd_fork")}, eal_args(prefix, "0@0,1@1,2@0"),
                         ports(), {"--", "-p", "3", "-T", "0"}}));
    ASSERT_TRUE(master.expect_count("forwarding: lcore", 2, 60s)) << master.output();
    // testpmd sends into buffers that the receiving memif client puts in the
    // ring on RX polls after its first (which maps the port): until the slaves
    // have polled, testpmd's burst is refused.
    std::this_thread::sleep_for(2s);

    ASSERT_TRUE(peer().send()) << peer().output();
    EXPECT_TRUE(peer().received(32)) << peer().output() << "\nl2fwd_fork:\n" << master.output();
    EXPECT_EQ(master.output().find(link_down_warning), std::string::npos) << master.output();
    ASSERT_TRUE(peer().stop());
    EXPECT_TRUE(stops_on(master, SIGINT, 30s));
}
