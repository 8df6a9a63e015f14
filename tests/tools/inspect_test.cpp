/* SPDX-License-Identifier: BSD-3-Clause */
// dpdk-proc-info and dpdk-telemetry.py against the primary of every program
// (docs/capture.rst, "Inspecting a running program"): each tool exits 0 and
// names the program's ports, mempools and rings.
#include <gtest/gtest.h>

#include <csignal>
#include <string>
#include <string_view>
#include <vector>

#include "process.hpp"

using namespace mptest;

namespace {

struct Program {
    const char* name;
    std::vector<std::string> app_args; // after "--"
    bool ports;                        // forwards between two null ports
    std::vector<std::string> pools;
    std::vector<std::string> rings;
};

const std::vector<Program> programs = {
    {"simple_mp", {}, false, {"MSG_POOL"}, {"PRI_2_SEC", "SEC_2_PRI"}},
    {"symmetric_mp", {"-p", "3", "--num-procs", "1", "--proc-id", "0"}, true, {"SMP_MBUF_POOL"}, {}},
    {"mp_server", {"-p", "3", "-n", "1"}, true, {"MProc_pktmbuf_pool"}, {"MProc_Client_0_RX"}},
    {"l2fwd_fork", {"-p", "3", "-T", "0"}, true, {"mbuf_pool_p0", "mbuf_pool_p1"},
     {"MP_mbuf_pool_p0", "MP_mbuf_pool_p1"}},
};

// The tool's output when it exits 0 within the limit, or why not.
::testing::AssertionResult run_tool(std::vector<std::string> argv, std::string& output,
                                    const std::string& input = "")
{
    Process tool(std::move(argv));
    if (!input.empty())
        tool.write(input);
    tool.close_stdin();
    const auto exit = tool.wait_exit(60s);
    output = tool.output();
    if (!exit)
        return ::testing::AssertionFailure() << "still running after 60 s:\n" << output;
    if (exit->code != 0)
        return ::testing::AssertionFailure() << "exit code " << exit->code << " (signal "
                                             << exit->signal << "):\n" << output;
    return ::testing::AssertionSuccess();
}

::testing::AssertionResult names(const std::string& output, const std::vector<std::string>& all)
{
    for (const std::string& name : all)
        if (output.find(name) == std::string::npos)
            return ::testing::AssertionFailure() << "no '" << name << "' in:\n" << output;
    return ::testing::AssertionSuccess();
}

class Inspect : public ::testing::TestWithParam<Program> {};

TEST_P(Inspect, ProcInfoAndTelemetryNameThePrimarysObjects)
{
    const std::string proc_info = dpdk_tool("dpdk-proc-info");
    const std::string telemetry = dpdk_tool("dpdk-telemetry.py");
    if (proc_info.empty() || telemetry.empty())
        GTEST_SKIP() << "dpdk-proc-info or dpdk-telemetry.py is not installed";
    const Program& program = GetParam();
    DpdkPrefix prefix(std::string("insp_") + program.name);
    // dpdk-proc-info refuses a primary without ports ("No Ethernet ports -
    // bye"): simple_mp, which uses none, gets one to satisfy it.
    const std::vector<std::string> ports =
        program.ports ? std::vector<std::string>{"--vdev=net_null0", "--vdev=net_null1"}
                      : std::vector<std::string>{"--vdev=net_null0"};
    // l2fwd_fork: a master and two slave lcores; simple_mp: prompt and receiver.
    const std::string_view name = program.name;
    const char* lcores = name == "l2fwd_fork" ? "0@0,1@1,2@0" : name == "simple_mp" ? "0@0,1@1" : "0@0";
    Process primary(args({{binary(program.name)}, eal_args(prefix, lcores), ports,
                          {"--proc-type=primary", "--"}, program.app_args}));
    ASSERT_TRUE(primary.expect("APP: Finished Process Init.", 60s)) << primary.output();

    // proc-info is a secondary; it picks its lcore itself (-c).
    const auto info = [&](const char* what) {
        return std::vector<std::string>{proc_info, "--no-pci", "--file-prefix=" + prefix.name(),
                                        "--", what};
    };
    std::string out;
    ASSERT_TRUE(run_tool(info("--show-mempool"), out));
    EXPECT_TRUE(names(out, program.pools));
    ASSERT_TRUE(run_tool(info("--show-ring"), out));
    EXPECT_TRUE(names(out, program.rings));
    ASSERT_TRUE(run_tool(info("--stats"), out));
    EXPECT_TRUE(names(out, program.ports ? std::vector<std::string>{"NIC statistics for port 0",
                                                                    "NIC statistics for port 1"}
                                         : std::vector<std::string>{"NIC statistics for port 0"}));

    ASSERT_TRUE(run_tool({telemetry, "-f", prefix.name()}, out, "/ethdev/list\n/mempool/list\n"));
    EXPECT_TRUE(names(out, program.pools));
    EXPECT_TRUE(names(out, {program.ports ? "\"/ethdev/list\": [0, 1]" : "\"/ethdev/list\": [0]"}));

    // The program went on through all of it.
    EXPECT_TRUE(primary.running()) << primary.output();
    if (name == "simple_mp")
        primary.send_line("quit");
    else
        primary.signal(SIGINT);
    const auto exit = primary.wait_exit(30s);
    ASSERT_TRUE(exit) << primary.output();
    EXPECT_EQ(exit->code, 0) << primary.output();
}

INSTANTIATE_TEST_SUITE_P(EveryProgram, Inspect, ::testing::ValuesIn(programs),
                         [](const auto& info) { return std::string(info.param.name); });

} // namespace
