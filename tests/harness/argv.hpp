/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// Command lines for the argument-parser unit tests: words in, the span of
// char* the parsers take out; and the text of the exception a call throws.

#include <exception>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include <mp/error.hpp>

namespace mptest {

// Owns the words; span() stays valid as long as the Argv does.
class Argv {
public:
    Argv(std::vector<std::string> words) : words_(std::move(words))
    {
        for (std::string& word : words_)
            pointers_.push_back(word.data());
    }
    Argv(std::initializer_list<const char*> words)
        : Argv(std::vector<std::string>(words.begin(), words.end()))
    {
    }
    Argv(const Argv&) = delete;
    Argv& operator=(const Argv&) = delete;
    std::span<char* const> span() const { return pointers_; }

private:
    std::vector<std::string> words_;
    std::vector<char*> pointers_;
};

// The text of the `Error` that `call()` throws, or "no error" (another
// exception type goes on to the test, which then fails).
template <class Error = std::exception, class Call>
std::string error_of(Call&& call)
{
    try {
        call();
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

// What `parse(args)` says about the command line `words`: the UsageError's text,
// or "no error".
template <class Parse>
std::string usage_error(Parse&& parse, std::vector<std::string> words)
{
    const Argv argv(std::move(words));
    return error_of<mp::UsageError>([&] { parse(argv.span()); });
}

} // namespace mptest
