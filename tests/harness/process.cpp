/* SPDX-License-Identifier: BSD-3-Clause */
#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace mptest {

std::string build_root()
{
    const char* root = std::getenv("MP_BUILD_ROOT");
    if (root == nullptr)
        throw std::runtime_error("MP_BUILD_ROOT is not set: run the tests with 'meson test'");
    return root;
}

std::string binary(std::string_view name)
{
    const std::string n(name);
    const std::string dir = (n == "mp_server" || n == "mp_client") ? "client_server_mp/" + n : n;
    return build_root() + "/" + dir + "/" + n;
}

std::string upstream(std::string_view name)
{
    const std::string path = build_root() + "/tests/upstream/upstream_" + std::string(name);
    return fs::exists(path) ? path : std::string();
}

std::string dpdk_tool(std::string_view name)
{
    // PATH first, as a shell finds it; then where Debian's packages put the
    // tools, for a test environment started with a bare PATH.
    std::vector<std::string> dirs;
    if (const char* path = std::getenv("PATH")) {
        std::istringstream in(path);
        for (std::string dir; std::getline(in, dir, ':');)
            if (!dir.empty())
                dirs.push_back(dir);
    }
    dirs.insert(dirs.end(), {"/usr/bin", "/usr/local/bin", "/usr/sbin"});
    for (const std::string& dir : dirs) {
        const std::string path = dir + "/" + std::string(name);
        if (access(path.c_str(), X_OK) == 0)
            return path;
    }
    return {};
}

// ---------------------------------------------------------------- DpdkPrefix

namespace {

std::vector<std::string> hugetlbfs_mounts()
{
    std::vector<std::string> mounts;
    std::ifstream in("/proc/mounts");
    std::string device, mount_point, type, rest;
    while (in >> device >> mount_point >> type && std::getline(in, rest))
        if (type == "hugetlbfs")
            mounts.push_back(mount_point);
    return mounts;
}

std::string runtime_dir(const std::string& prefix)
{
    std::string base = "/var/run";
    if (getuid() != 0) {
        const char* xdg = std::getenv("XDG_RUNTIME_DIR");
        base = xdg != nullptr ? xdg : "/tmp";
    }
    return base + "/dpdk/" + prefix;
}

} // namespace

DpdkPrefix::DpdkPrefix(std::string_view tag)
{
    static std::atomic<unsigned> counter{0};
    name_ = "mpt_" + std::string(tag) + "_" + std::to_string(getpid()) + "_" +
            std::to_string(counter++);
    remove_files();
}

DpdkPrefix::~DpdkPrefix() { remove_files(); }

std::string DpdkPrefix::runtime_dir() const { return mptest::runtime_dir(name_); }

std::vector<std::string> DpdkPrefix::leftovers() const
{
    std::vector<std::string> found;
    std::error_code ec;
    for (const std::string& mount : hugetlbfs_mounts())
        for (const auto& entry : fs::directory_iterator(mount, ec))
            if (entry.path().filename().string().rfind(name_ + "map_", 0) == 0)
                found.push_back(entry.path().string());
    const std::string dir = runtime_dir();
    if (fs::exists(dir, ec))
        found.push_back(dir);
    return found;
}

void DpdkPrefix::remove_files() const
{
    std::error_code ec;
    for (const std::string& path : leftovers())
        fs::remove_all(path, ec);
}

std::vector<std::string> eal_args(const DpdkPrefix& prefix, std::string_view lcores,
                                  std::initializer_list<std::string_view> vdevs,
                                  std::initializer_list<std::string_view> extra)
{
    std::vector<std::string> out{"--no-pci", "--file-prefix=" + prefix.name(),
                                 "--lcores=" + std::string(lcores)};
    for (std::string_view vdev : vdevs)
        out.push_back("--vdev=" + std::string(vdev));
    for (std::string_view arg : extra)
        out.emplace_back(arg);
    return out;
}

std::vector<std::string> args(std::initializer_list<std::vector<std::string>> parts)
{
    std::vector<std::string> out;
    for (const auto& part : parts)
        out.insert(out.end(), part.begin(), part.end());
    return out;
}

// ---------------------------------------------------------------- Process

