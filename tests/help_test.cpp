/* SPDX-License-Identifier: BSD-3-Clause */
// Help and usage errors of the five programs, as a user without root or
// hugepages gets them: each program runs as user "nobody" (when the suite runs
// as root), for whom EAL could not start at all, with a runtime folder base of
// its own that must stay empty. No DPDK process runs here.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "process.hpp"

namespace {

using namespace mptest;
namespace fs = std::filesystem;

struct Program {
    const char* name;
    const char* option_in_usage;        // a line its usage must show
    std::vector<std::string> bad_args;  // a command line it must refuse
    const char* problem;                // what the refusal names
};

void PrintTo(const Program& program, std::ostream* out) { *out << program.name; }

const Program programs[] = {
    {"simple_mp", "send <message>", {"--", "now"}, "unexpected argument 'now'"},
    {"symmetric_mp", "--proc-id n", {"--", "-p", "x", "--num-procs", "2", "--proc-id", "0"},
     "invalid portmask 'x'"},
    {"mp_server", "-n NUM_CLIENTS", {"--", "-p", "3", "-n", "17"},
     "invalid value '17' for -n"},
    {"mp_client", "-n CLIENT_ID", {"--proc-type=auto", "--", "-n", "16"},
     "invalid value '16' for -n"},
    {"l2fwd_fork", "-q NQ", {"-l", "0-2", "--", "-p", "3", "-q", "0"},
     "invalid value '0' for -q"},
};

class Help : public ::testing::TestWithParam<Program> {
protected:
    void SetUp() override
    {
        char pattern[] = "/tmp/mp_help_XXXXXX";
        ASSERT_NE(mkdtemp(pattern), nullptr);
        runtime_base_ = pattern;
        // "nobody" may create its runtime folder here: the test must see it if
        // a program got as far as EAL.
        fs::permissions(runtime_base_, fs::perms::all);
    }
    void TearDown() override
    {
        std::error_code ignored;
        fs::remove_all(runtime_base_, ignored);
    }

    // The program with `program_args`, as an unprivileged user.
    Process run(const std::vector<std::string>& program_args) const
    {
        std::vector<std::string> argv = {"/usr/bin/env", "XDG_RUNTIME_DIR=" + runtime_base_};
        if (getuid() == 0)
            argv.insert(argv.end(),
                        {"/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"});
        argv.push_back(binary(GetParam().name));
        argv.insert(argv.end(), program_args.begin(), program_args.end());
        return Process(argv);
    }

    // Nothing of EAL: no runtime folder, no EAL lines.
    ::testing::AssertionResult untouched_eal(const Process& p) const
    {
        if (!fs::is_empty(runtime_base_))
            return ::testing::AssertionFailure() << "a runtime folder was created in "
                                                 << runtime_base_;
        if (p.output().find("EAL:") != std::string::npos)
            return ::testing::AssertionFailure() << "EAL ran:\n" << p.output();
        return ::testing::AssertionSuccess();
    }

    std::string runtime_base_;
};

TEST_P(Help, AnyHelpSpellingPrintsTheUsageAndExitsZero)
{
    const std::string name = GetParam().name;
    const std::vector<std::vector<std::string>> spellings = {
        {"--help"},
        {"-h"},
        {"--", "--help"},
        {"--no-pci", "--file-prefix=help", "-l", "0", "--", "-h"},
    };
    for (const auto& spelling : spellings) {
        SCOPED_TRACE(name + " " + ::testing::PrintToString(spelling));
        Process p = run(spelling);
        const auto exit = p.wait_exit(10s);
        ASSERT_TRUE(exit) << p.output();
        EXPECT_EQ(exit->code, 0) << p.output();
        const std::string out = p.output();
        EXPECT_TRUE(out.starts_with("usage: " + name + " [EAL options]")) << out;
        EXPECT_NE(out.find(GetParam().option_in_usage), std::string::npos) << out;
        EXPECT_NE(out.find("'" + name + " --help-eal' lists them"), std::string::npos) << out;
        EXPECT_EQ(p.errors(), "");
        EXPECT_TRUE(untouched_eal(p));
    }
}

// What the usage points to works too: EAL's own list, without hugepages.
TEST_P(Help, HelpEalListsTheEalOptions)
{
    Process p = run({"--help-eal"});
    const auto exit = p.wait_exit(10s);
    ASSERT_TRUE(exit) << p.output();
    EXPECT_EQ(exit->code, 0) << p.output();
    EXPECT_NE(p.output().find("--file-prefix"), std::string::npos) << p.output();
    EXPECT_NE(p.output().find("--proc-type"), std::string::npos) << p.output();
    EXPECT_TRUE(fs::is_empty(runtime_base_));
}

TEST_P(Help, AUsageErrorIsOneLineWithAHint)
{
    const std::string name = GetParam().name;
    Process p = run(GetParam().bad_args);
    const auto exit = p.wait_exit(10s);
    ASSERT_TRUE(exit) << p.output();
    EXPECT_EQ(exit->code, 1) << p.output();
    // stderr alone, one line: the problem, then where the usage is.
    EXPECT_EQ(p.output(), p.errors()) << "something on stdout";
    const std::string errors = p.errors();
    EXPECT_EQ(std::count(errors.begin(), errors.end(), '\n'), 1) << errors;
    EXPECT_TRUE(errors.starts_with(name + ": error: ")) << errors;
    EXPECT_NE(errors.find(GetParam().problem), std::string::npos) << errors;
    EXPECT_TRUE(errors.ends_with("(see '" + name + " --help')\n")) << errors;
    EXPECT_TRUE(untouched_eal(p));
}

INSTANTIATE_TEST_SUITE_P(Programs, Help, ::testing::ValuesIn(programs),
                         [](const auto& info) { return std::string(info.param.name); });

} // namespace
