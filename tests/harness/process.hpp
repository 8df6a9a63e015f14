/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// Multi-process test harness: real processes, real hugepage shared memory.
//
//   DpdkPrefix prefix("simple_mp");                     // unique --file-prefix, cleaned up
//   Process primary({binary("simple_mp"), ...eal_args(prefix, "0@0,1@1")...}, Io::pty);
//   ASSERT_TRUE(primary.expect("simple_mp > "));
//   primary.send_line("send hello");
//
// Every process is killed (its whole process group) and reaped when its Process
// object goes; a DpdkPrefix removes the prefix's hugepage files and runtime
// folder when it goes, also after a failed assertion or a kill -9.

#include <sys/types.h>

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace mptest {

using namespace std::chrono_literals;

// The folder the suite was built in (set by meson in the test environment).
std::string build_root();
// A program of this suite, e.g. binary("simple_mp") or binary("mp_server").
std::string binary(std::string_view name);
// An upstream C example built from the dpdk-doc sources, e.g. upstream("simple_mp");
// empty if it was not built.
std::string upstream(std::string_view name);
// A DPDK tool (dpdk-testpmd, dpdk-proc-info) from PATH, else from /usr/bin,
// /usr/local/bin or /usr/sbin; empty if missing.
std::string dpdk_tool(std::string_view name);

// A --file-prefix of its own for one test; removes its files when destroyed.
class DpdkPrefix {
public:
    explicit DpdkPrefix(std::string_view tag);
    ~DpdkPrefix();
    DpdkPrefix(const DpdkPrefix&) = delete;
    DpdkPrefix& operator=(const DpdkPrefix&) = delete;

    const std::string& name() const { return name_; }
    // Its runtime folder (where EAL keeps the config and the telemetry socket).
    std::string runtime_dir() const;
    // Hugepage files and the runtime folder of this prefix that exist now.
    std::vector<std::string> leftovers() const;
    void remove_files() const;

private:
    std::string name_;
};

// EAL arguments for a test process: --no-pci, the prefix, the lcore map, vdevs.
// `lcores` is an --lcores value, e.g. "0@0,1@1" or "2@0,3@1" (lcore ids above the
// machine's CPU count are mapped onto real CPUs this way).
std::vector<std::string> eal_args(const DpdkPrefix& prefix, std::string_view lcores,
                                  std::initializer_list<std::string_view> vdevs = {},
                                  std::initializer_list<std::string_view> extra = {});

// Concatenates argument lists: args({binary("x")}, eal_args(...), {"--", "-p", "3"}).
std::vector<std::string> args(std::initializer_list<std::vector<std::string>> parts);

enum class Io {
    pipe, // stdin, stdout and stderr are pipes; stderr is also kept apart
    pty,  // the process runs on a pseudo-terminal, as in an interactive shell
};

struct Exit {
    int code = -1;   // exit code, or -1 if killed by a signal
    int signal = 0;  // the signal that killed it, or 0
};

class Process {
public:
    explicit Process(std::vector<std::string> argv, Io io = Io::pipe);
    ~Process();
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    pid_t pid() const { return pid_; }

    // Waits until the output after the read cursor contains `text`, then moves the
    // cursor past it. False on timeout or when the process ended without it.
    bool expect(std::string_view text, std::chrono::milliseconds timeout = 10s);
    // Same, for a regular expression; returns the captures (whole match first).
    std::optional<std::vector<std::string>> expect_regex(const std::string& pattern,
                                                         std::chrono::milliseconds timeout = 10s);
    // Waits until `text` has appeared `times` times in the whole output.
    bool expect_count(std::string_view text, std::size_t times,
                      std::chrono::milliseconds timeout = 10s);

    // Waits until `text` has appeared on stdout alone (no cursor): with pipes,
    // stdout and stderr are read apart, so a line on stderr may land in the
    // middle of a piece of stdout in output().
    bool expect_on_stdout(std::string_view text, std::chrono::milliseconds timeout = 10s);

    std::string output() const; // stdout and stderr, as they arrived
    std::string errors() const; // stderr alone (Io::pipe only)
    std::string standard_output() const; // stdout alone (Io::pipe only)

    void write(std::string_view data);
    void send_line(std::string_view line) { write(std::string(line) + "\n"); }
    void close_stdin();

    void signal(int sig) const;
    // Waits for the process to end; nullopt on timeout.
    std::optional<Exit> wait_exit(std::chrono::milliseconds timeout = 10s);
    bool running();
    // SIGKILL and reap.
    void kill();

private:
    void read_loop();
    bool wait_until(std::chrono::milliseconds timeout, const auto& predicate);

    pid_t pid_ = -1;
    int in_fd_ = -1;
    int out_fd_ = -1;
    int err_fd_ = -1;
    std::optional<Exit> exit_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::string output_;
    std::string errors_;
    std::string standard_output_;
    std::size_t cursor_ = 0;
    bool eof_ = false;
    std::thread reader_;
};

// A client of the primary's telemetry socket, kept connected. query() returns
// the JSON reply, or "" when the primary cannot be reached or takes longer
// than `timeout` to answer.
class Telemetry {
public:
    explicit Telemetry(const DpdkPrefix& prefix, std::chrono::milliseconds timeout = 2s);
    ~Telemetry();
    Telemetry(const Telemetry&) = delete;
    Telemetry& operator=(const Telemetry&) = delete;

    std::string query(const std::string& command);
    // The unsigned number under "key" (the first one) in the reply to `command`.
    std::optional<unsigned long long> number(const std::string& command, const std::string& key);
    // The array under "key" in the reply to `command`.
    std::optional<std::vector<unsigned long long>> numbers(const std::string& command,
                                                           const std::string& key);

private:
    bool connect_socket();
    void disconnect();

    std::string path_;
    std::chrono::milliseconds timeout_;
    int fd_ = -1;
};

// Polls `condition` every `every` until it holds (true) or `timeout` passes (false).
bool poll_until(std::chrono::milliseconds timeout, const auto& condition,
                std::chrono::milliseconds every = 50ms)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
        if (std::chrono::steady_clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(every);
    }
    return true;
}

// Starts tests/lock_holder as a secondary of `prefix` on lcore `lcore`, lets it
// take the DPDK lock `mode` names ("" for the memory hotplug lock for writing,
// "--read", "--read-in-start-up", "--memzone-write-in-start-up": see
// tests/lock_holder.cpp) and kills it with the lock held, as a process killed
// there would leave it. Returns its pid, or 0 if it never held the lock.
pid_t leave_lock_held(const DpdkPrefix& prefix, std::string_view mode,
                      std::string_view lcore = "8@1");

// The process ends within `timeout` with exit code 1, and its stderr holds
// exactly one line of its own ("<program>: error: ..."), which contains `text`.
::testing::AssertionResult refused(Process& p, std::string_view program, std::string_view text,
                                   std::chrono::milliseconds timeout = 30s);

// `sig` (SIGINT, SIGTERM) ends the process within `limit`, with exit code `code`.
::testing::AssertionResult stops_on(Process& p, int sig, std::chrono::milliseconds limit,
                                    int code = 0);

// Waits until busy-polling process `pid` has used `cpu` of CPU time (user +
// system) more than when called, so that it has polled its queues (a memif
// peer, for one, sends only once its client's first RX poll handed it slots).
// False on timeout.
bool has_polled(pid_t pid, std::chrono::milliseconds cpu = 100ms,
                std::chrono::milliseconds timeout = 10s);

// Reads a number that follows `label` in the last occurrence of `label` in text.
std::optional<unsigned long long> last_number_after(const std::string& text,
                                                     std::string_view label);

} // namespace mptest
