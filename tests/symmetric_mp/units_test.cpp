/* SPDX-License-Identifier: BSD-3-Clause */
// symmetric_mp's units without DPDK: option parsing, the proc-id table,
// the comparison with the primary's options and the lcore/port-pair split.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

#include "../harness/argv.hpp"
#include "claims.hpp"
#include "forward.hpp"
#include "options.hpp"
#include "shared_config.hpp"

using namespace symmetric_mp;

namespace {

Options parse(std::vector<std::string> words)
{
    const mptest::Argv argv(std::move(words));
    return parse_options(argv.span());
}

std::string usage_error(std::vector<std::string> words)
{
    return mptest::usage_error([](auto args) { parse_options(args); }, std::move(words));
}

TEST(Options, ShortAndLongFormsBothWork)
{
    const Options a = parse({"-p", "3", "--num-procs", "4", "--proc-id", "2"});
    EXPECT_EQ(a.portmask, 3U);
    EXPECT_EQ(a.num_procs, 4U);
    EXPECT_EQ(a.proc_id, 2U);
    const Options b = parse({"-p0xf0", "--num-procs=2", "--proc-id=1"});
    EXPECT_EQ(b.portmask, 0xf0U);
    EXPECT_EQ(b.num_procs, 2U);
    EXPECT_EQ(b.proc_id, 1U);
}

TEST(Options, EachBadInputIsNamed)
{
    EXPECT_EQ(usage_error({"-p", "0", "--num-procs", "2", "--proc-id", "0"}),
              "portmask '0' selects no port");
    EXPECT_EQ(usage_error({"-p", "xyz", "--num-procs", "2", "--proc-id", "0"}),
              "invalid portmask 'xyz': expected a hexadecimal mask such as 3 or 0x3");
    EXPECT_EQ(usage_error({"--num-procs", "2", "--proc-id", "0"}),
              "missing option -p (hexadecimal mask of the ports to use)");
    EXPECT_EQ(usage_error({"-p", "3", "--proc-id", "0"}),
              "missing option --num-procs (number of symmetric_mp processes)");
    EXPECT_EQ(usage_error({"-p", "3", "--num-procs", "2"}),
              "missing option --proc-id (this process's number, from 0 to num-procs - 1)");
    EXPECT_EQ(usage_error({"-p", "3", "--num-procs", "2", "--proc-id", "2"}),
              "--proc-id 2 is out of range: with --num-procs 2 it must be from 0 to 1");
    EXPECT_EQ(usage_error({"-p", "3", "--num-procs", "0", "--proc-id", "0"}),
              "invalid value '0' for --num-procs: expected a number from 1 to 64");
    EXPECT_EQ(usage_error({"-p", "3", "--num-procs", "two", "--proc-id", "0"}),
              "invalid value 'two' for --num-procs: expected a number from 1 to 64");
    EXPECT_EQ(usage_error({"-p", "3", "--num-procs", "2", "--proc-id", "-1"}),
              "invalid value '-1' for --proc-id: expected a number from 0 to 63");
    EXPECT_EQ(usage_error({"-p", "3", "--num-procs", "2", "--proc-id"}),
              "option --proc-id needs a value");
    EXPECT_EQ(usage_error({"-p", "3", "--num-procs", "2", "--proc-id", "0", "--fast"}),
              "unknown option '--fast'");
}

// The claims themselves are tested with the common library
// (tests/common_shared_state_test.cpp); here: finding a holder's proc-id.

TEST(ProcTable, ProcOfNamesTheProcIdAnOwnerHolds)
{
    auto table = std::make_unique<ProcTable>();
    const mp::OwnerKey me = mp::self_key();
    EXPECT_EQ(table->proc_of(me), std::nullopt);
    ASSERT_EQ(table->procs[3].claim(me).result, mp::ClaimResult::taken);
    EXPECT_EQ(table->proc_of(me), 3U);
    EXPECT_EQ(table->proc_of(mp::owner_key(getppid())), std::nullopt);
    ASSERT_TRUE(table->procs[3].release(me));
    EXPECT_EQ(table->proc_of(me), std::nullopt);
}

TEST(SharedConfig, MismatchNamesBothValues)
{
    auto config = std::make_unique<SharedConfig>();
    config->num_procs = 2;
    config->portmask = 3;
    const auto error = [&](Options o) {
        return mptest::error_of<mp::StartupError>([&] { check_matches(*config, o); });
    };
    EXPECT_EQ(error({3, 2, 1}), "no error");
    EXPECT_EQ(error({3, 4, 1}), "--num-procs 4 does not match --num-procs 2 of the running "
                                "processes: every symmetric_mp process must be given the same "
                                "--num-procs and -p");
    EXPECT_EQ(error({0xc, 2, 0}), "-p 0xc does not match -p 0x3 of the running processes: every "
                                  "symmetric_mp process must be given the same --num-procs and -p");
}

TEST(AssignPortPairs, PairsAreSpreadOverLcoresFirstOnesGetMore)
{
    const auto one = assign_port_pairs(2, 1);
    ASSERT_EQ(one.size(), 1U);
    EXPECT_EQ(one[0].start, 0U);
    EXPECT_EQ(one[0].count, 2U);

    const auto three = assign_port_pairs(8, 3); // 4 pairs: 2, 1, 1
    ASSERT_EQ(three.size(), 3U);
    EXPECT_EQ(three[0].start, 0U);
    EXPECT_EQ(three[0].count, 4U);
    EXPECT_EQ(three[1].start, 4U);
    EXPECT_EQ(three[1].count, 2U);
    EXPECT_EQ(three[2].start, 6U);
    EXPECT_EQ(three[2].count, 2U);

    const auto idle = assign_port_pairs(2, 2); // one pair, the second lcore idles
    EXPECT_EQ(idle[0].count, 2U);
    EXPECT_EQ(idle[1].count, 0U);
}

} // namespace
