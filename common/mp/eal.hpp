/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// The Environment Abstraction Layer, owned for the life of main().
//
//   mp::Eal eal(argc, argv);                 // rte_eal_init, or a StartupError
//   auto args = eal.app_args();              // what followed "--"
//   if (eal.primary()) { ...create... } else { ...lookup... }
//   eal.mark_ready();                        // "APP: Finished Process Init."
//
// At exit a primary runs rte_eal_cleanup(). A secondary does not: in DPDK 22.11
// the cleanup of a secondary also runs the bus cleanup, whose device remove
// callbacks write into the ethdev data the primary and the other secondaries
// share. The kernel releases what the secondary held when it exits.
//
// A primary that fails before mark_ready() also deletes its hugepage files and
// runtime folder, so that a bad command line leaves nothing behind.
//
// A secondary starts behind the start-up gate (startup_gate.hpp), so that one
// killed inside rte_eal_init() or its look-ups cannot leave the others blocked,
// and frees the service tables EAL gave it (see give_back_service_tables()).
// It holds the gate until mark_ready() or, for a process that prints no ready
// line, leave_startup_gate(): every look-up of the primary's objects goes
// before that. A primary calls hold_back_startups() before it frees them.

#include <chrono>
#include <exception>
#include <filesystem>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>

#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_memory.h>
#include <rte_service_component.h>

#include "dpdk_internals.hpp"
#include "error.hpp"
#include "kill_point.hpp"
#include "log.hpp"
#include "startup_gate.hpp"
#include "usage.hpp"
#include "watchdog.hpp"

namespace mp {

class Eal {
public:
    struct Options {
        // A secondary refuses to run when its primary has exited (by default EAL
        // attaches to the memory the dead primary left). symmetric_mp turns this
        // off: there a restarted process attaches to the memory on purpose.
        bool require_live_primary = true;
    };

    Eal(int argc, char** argv) : Eal(argc, argv, Options{}) {}
    Eal(int argc, char** argv, Options options)
        : prefix_(option_value(argc, argv, "--file-prefix", "rte")),
          uncaught_at_start_(std::uncaught_exceptions())
    {
        const std::string requested = option_value(argc, argv, "--proc-type", "");
        // EAL's own start-up waits on locks in the shared memory: bounded in
        // every program (the programs bound the rest of their start-up).
        const std::string program = std::filesystem::path(argc > 0 ? argv[0] : "").filename();
        const Watchdog watchdog(program.c_str(), "start-up", default_startup_limit,
                                held_lock_hint);
        // About half of a secondary's rte_eal_init() is loading every driver
        // plugin, which touches nothing shared. A secondary that finds the
        // gate held loads them while it waits, and holds the gate for the
        // shared part only; one that finds it open does not spend the preload's
        // extra look-ups.
        if (attaches(requested))
            gate_.emplace(runtime_dir(prefix_), std::chrono::milliseconds(startup_gate_limit),
                          StartupGate::OnQuit::give_up, &internals::load_driver_plugins);
        // The application's own arguments were read before EAL (usage.hpp):
        // only those after "--".
        const std::size_t own_args = app_args_of(argc, argv).size();
        const int parsed = rte_eal_init(argc, argv);
        if (parsed < 0)
            throw StartupError(init_failure(requested));
        if (gate_ && gate_->dead_predecessor() != 0)
            report_repair(*gate_);
        MP_KILL_POINT("eal.initialised");

        // rte_eal_init leaves the program name at argv[parsed]; our args follow it.
        app_args_ = std::span<char*>(argv + parsed + 1, static_cast<std::size_t>(argc - parsed - 1));
        primary_ = rte_eal_process_type() == RTE_PROC_PRIMARY;
        if (!primary_)
            give_back_service_tables();
        // EAL moves the words it does not know that come before "--" to the
        // front of ours: nothing would read them.
        if (app_args_.size() > own_args) {
            if (primary_)
                discard_shared_memory();
            throw UsageError(strprintf("unexpected argument '%s': the program's own options go "
                                       "after \"--\"",
                                       app_args_[0]));
        }
        if (!primary_ && options.require_live_primary && rte_eal_primary_proc_alive(nullptr) == 0) {
            throw StartupError(strprintf("no primary process is running with --file-prefix=%s "
                                         "(only the memory of one that exited is left): start "
                                         "the primary first",
                                         prefix_.c_str()));
        }
    }

