/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// Starting one slave process and waiting for its end, from a worker lcore of
// the master (the upstream guide's "function launched on each pinned thread").
//
// The worker lcore's thread forks; the child at once asks to be killed when
// that thread goes (PR_SET_PDEATHSIG: the lcore threads live as long as the
// master, so a dead master leaves no slave behind) and execs this program (the
// very file the master runs: ProgramFile) as a secondary process. The thread
// then waits for the child to end and records how and when, which is the
// master's exit notification; the master's reaper thread (reaper.hpp) reaps
// the child afterwards.

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <mp/error.hpp>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace l2fwd_fork {

struct LaunchResult {
    pid_t pid = -1;   // -1 if no process was started
    int status = 0;   // from waitpid
    std::string error; // why no process was started
    std::chrono::steady_clock::time_point ended_at{};
};

// The program file the slaves run: this process's own binary, opened once at
// start-up. Exec'ing the open file rather than its path means that a rebuild
// or reinstall during a run (a new file under the same name) cannot give the
// master slaves of another build; they would share its memzone with another
// layout (shared.hpp checks that too, for slaves started by hand).
class ProgramFile {
public:
    ProgramFile() : fd_(open("/proc/self/exe", O_RDONLY | O_CLOEXEC))
    {
        if (fd_ < 0)
            throw mp::StartupError(std::string("cannot open this program's own file "
                                               "(/proc/self/exe) to start slaves from: ") +
                                   std::strerror(errno));
    }
    ProgramFile(const ProgramFile&) = delete;
    ProgramFile& operator=(const ProgramFile&) = delete;
    ~ProgramFile() { close(fd_); }
    int fd() const noexcept { return fd_; }

private:
    int fd_;
};

// The end waitid() saw, now; the status as waitpid() would report it, for the
// W* macros.
inline LaunchResult ended_now(pid_t pid, const siginfo_t& info)
{
    LaunchResult result;
    result.pid = pid;
    result.ended_at = std::chrono::steady_clock::now();
    if (info.si_code == CLD_EXITED)
        result.status = (info.si_status & 0xff) << 8;
    else
        result.status = (info.si_status & 0x7f) | (info.si_code == CLD_DUMPED ? 0x80 : 0);
    return result;
}

// The child's exit status when the slave program could not be run (the shell's).
inline constexpr int exec_failed_status = 127;
// The first file descriptor after standard input, output and error.
inline constexpr int first_non_stdio_fd = STDERR_FILENO + 1;

// Between fork() and exec() a child of a threaded process may only make
// async-signal-safe calls: no allocation, no locks, no stdio.
[[noreturn]] inline void exec_slave(int program_fd, char* const* argv, pid_t master) noexcept
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != master) // the master died before the line above
        _exit(exec_failed_status);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr); // lcore threads block some signals
    // The master's sockets and hugepage files, all but the program file (which
    // is close-on-exec: the slave does not keep it either).
    if (program_fd > first_non_stdio_fd)
        close_range(first_non_stdio_fd, static_cast<unsigned>(program_fd) - 1, 0);
    close_range(static_cast<unsigned>(program_fd) + 1, ~0U, 0);
    fexecve(program_fd, argv, environ);
    static constexpr char message[] = "l2fwd_fork: error: cannot execute the slave program\n";
    [[maybe_unused]] const ssize_t ignored = write(STDERR_FILENO, message, sizeof(message) - 1);
    _exit(exec_failed_status);
}

// Forks and execs `argv` (program_fd: a ProgramFile's); the child's pid, or
// -errno if fork failed. The calling thread must live as long as the child
// (PR_SET_PDEATHSIG: its end kills the child).
inline pid_t start_process(int program_fd, const std::vector<std::string>& argv)
{
    std::vector<char*> cargv;
    for (const std::string& arg : argv)
        cargv.push_back(const_cast<char*>(arg.c_str()));
    cargv.push_back(nullptr);
    const pid_t master = getpid();
    const pid_t pid = fork();
    if (pid == 0)
        exec_slave(program_fd, cargv.data(), master);
    return pid < 0 ? -errno : pid;
}

// Waits for the end of child `pid` (of any thread of this process) and says
// how and when it ended. The child is left a zombie: the reaper reaps it, off
// the recovery path, since reaping a DPDK process can take the kernel a while
// and the end has to be known at once.
inline LaunchResult wait_for_end(pid_t pid)
{
    siginfo_t info{};
    while (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
    }
    return ended_now(pid, info);
}

// The same without waiting: nothing if `pid` has not ended.
inline std::optional<LaunchResult> end_if_ended(pid_t pid)
{
    siginfo_t info{};
    if (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT | WNOHANG) < 0 ||
        info.si_pid != pid)
        return std::nullopt;
    return ended_now(pid, info);
}

// Starts a slave (start_process), calls `started(pid)`, then waits for its end.
template <class Started>
LaunchResult run_slave_process(int program_fd, const std::vector<std::string>& argv,
                               Started&& started)
{
    const pid_t pid = start_process(program_fd, argv);
    if (pid < 0) {
        LaunchResult result;
        result.error = std::string("fork failed: ") + std::strerror(-pid);
        result.ended_at = std::chrono::steady_clock::now();
        return result;
    }
    started(pid);
    return wait_for_end(pid);
}

// "exited with code 0", "killed by signal 9 (Killed)", ...
inline std::string describe_end(const LaunchResult& result)
{
    if (result.pid < 0)
        return "was not started: " + result.error;
    if (WIFEXITED(result.status))
        return "exited with code " + std::to_string(WEXITSTATUS(result.status));
    if (WIFSIGNALED(result.status))
        return "killed by signal " + std::to_string(WTERMSIG(result.status)) + " (" +
               strsignal(WTERMSIG(result.status)) + ")";
    return "ended with status " + std::to_string(result.status);
}

} // namespace l2fwd_fork
