/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// Parsing of the application arguments (those after "--"). Pure functions with
// no DPDK calls, so that tests can drive them directly. Every error is a
// UsageError whose text names the option and the bad value.
//
//   constexpr mp::OptionSpec specs[] = {{"p", true}, {"num-procs", true}, {"f", false}};
//   for (const mp::Option& opt : mp::parse_options(eal.app_args(), specs)) ...
//
// One-letter names are short options ("-p 3", "-p3"); longer names are long
// options ("--num-procs=4", "--num-procs 4").

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "error.hpp"

namespace mp {

struct OptionSpec {
    std::string_view name;
    bool takes_value;
};

struct Option {
    std::string_view name;  // as in the OptionSpec
    std::string_view value; // empty for flags
};

inline std::string option_display(std::string_view name)
{
    return (name.size() == 1 ? "-" : "--") + std::string(name);
}

// One command-line word read as an option: "--name", "--name=value" (long),
// "-x" or "-xVALUE" (short); anything else is no option.
struct OptionWord {
    enum class Kind { none, short_option, long_option };
    Kind kind = Kind::none;
    std::string_view name;
    std::string_view value; // a value inside the word
    bool has_value = false;
};

inline OptionWord read_option_word(std::string_view arg)
{
    OptionWord word;
    if (arg.size() > 2 && arg.starts_with("--")) {
        word.kind = OptionWord::Kind::long_option;
        word.name = arg.substr(2);
        if (const auto eq = word.name.find('='); eq != std::string_view::npos) {
            word.value = word.name.substr(eq + 1);
            word.name = word.name.substr(0, eq);
            word.has_value = true;
        }
    } else if (arg.size() >= 2 && arg[0] == '-' && arg[1] != '-') {
        word.kind = OptionWord::Kind::short_option;
        word.name = arg.substr(1, 1);
        if (arg.size() > 2) {
            word.value = arg.substr(2);
            word.has_value = true;
        }
    }
    return word;
}

inline std::vector<Option> parse_options(std::span<char* const> args,
                                         std::span<const OptionSpec> specs)
{
    std::vector<Option> options;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string_view arg = args[i];
        const OptionWord word = read_option_word(arg);
        if (word.kind == OptionWord::Kind::none)
            throw UsageError("unexpected argument '" + std::string(arg) + "'");
        const std::string_view name = word.name;
        const std::string_view inline_value = word.value;
        const bool has_inline_value = word.has_value;

        const OptionSpec* spec = nullptr;
        for (const OptionSpec& candidate : specs)
            if (candidate.name == name && (name.size() == 1) == (arg[1] != '-'))
                spec = &candidate;
        if (spec == nullptr)
            throw UsageError("unknown option '" + std::string(arg) + "'");

        if (!spec->takes_value) {
            if (has_inline_value)
                throw UsageError("option " + option_display(name) + " takes no value");
            options.push_back({spec->name, {}});
            continue;
        }
        if (has_inline_value) {
            options.push_back({spec->name, inline_value});
        } else if (i + 1 < args.size()) {
            options.push_back({spec->name, std::string_view(args[++i])});
        } else {
            throw UsageError("option " + option_display(name) + " needs a value");
        }
    }
    return options;
}

// An unsigned decimal number in [min, max], for option `name`.
template <typename T = unsigned>
T parse_number(std::string_view name, std::string_view text, T min = 0,
               T max = std::numeric_limits<T>::max())
{
    uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 10);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < min ||
        value > max)
        throw UsageError(strprintf("invalid value '%.*s' for %s: expected a number from %llu to "
                                   "%llu",
                                   static_cast<int>(text.size()), text.data(),
                                   option_display(name).c_str(),
                                   static_cast<unsigned long long>(min),
                                   static_cast<unsigned long long>(max)));
    return static_cast<T>(value);
}

// A hexadecimal port mask ("3", "0x3"); zero is refused.
inline uint64_t parse_portmask(std::string_view text)
{
    std::string_view digits = text;
    if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X'))
        digits.remove_prefix(2);
    uint64_t mask = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), mask, 16);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size())
        throw UsageError("invalid portmask '" + std::string(text) +
                         "': expected a hexadecimal mask such as 3 or 0x3");
    if (mask == 0)
        throw UsageError("portmask '" + std::string(text) + "' selects no port");
    return mask;
}

// Throws when a required option was not given.
inline void require_option(bool given, std::string_view name, std::string_view what)
{
    if (!given)
        throw UsageError("missing option " + option_display(name) + " (" + std::string(what) +
                         ")");
}

// The same for option `name` among the options parse_options() returned, so
// that a program's loop over them only reads values.
inline void require_option(std::span<const Option> given, std::string_view name,
                           std::string_view what)
{
    require_option(std::ranges::any_of(given, [&](const Option& o) { return o.name == name; }),
                   name, what);
}

} // namespace mp
