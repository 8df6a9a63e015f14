/* SPDX-License-Identifier: BSD-3-Clause */
// Argument parsing: pure functions, no EAL.
#include <gtest/gtest.h>

#include <mp/args.hpp>

#include "harness/argv.hpp"

#include <memory>

#include <string>
#include <vector>

namespace {

constexpr mp::OptionSpec kSpecs[] = {{"p", true}, {"num-procs", true}, {"f", false}};

// The options hold views into the words: keep the last command line alive.
std::vector<mp::Option> parse(std::vector<std::string> words)
{
    static std::unique_ptr<mptest::Argv> argv;
    argv = std::make_unique<mptest::Argv>(std::move(words));
    return mp::parse_options(argv->span(), kSpecs);
}

std::string usage_error(std::vector<std::string> words)
{
    return mptest::usage_error([](auto args) { mp::parse_options(args, kSpecs); }, std::move(words));
}

TEST(ParseOptions, ShortAndLongFormsWithOrWithoutSeparateValue)
{
    const auto opts = parse({"-p", "3", "--num-procs=4", "-f", "-p0x5", "--num-procs", "2"});
    ASSERT_EQ(opts.size(), 5U);
    EXPECT_EQ(opts[0].name, "p");
    EXPECT_EQ(opts[0].value, "3");
    EXPECT_EQ(opts[1].name, "num-procs");
    EXPECT_EQ(opts[1].value, "4");
    EXPECT_EQ(opts[2].name, "f");
    EXPECT_EQ(opts[2].value, "");
    EXPECT_EQ(opts[3].value, "0x5");
    EXPECT_EQ(opts[4].value, "2");
}

TEST(ParseOptions, ErrorsNameTheOffendingArgument)
{
    EXPECT_EQ(usage_error({"--bogus=1"}), "unknown option '--bogus=1'");
    EXPECT_EQ(usage_error({"-x"}), "unknown option '-x'");
    EXPECT_EQ(usage_error({"stray"}), "unexpected argument 'stray'");
    EXPECT_EQ(usage_error({"-p"}), "option -p needs a value");
    EXPECT_EQ(usage_error({"--num-procs"}), "option --num-procs needs a value");
    EXPECT_EQ(usage_error({"-fx"}), "option -f takes no value");
    EXPECT_EQ(usage_error({"--p=3"}), "unknown option '--p=3'");
}

TEST(ParseNumber, AcceptsTheRangeAndNamesTheOptionOtherwise)
{
    EXPECT_EQ(mp::parse_number("n", "0", 0U, 15U), 0U);
    EXPECT_EQ(mp::parse_number("n", "15", 0U, 15U), 15U);
    EXPECT_THROW(mp::parse_number("n", "16", 0U, 15U), mp::UsageError);
    EXPECT_THROW(mp::parse_number("n", "", 0U, 15U), mp::UsageError);
    EXPECT_THROW(mp::parse_number("n", "-1", 0U, 15U), mp::UsageError);
    EXPECT_THROW(mp::parse_number("n", "3x", 0U, 15U), mp::UsageError);
    EXPECT_EQ(mptest::error_of<mp::UsageError>([] { mp::parse_number("proc-id", "abc", 0U, 3U); }),
              "invalid value 'abc' for --proc-id: expected a number from 0 to 3");
}

TEST(ParsePortmask, HexWithOrWithoutPrefix)
{
    EXPECT_EQ(mp::parse_portmask("3"), 3U);
    EXPECT_EQ(mp::parse_portmask("0x3"), 3U);
    EXPECT_EQ(mp::parse_portmask("ff"), 255U);
    EXPECT_EQ(mp::parse_portmask("0XA"), 10U);
}

TEST(ParsePortmask, RefusesGarbageAndZero)
{
    EXPECT_EQ(mptest::error_of<mp::UsageError>([] { mp::parse_portmask("zz"); }),
              "invalid portmask 'zz': expected a hexadecimal mask such as 3 or 0x3");
    EXPECT_EQ(mptest::error_of<mp::UsageError>([] { mp::parse_portmask("0"); }),
              "portmask '0' selects no port");
    EXPECT_THROW(mp::parse_portmask(""), mp::UsageError);
    EXPECT_THROW(mp::parse_portmask("0x"), mp::UsageError);
    EXPECT_THROW(mp::parse_portmask("12345678901234567"), mp::UsageError);
}

TEST(RequireOption, SaysWhatIsMissing)
{
    EXPECT_NO_THROW(mp::require_option(true, "p", "the ports to use"));
    EXPECT_EQ(mptest::error_of<mp::UsageError>(
                  [] { mp::require_option(false, "num-procs", "how many processes share the ports"); }),
              "missing option --num-procs (how many processes share the ports)");
}

TEST(Strprintf, FormatsLongStrings)
{
    const std::string big(1000, 'a');
    EXPECT_EQ(mp::strprintf("%s-%d", big.c_str(), 7), big + "-7");
    EXPECT_EQ(mp::strprintf("plain"), "plain");
}

} // namespace
