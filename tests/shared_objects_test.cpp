/* SPDX-License-Identifier: BSD-3-Clause */
// The common library across real processes: a primary and a secondary sharing
// rings, a mempool and a memzone in hugepage memory; and the EAL wrapper's
// one-line errors for processes that cannot start.
#include <gtest/gtest.h>

#include "process.hpp"

using namespace mptest;

namespace {

std::vector<std::string> peer(const DpdkPrefix& prefix, std::string_view lcores,
                              std::initializer_list<std::string_view> extra, std::string count)
{
    return args({{build_root() + "/tests/shared_objects_peer"}, eal_args(prefix, lcores, {}, extra),
                 {"--", std::move(count)}});
}

TEST(SharedObjects, PrimaryAndSecondaryExchangeThroughRingsPoolAndMemzone)
{
    DpdkPrefix prefix("shared");
    {
        Process primary(peer(prefix, "0@0", {"--proc-type=primary"}, "5000"));
        ASSERT_TRUE(primary.expect("primary ready", 20s)) << primary.output();
        Process secondary(peer(prefix, "1@1", {"--proc-type=secondary"}, "5000"));

        ASSERT_TRUE(secondary.expect("secondary received 5000 tokens in order", 30s))
            << secondary.output();
        ASSERT_TRUE(primary.expect("primary received 5000 tokens in order", 30s))
            << primary.output();
        ASSERT_TRUE(primary.expect("secondary_received=5000 pool in use=0", 30s))
            << primary.output();
        const auto p = primary.wait_exit(20s);
        const auto s = secondary.wait_exit(20s);
        ASSERT_TRUE(p && s);
        EXPECT_EQ(p->code, 0);
        EXPECT_EQ(s->code, 0);
        EXPECT_NE(secondary.output().find("APP: Finished Process Init."), std::string::npos);
    }
}

// The process ends by itself, with exit code 1 and `line` on its standard error.
::testing::AssertionResult refused_with(Process& process, const std::string& line)
{
    return refused(process, "shared_objects_peer", line, 20s);
}

TEST(SharedObjects, SecondaryWithoutPrimarySaysSoInOneLine)
{
    DpdkPrefix prefix("noprimary");
    Process secondary(peer(prefix, "1@1", {"--proc-type=secondary"}, "1"));
    EXPECT_TRUE(refused_with(secondary, "shared_objects_peer: error: no primary process is running "
                                        "with --file-prefix=" +
                                            prefix.name() + ": start the primary first\n"));
}

TEST(SharedObjects, SecondaryAfterThePrimaryExitedIsRefused)
{
    DpdkPrefix prefix("deadprimary");
    {
        Process primary(peer(prefix, "0@0", {"--proc-type=primary"}, "1"));
        ASSERT_TRUE(primary.expect("primary ready", 20s)) << primary.output();
        primary.kill();
    }
    Process secondary(peer(prefix, "1@1", {"--proc-type=secondary"}, "1"));
    // Depending on what the dead primary left, EAL itself fails (it cannot reach
    // the primary for memory) or attaches and the wrapper refuses: one line either way.
    EXPECT_TRUE(refused_with(secondary, "shared_objects_peer: error: no primary process is running "
                                        "with --file-prefix=" +
                                            prefix.name()));
}

TEST(SharedObjects, SecondPrimaryIsRefusedInOneLine)
{
    DpdkPrefix prefix("twoprimaries");
    Process primary(peer(prefix, "0@0", {"--proc-type=primary"}, "1"));
    ASSERT_TRUE(primary.expect("primary ready", 20s)) << primary.output();
    Process second(peer(prefix, "1@1", {}, "1"));
    EXPECT_TRUE(refused_with(second, "shared_objects_peer: error: a primary process is already "
                                     "running with --file-prefix=" +
                                         prefix.name()));
    EXPECT_TRUE(primary.running()) << "the first primary must not be disturbed";
}

TEST(SharedObjects, FailedPrimaryStartLeavesNoHugepageFiles)
{
    DpdkPrefix prefix("badargs");
    Process primary(peer(prefix, "0@0", {"--proc-type=primary"}, "zero"));
    EXPECT_TRUE(refused_with(primary, "shared_objects_peer: error: invalid value 'zero' for --count"));
    EXPECT_TRUE(prefix.leftovers().empty())
        << "left behind: " << (prefix.leftovers().empty() ? "" : prefix.leftovers().front());
}

} // namespace