Process::Process(std::vector<std::string> argv, Io io)
{
    if (argv.empty() || argv[0].empty())
        throw std::runtime_error("Process: no program given");
    std::vector<char*> cargv;
    for (std::string& arg : argv)
        cargv.push_back(arg.data());
    cargv.push_back(nullptr);
    const pid_t parent = getpid();

    if (io == Io::pty) {
        int master = -1;
        termios term{};
        cfmakeraw(&term);
        term.c_lflag |= ECHO | ICANON | ISIG | IEXTEN;
        term.c_iflag |= ICRNL;
        term.c_oflag |= OPOST | ONLCR;
        // The keys of an ordinary terminal: ^C, ^\, DEL, ^U, ^D.
        term.c_cc[VINTR] = 0x03;
        term.c_cc[VQUIT] = 0x1c;
        term.c_cc[VERASE] = 0x7f;
        term.c_cc[VKILL] = 0x15;
        term.c_cc[VEOF] = 0x04;
        term.c_cc[VMIN] = 1;
        winsize size{.ws_row = 40, .ws_col = 160, .ws_xpixel = 0, .ws_ypixel = 0};
        pid_ = forkpty(&master, nullptr, &term, &size);
        if (pid_ < 0)
            throw std::runtime_error(std::string("forkpty: ") + std::strerror(errno));
        if (pid_ == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != parent)
                _exit(127);
            execv(cargv[0], cargv.data());
            _exit(127);
        }
        in_fd_ = out_fd_ = master;
    } else {
        int in[2], out[2], err[2];
        if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
            throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
        pid_ = fork();
        if (pid_ < 0)
            throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
        if (pid_ == 0) {
            setpgid(0, 0);
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != parent)
                _exit(127);
            dup2(in[0], STDIN_FILENO);
            dup2(out[1], STDOUT_FILENO);
            dup2(err[1], STDERR_FILENO);
            execv(cargv[0], cargv.data());
            _exit(127);
        }
        close(in[0]);
        close(out[1]);
        close(err[1]);
        in_fd_ = in[1];
        out_fd_ = out[0];
        err_fd_ = err[0];
    }
    reader_ = std::thread([this] { read_loop(); });
}

Process::~Process()
{
    kill();
    if (reader_.joinable())
        reader_.join();
    if (in_fd_ >= 0 && in_fd_ != out_fd_)
        close(in_fd_);
    if (out_fd_ >= 0)
        close(out_fd_);
    if (err_fd_ >= 0)
        close(err_fd_);
}

void Process::read_loop()
{
    std::vector<pollfd> fds{{out_fd_, POLLIN, 0}};
    if (err_fd_ >= 0)
        fds.push_back({err_fd_, POLLIN, 0});
    std::size_t open_fds = fds.size();
    char buf[4096];
    while (open_fds > 0) {
        if (poll(fds.data(), fds.size(), 200) < 0 && errno != EINTR)
            break;
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0)
                continue;
            const ssize_t n = read(fds[i].fd, buf, sizeof(buf));
            if (n <= 0) {
                // EOF on a pipe, EIO on a pty whose last user is gone.
                if (n == 0 || errno != EINTR) {
                    fds[i].fd = -1;
                    --open_fds;
                }
                continue;
            }
            std::lock_guard lock(mutex_);
            output_.append(buf, static_cast<std::size_t>(n));
            if (fds[i].fd == err_fd_)
                errors_.append(buf, static_cast<std::size_t>(n));
            else
                standard_output_.append(buf, static_cast<std::size_t>(n));
            changed_.notify_all();
        }
    }
    std::lock_guard lock(mutex_);
    eof_ = true;
    changed_.notify_all();
}

bool Process::wait_until(std::chrono::milliseconds timeout, const auto& predicate)
{
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return predicate() || eof_; }) && predicate();
}

bool Process::expect(std::string_view text, std::chrono::milliseconds timeout)
{
    std::size_t found = std::string::npos;
    const bool ok = wait_until(timeout, [&] {
        found = output_.find(text, cursor_);
        return found != std::string::npos;
    });
    if (ok) {
        std::lock_guard lock(mutex_);
        cursor_ = found + text.size();
    }
    return ok;
}