    Eal(const Eal&) = delete;
    Eal& operator=(const Eal&) = delete;

    ~Eal()
    {
        if (!primary_ || !cleanup_at_exit_)
            return;
        const bool failed_start = !ready_ && std::uncaught_exceptions() > uncaught_at_start_;
        if (failed_start)
            discard_shared_memory();
        else
            rte_eal_cleanup();
    }

    // The application's own arguments (those after "--"), without the program name.
    std::span<char*> app_args() const noexcept { return app_args_; }
    bool primary() const noexcept { return primary_; }
    const std::string& file_prefix() const noexcept { return prefix_; }

    // Start-up is over: say so in the line external tools wait for.
    void mark_ready() noexcept
    {
        ready_ = true;
        leave_startup_gate();
        log(RTE_LOG_INFO, "Finished Process Init.");
    }

    // A secondary has looked up all it uses of the primary's: the next one
    // may start.
    void leave_startup_gate() noexcept { gate_.reset(); }

    // A primary is about to free what its secondaries look up: from here to
    // its exit no secondary starts, and whatever one killed in its start-up
    // left held is released first, so that the frees do not wait for it.
    // Bounded by `limit` (a secondary inside its start-up finishes first).
    void hold_back_startups(std::chrono::milliseconds limit)
    {
        gate_.emplace(runtime_dir(prefix_), limit, StartupGate::OnQuit::keep_waiting);
        if (gate_->dead_predecessor() != 0)
            report_repair(*gate_);
    }

    // For a primary whose shared objects must outlive it (symmetric_mp: the other
    // processes keep forwarding, and a restarted one attaches to the same memory).
    void keep_shared_state_at_exit() noexcept { cleanup_at_exit_ = false; }
    // Whether a primary frees its shared memory at exit (rte_eal_cleanup()).
    bool cleans_up_at_exit() const noexcept { return primary_ && cleanup_at_exit_; }

    // Removes what secondary process `pid`, which ended without rte_eal_cleanup()
    // (killed), left in this process's runtime folder: its request socket and
    // its private memseg arrays. A kill -9 leaves them, and the folder would
    // grow by a few files per death.
    static void remove_runtime_files_of(pid_t pid) noexcept
    {
        if (pid <= 0)
            return;
        std::error_code error;
        for (const auto& file :
             std::filesystem::directory_iterator(rte_eal_get_runtime_dir(), error))
            if (internals::is_secondary_runtime_file(file.path().filename().string(), pid))
                std::filesystem::remove(file.path(), error);
    }

    // The runtime folder of a --file-prefix, as EAL itself computes it.
    static std::string runtime_dir(const std::string& prefix)
    {
        std::string base = "/var/run";
        if (getuid() != 0) {
            const char* xdg = getenv("XDG_RUNTIME_DIR");
            base = xdg != nullptr ? xdg : "/tmp";
        }
        return base + "/dpdk/" + prefix;
    }

    // The file EAL locks while a primary runs.
    static std::string config_path(const std::string& prefix)
    {
        return runtime_dir(prefix) + "/config";
    }

private:
    // Waiting for the other start-ups never takes longer than the start-up itself.
    static constexpr auto startup_gate_limit = std::chrono::milliseconds(default_startup_limit);

    // Whether rte_eal_init() will attach to a running primary as a secondary.
    bool attaches(const std::string& requested) const
    {
        if (requested == "secondary")
            return true;
        return requested == "auto" &&
               rte_eal_primary_proc_alive(config_path(prefix_).c_str()) != 0;
    }

