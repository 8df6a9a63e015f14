/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// DPDK inside the test program itself, for unit tests of code that needs real
// DPDK objects (rings, pools, null ports) but no second process. It leaves no
// hugepage files (--no-huge, --no-shconf), uses a --file-prefix of its own and
// removes its runtime folder at the end. EAL initialises once per process, so a
// test program holds one, either for the whole program:
//
//   mptest::InProcessEal::for_all_tests("unit", {"--vdev=net_null0"});
//
// or from a test suite's SetUpTestSuite().

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

#include <mp/eal.hpp>

namespace mptest {

class InProcessEal {
public:
    // `args`: more EAL arguments (lcores, vdevs), optionally "--" and app arguments.
    InProcessEal(const std::string& tag, std::vector<std::string> args)
        : words_{"unit_test", "--no-pci", "--no-huge", "-m", "256", "--no-shconf",
                 "--file-prefix=mpt_" + tag + "_" + std::to_string(getpid()),
                 "--log-level=lib.eal:error"}
    {
        words_.insert(words_.end(), args.begin(), args.end());
        for (std::string& word : words_)
            argv_.push_back(word.data());
        eal_.emplace(static_cast<int>(argv_.size()), argv_.data());
        runtime_dir_ = rte_eal_get_runtime_dir();
    }
    ~InProcessEal()
    {
        eal_.reset();
        std::error_code ignored;
        std::filesystem::remove_all(runtime_dir_, ignored);
    }
    InProcessEal(const InProcessEal&) = delete;
    InProcessEal& operator=(const InProcessEal&) = delete;

    mp::Eal& eal() { return *eal_; }

    // Holds an InProcessEal from the first test to the last (a gtest environment).
    // Returns the environment, whose eal() is valid while tests run.
    static class Environment* for_all_tests(std::string tag, std::vector<std::string> args);

private:
    std::vector<std::string> words_;
    std::vector<char*> argv_;
    std::optional<mp::Eal> eal_;
    std::string runtime_dir_;
};

class Environment : public ::testing::Environment {
public:
    Environment(std::string tag, std::vector<std::string> args)
        : tag_(std::move(tag)), args_(std::move(args))
    {
    }
    void SetUp() override { eal_ = std::make_unique<InProcessEal>(tag_, args_); }
    void TearDown() override { eal_.reset(); }
    mp::Eal& eal() { return eal_->eal(); }

private:
    std::string tag_;
    std::vector<std::string> args_;
    std::unique_ptr<InProcessEal> eal_;
};

inline Environment* InProcessEal::for_all_tests(std::string tag, std::vector<std::string> args)
{
    auto* env = new Environment(std::move(tag), std::move(args));
    ::testing::AddGlobalTestEnvironment(env); // gtest owns it
    return env;
}

} // namespace mptest