std::optional<std::vector<std::string>> Process::expect_regex(const std::string& pattern,
                                                              std::chrono::milliseconds timeout)
{
    const std::regex re(pattern);
    std::smatch match;
    std::string tail;
    std::size_t base = 0;
    const bool ok = wait_until(timeout, [&] {
        base = cursor_;
        tail = output_.substr(cursor_);
        return std::regex_search(tail, match, re);
    });
    if (!ok)
        return std::nullopt;
    std::vector<std::string> groups(match.begin(), match.end());
    std::lock_guard lock(mutex_);
    cursor_ = base + static_cast<std::size_t>(match.position(0) + match.length(0));
    return groups;
}

bool Process::expect_count(std::string_view text, std::size_t times,
                           std::chrono::milliseconds timeout)
{
    return wait_until(timeout, [&] {
        std::size_t count = 0;
        for (std::size_t pos = output_.find(text); pos != std::string::npos;
             pos = output_.find(text, pos + text.size()))
            ++count;
        return count >= times;
    });
}

std::string Process::output() const
{
    std::lock_guard lock(mutex_);
    return output_;
}

bool Process::expect_on_stdout(std::string_view text, std::chrono::milliseconds timeout)
{
    return wait_until(timeout,
                      [&] { return standard_output_.find(text) != std::string::npos; });
}

std::string Process::errors() const
{
    std::lock_guard lock(mutex_);
    return errors_;
}

std::string Process::standard_output() const
{
    std::lock_guard lock(mutex_);
    return standard_output_;
}

void Process::write(std::string_view data)
{
    while (!data.empty()) {
        const ssize_t n = ::write(in_fd_, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw std::runtime_error(std::string("write to process: ") + std::strerror(errno));
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

void Process::close_stdin()
{
    if (in_fd_ >= 0 && in_fd_ != out_fd_) {
        close(in_fd_);
        in_fd_ = -1;
    } else if (in_fd_ >= 0) {
        write("\x04"); // Ctrl-D on a terminal
    }
}

void Process::signal(int sig) const
{
    if (pid_ > 0)
        ::kill(pid_, sig);
}

std::optional<Exit> Process::wait_exit(std::chrono::milliseconds timeout)
{
    if (exit_)
        return exit_;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        int status = 0;
        const pid_t r = waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            Exit e;
            if (WIFEXITED(status))
                e.code = WEXITSTATUS(status);
            else if (WIFSIGNALED(status))
                e.signal = WTERMSIG(status);
            exit_ = e;
            // Let the reader drain what the process wrote last.
            wait_until(2s, [] { return false; });
            return exit_;
        }
        if (r < 0 || std::chrono::steady_clock::now() >= deadline)
            return std::nullopt;
        std::this_thread::sleep_for(5ms);
    }
}

bool Process::running() { return !exit_ && !wait_exit(0ms); }

void Process::kill()
{
    if (pid_ <= 0 || exit_)
        return;
    ::kill(-pid_, SIGKILL); // the whole group: children the process started, too
    ::kill(pid_, SIGKILL);
    wait_exit(10s);
}

std::optional<unsigned long long> last_number_after(const std::string& text,
                                                     std::string_view label)
{
    const std::size_t pos = text.rfind(label);
    if (pos == std::string::npos)
        return std::nullopt;
    const char* start = text.c_str() + pos + label.size();
    char* end = nullptr;
    const unsigned long long value = std::strtoull(start, &end, 10);
    if (end == start)
        return std::nullopt;
    return value;
}

pid_t leave_lock_held(const DpdkPrefix& prefix, std::string_view mode, std::string_view lcore)
{
    std::vector<std::string> argv = args({{build_root() + "/tests/lock_holder"},
                                          eal_args(prefix, lcore, {}, {"--proc-type=secondary"})});
    if (!mode.empty())
        argv.insert(argv.end(), {"--", std::string(mode)});
    Process holder(argv);
    if (!holder.expect("lock held: ", 60s))
        return 0;
    const pid_t pid = holder.pid();
    holder.kill();
    return pid;
}

::testing::AssertionResult refused(Process& p, std::string_view program, std::string_view text,
                                   std::chrono::milliseconds timeout)
{
    const auto exit = p.wait_exit(timeout);
    if (!exit)
        return ::testing::AssertionFailure() << "still running after " << timeout.count()
                                             << " ms:\n" << p.output();
    const std::string errors = p.errors();
    const std::string own = std::string(program) + ": ";
    if (text.ends_with('\n'))
        text.remove_suffix(1);
    std::size_t own_lines = 0;
    bool found = false;
    std::istringstream lines(errors);
    for (std::string line; std::getline(lines, line);)
        if (line.starts_with(own)) {
            ++own_lines;
            found = found || line.find(text) != std::string::npos;
        }
    if (exit->code != 1 || own_lines != 1 || !found)
        return ::testing::AssertionFailure()
               << "exit code " << exit->code << " (signal " << exit->signal << "), " << own_lines
               << " line(s) of its own, expected one with: " << text << "\nstderr:\n"
               << errors;
    return ::testing::AssertionSuccess();
}

::testing::AssertionResult stops_on(Process& p, int sig, std::chrono::milliseconds limit, int code)
{
    const auto asked = std::chrono::steady_clock::now();
    p.signal(sig);
    const auto exit = p.wait_exit(limit);
    if (!exit)
        return ::testing::AssertionFailure() << "still running " << limit.count()
                                             << " ms after signal " << sig << ":\n"
                                             << p.output();
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - asked);
    if (exit->code != code)
        return ::testing::AssertionFailure() << "exit code " << exit->code << " (signal "
                                             << exit->signal << ") after signal " << sig
                                             << ", expected " << code << ":\n" << p.output();
    return ::testing::AssertionSuccess() << "stopped in " << took.count() << " ms";
}