    // rte_eal_init() gives every process service tables in the shared heap
    // (150 KB on 22.11, 8 KB on 24.11), freed only by rte_eal_cleanup(), which
    // a killed process never runs: each death would leak them, and once the
    // leaks fill the heap, the next start-up grows it under the memory hotplug
    // lock, held for writing, where a kill blocks everyone for good. The
    // programs use no services, so a secondary frees them at once.
    static void give_back_service_tables() noexcept { rte_service_finalize(); }

    static void report_repair(const StartupGate& gate)
    {
        const int pid = static_cast<int>(gate.dead_predecessor());
        const StartupLockRepair& repair = gate.repair();
        if (repair.released != 0)
            log(RTE_LOG_WARNING, "process %d was killed during its start-up holding %s: released",
                pid, startup_lock_names(repair.released).c_str());
        if (repair.left_held != 0)
            log(RTE_LOG_WARNING,
                "process %d was killed during its start-up; %s is held for writing", pid,
                startup_lock_names(repair.left_held).c_str());
        if (repair.released == 0 && repair.left_held == 0)
            log(RTE_LOG_INFO, "process %d was killed during its start-up; nothing was left held",
                pid);
    }

    // Value of an EAL option given as "--name=value" or "--name value".
    static std::string option_value(int argc, char** argv, std::string_view name,
                                    const char* fallback)
    {
        for (int i = 1; i < argc; ++i) {
            const std::string_view arg = argv[i];
            if (arg == "--")
                break;
            if (arg == name && i + 1 < argc)
                return argv[i + 1];
            if (arg.size() > name.size() && arg.substr(0, name.size()) == name &&
                arg[name.size()] == '=')
                return std::string(arg.substr(name.size() + 1));
        }
        return fallback;
    }

    std::string init_failure(const std::string& requested) const
    {
        std::string config = config_path(prefix_);
        const bool primary_alive = rte_eal_primary_proc_alive(config.c_str()) != 0;
        if (requested == "secondary" && !primary_alive)
            return strprintf("no primary process is running with --file-prefix=%s: start the "
                             "primary first",
                             prefix_.c_str());
        if ((requested.empty() || requested == "primary") && primary_alive)
            return strprintf("a primary process is already running with --file-prefix=%s: run "
                             "this one with --proc-type=secondary or another --file-prefix",
                             prefix_.c_str());
        return strprintf("cannot initialise EAL: %s (see the EAL messages above)",
                         rte_errno != 0 ? rte_strerror(rte_errno) : "invalid EAL arguments");
    }

    static int collect_hugepage_file(const rte_memseg_list*, const rte_memseg* ms, void* arg)
    {
        const int fd = rte_memseg_get_fd_thread_unsafe(ms);
        if (fd < 0)
            return 0;
        char link[64];
        char path[PATH_MAX];
        std::snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        const ssize_t len = readlink(link, path, sizeof(path) - 1);
        if (len > 0)
            static_cast<std::set<std::string>*>(arg)->emplace(path, static_cast<std::size_t>(len));
        return 0;
    }

    // Our start-up failed, so no secondary was served: give the hugepages back.
    void discard_shared_memory() noexcept
    {
        std::set<std::string> files;
        rte_memseg_walk(&Eal::collect_hugepage_file, &files);
        const std::string runtime_dir = rte_eal_get_runtime_dir();
        rte_eal_cleanup();
        std::error_code ignored;
        for (const std::string& file : files)
            std::filesystem::remove(file, ignored);
        std::filesystem::remove_all(runtime_dir, ignored);
    }

    std::string prefix_;
    std::span<char*> app_args_;
    int uncaught_at_start_ = 0;
    bool primary_ = false;
    bool ready_ = false;
    bool cleanup_at_exit_ = true;
    std::optional<StartupGate> gate_; // see leave_startup_gate(), hold_back_startups()
};

} // namespace mp