// ---- Telemetry ---------------------------------------------------------------

Telemetry::Telemetry(const DpdkPrefix& prefix, std::chrono::milliseconds timeout)
    : path_(prefix.runtime_dir() + "/dpdk_telemetry.v2"), timeout_(timeout)
{
}

Telemetry::~Telemetry() { disconnect(); }

std::string Telemetry::query(const std::string& command)
{
    if (fd_ < 0 && !connect_socket())
        return {};
    std::vector<char> buffer(64 * 1024);
    if (::write(fd_, command.data(), command.size()) == static_cast<ssize_t>(command.size())) {
        const ssize_t n = read(fd_, buffer.data(), buffer.size());
        if (n > 0)
            return std::string(buffer.data(), static_cast<std::size_t>(n));
    }
    disconnect(); // timed out or gone: the next query starts afresh
    return {};
}

std::optional<unsigned long long> Telemetry::number(const std::string& command,
                                                    const std::string& key)
{
    std::smatch m;
    const std::string reply = query(command);
    if (std::regex_search(reply, m, std::regex("\"" + key + "\":\\s*(\\d+)")))
        return std::stoull(m[1]);
    return std::nullopt;
}

std::optional<std::vector<unsigned long long>> Telemetry::numbers(const std::string& command,
                                                                  const std::string& key)
{
    std::smatch m;
    const std::string reply = query(command);
    if (!std::regex_search(reply, m, std::regex("\"" + key + "\":\\s*\\[([0-9, ]*)\\]")))
        return std::nullopt;
    std::vector<unsigned long long> values;
    std::istringstream in(m[1].str());
    for (std::string item; std::getline(in, item, ',');)
        values.push_back(std::stoull(item));
    return values;
}

bool Telemetry::connect_socket()
{
    fd_ = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd_ < 0)
        return false;
    const timeval limit{.tv_sec = static_cast<time_t>(timeout_.count() / 1000),
                        .tv_usec = static_cast<suseconds_t>(timeout_.count() % 1000 * 1000)};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path_.c_str());
    char greeting[1024];
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        read(fd_, greeting, sizeof(greeting)) > 0)
        return true;
    disconnect();
    return false;
}

void Telemetry::disconnect()
{
    if (fd_ >= 0)
        close(fd_);
    fd_ = -1;
}

namespace {

// CPU time (user + system, in clock ticks) that process `pid` has used.
unsigned long long cpu_ticks(pid_t pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(in, line);
    const std::size_t end = line.rfind(')');
    if (end == std::string::npos)
        return 0;
    std::istringstream fields(line.substr(end + 2));
    std::string skip;
    for (int field = 3; field < 14; ++field)
        fields >> skip;
    unsigned long long user = 0, system = 0;
    fields >> user >> system;
    return user + system;
}

} // namespace

bool has_polled(pid_t pid, std::chrono::milliseconds cpu, std::chrono::milliseconds timeout)
{
    const unsigned long long from = cpu_ticks(pid);
    const unsigned long long ticks = cpu.count() * sysconf(_SC_CLK_TCK) / 1000;
    return poll_until(timeout, [&] { return cpu_ticks(pid) >= from + ticks; });
}

} // namespace mptest
