#include "namespaces.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "cgroups.h"
#include "common/fd.h"

namespace fs = std::filesystem;
using omx::Pipe;
using omx::UniqueFd;

namespace vcluster {

namespace {

void write_all(int fd, const std::string& s) {
    size_t done = 0;
    while (done < s.size()) {
        ssize_t n = ::write(fd, s.data() + done, s.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        done += size_t(n);
    }
}

std::string read_all(int fd) {
    std::string out;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return out;
        out.append(buf, size_t(n));
    }
}

// fork() with namespace flags: the child returns 0, like fork.
pid_t clone_process(int flags) {
    return pid_t(::syscall(SYS_clone, flags | SIGCHLD, nullptr, nullptr, nullptr, nullptr));
}

void redirect_std_to_devnull() {
    UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
    for (int fd = 0; fd <= 2; ++fd) ::dup2(null.get(), fd);
}

// PID 1 of a node: reaps every orphan and leaves on SIGTERM/SIGKILL (taking the node's
// whole PID namespace with it).
[[noreturn]] void holder_loop() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    for (;;) {
        int sig = sigwaitinfo(&set, nullptr);
        if (sig == SIGCHLD) {
            while (::waitpid(-1, nullptr, WNOHANG) > 0) {}
        } else if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP) {
            _exit(0);
        }
    }
}

int shell_status(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 1;
}

std::string ns_path(const ProcessRef& p, const char* ns) { return fmt::format("/proc/{}/ns/{}", p.pid, ns); }

std::vector<UniqueFd> open_namespaces(const ProcessRef& holder, const std::vector<const char*>& names) {
    if (!holder.alive()) throw std::runtime_error(fmt::format("the node's holder process {} is gone", holder.pid));
    std::vector<UniqueFd> fds;
    for (const char* n : names) {
        UniqueFd fd(::open(ns_path(holder, n).c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) throw std::runtime_error(fmt::format("cannot open {}: {}", ns_path(holder, n), std::strerror(errno)));
        fds.push_back(std::move(fd));
    }
    return fds;
}

[[noreturn]] void exec_or_die(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    std::string msg = fmt::format("vcluster: cannot run {}: {}\n", argv[0], std::strerror(errno));
    write_all(2, msg);
    _exit(127);
}

}  // namespace

ProcessRef spawn_holder(int clone_flags, const std::string& name, const std::vector<std::string>& cgroups,
                        const std::function<void()>& setup) {
    auto procs = open_procs_files(cgroups);
    Pipe go, report;
    pid_t pid = clone_process(clone_flags | CLONE_NEWPID);
    if (pid < 0) throw std::runtime_error(fmt::format("cannot create the namespaces of {}: {}", name, std::strerror(errno)));
    if (pid == 0) {
        go.write.reset();
        report.read.reset();
        ::prctl(PR_SET_NAME, name.substr(0, 15).c_str());
        ::prctl(PR_SET_PDEATHSIG, 0);
        ::setsid();
        char byte;
        if (::read(go.read.get(), &byte, 1) != 1) _exit(1);   // the parent gave up
        try {
            setup();
        } catch (const std::exception& e) {
            write_all(report.write.get(), e.what());
            _exit(1);
        }
        write_all(report.write.get(), "ok");
        report.write.reset();
        go.read.reset();
        redirect_std_to_devnull();
        holder_loop();
    }
    go.read.reset();
    report.write.reset();
    ProcessRef ref = ProcessRef::of(pid);
    try {
        move_pid(procs, pid);
    } catch (...) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        throw;
    }
    write_all(go.write.get(), "g");
    std::string answer = read_all(report.read.get());
    if (answer != "ok") {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        throw std::runtime_error(answer.empty() ? fmt::format("{} died while setting up", name) : answer);
    }
    return ref;
}

void kill_holder(const ProcessRef& holder, int timeout_ms) {
    if (!holder.alive()) return;
    ::kill(holder.pid, SIGKILL);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (holder.alive()) {
        ::waitpid(holder.pid, nullptr, WNOHANG);   // ours when `up` itself cleans up
        if (std::chrono::steady_clock::now() > deadline)
            throw std::runtime_error(fmt::format("holder process {} did not die", holder.pid));
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    // Give the host's init a moment to reap it, so `ps` right after `down` is clean.
    for (int i = 0; i < 50 && ::access(fmt::format("/proc/{}", holder.pid).c_str(), F_OK) == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

int run_in_node(const ProcessRef& holder, const std::vector<std::string>& argv, const RunOptions& opt) {
    if (argv.empty()) throw std::invalid_argument("nothing to run");
    auto ns = open_namespaces(holder, {"ipc", "uts", "net", "pid", "mnt"});
    auto procs = open_procs_files(opt.cgroups);
    char cwd_buf[PATH_MAX];
    std::string cwd = ::getcwd(cwd_buf, sizeof cwd_buf) ? cwd_buf : "/";
    Pipe started;

    struct sigaction ignore {}, old_int {}, old_quit {};
    ignore.sa_handler = SIG_IGN;
    if (!opt.detach) {
        ::sigaction(SIGINT, &ignore, &old_int);
        ::sigaction(SIGQUIT, &ignore, &old_quit);
    }
    pid_t middle = ::fork();
    if (middle < 0) throw std::runtime_error(fmt::format("fork: {}", std::strerror(errno)));
    if (middle == 0) {
        started.read.reset();
        for (const auto& fd : ns)
            if (::setns(fd.get(), 0) != 0) {
                write_all(2, fmt::format("vcluster: cannot enter the node: {}\n", std::strerror(errno)));
                _exit(127);
            }
        if (::chdir(cwd.c_str()) != 0 && ::chdir("/") != 0) _exit(127);
        pid_t inner = ::fork();   // the first process born in the node's PID namespace
        if (inner < 0) _exit(127);
        if (inner == 0) {
            try {
                move_pid(procs, 0);
            } catch (const std::exception& e) {
                write_all(2, fmt::format("vcluster: {}\n", e.what()));
                _exit(127);
            }
            const char* path = std::getenv("PATH");
            std::string new_path = opt.path_prefix + ":" + (path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
            ::setenv("PATH", new_path.c_str(), 1);
            ::unsetenv("OMX_CONTROL_SOCKET");   // the node's own daemon, at its default place
            ::signal(SIGINT, SIG_DFL);
            ::signal(SIGQUIT, SIG_DFL);
            if (opt.detach) {
                ::setsid();
                UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
                ::dup2(null.get(), 0);
                if (opt.output_fd >= 0) {
                    ::dup2(opt.output_fd, 1);
                    ::dup2(opt.output_fd, 2);
                }
            }
            exec_or_die(argv);
        }
        if (opt.detach) {
            write_all(started.write.get(), std::to_string(inner));
            _exit(0);
        }
        int status = 0;
        while (::waitpid(inner, &status, 0) < 0 && errno == EINTR) {}
        if (WIFSIGNALED(status)) _exit(128 + WTERMSIG(status));
        _exit(shell_status(status));
    }
    started.write.reset();
    int status = 0;
    while (::waitpid(middle, &status, 0) < 0 && errno == EINTR) {}
    if (!opt.detach) {
        ::sigaction(SIGINT, &old_int, nullptr);
        ::sigaction(SIGQUIT, &old_quit, nullptr);
        return shell_status(status);
    }
    std::string pid_text = read_all(started.read.get());
    if (pid_text.empty()) throw std::runtime_error(fmt::format("could not start {} in the node", argv[0]));
    return std::stoi(pid_text);
}

void run_in_netns(const ProcessRef& holder, const std::vector<std::string>& argv, const std::string& input) {
    auto ns = open_namespaces(holder, {"net"});
    Pipe in, out;
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(fmt::format("fork: {}", std::strerror(errno)));
    if (pid == 0) {
        if (::setns(ns[0].get(), CLONE_NEWNET) != 0) _exit(127);
        ::dup2(in.read.get(), 0);
        ::dup2(out.write.get(), 1);
        ::dup2(out.write.get(), 2);
        exec_or_die(argv);
    }
    in.read.reset();
    out.write.reset();
    write_all(in.write.get(), input);
    in.write.reset();
    std::string output = read_all(out.read.get());
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::string what;
        for (const auto& a : argv) what += (what.empty() ? "" : " ") + a;
        throw std::runtime_error(fmt::format("`{}` failed: {}", what, output.empty() ? "no output" : output));
    }
}

std::vector<int> processes_in_node(const ProcessRef& holder, const std::vector<std::string>& comms) {
    std::vector<int> found;
    std::error_code ec;
    auto target = fs::read_symlink(ns_path(holder, "pid"), ec);
    if (ec) return found;
    for (const auto& entry : fs::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        auto ns = fs::read_symlink(entry.path() / "ns" / "pid", ec);
        if (ec || ns != target) continue;
        std::ifstream comm_file(entry.path() / "comm");
        std::string comm;
        std::getline(comm_file, comm);
        const int pid = std::stoi(name);
        if (comms.empty() && pid != holder.pid) found.push_back(pid);
        for (const auto& c : comms)
            if (comm == c && ProcessRef::of(pid).start_time) found.push_back(pid);
    }
    return found;
}

omx::UniqueFd connect_in_netns(const ProcessRef& holder, const std::string& address, int port, int timeout_ms) {
    auto ns = open_namespaces(holder, {"net"});
    UniqueFd own(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!own) throw std::runtime_error(fmt::format("cannot open our network namespace: {}", std::strerror(errno)));
    if (::setns(ns[0].get(), CLONE_NEWNET) != 0)
        throw std::runtime_error(fmt::format("cannot enter the cluster's network: {}", std::strerror(errno)));
    UniqueFd sock(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    int saved = errno;
    if (::setns(own.get(), CLONE_NEWNET) != 0) {
        // Staying in the cluster's network would send every later connection there.
        std::string msg = fmt::format("cannot return to our network namespace: {}", std::strerror(errno));
        write_all(2, "vcluster: " + msg + "\n");
        std::abort();
    }
    if (!sock) throw std::runtime_error(fmt::format("socket: {}", std::strerror(saved)));

    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(uint16_t(port));
    if (::inet_pton(AF_INET, address.c_str(), &to.sin_addr) != 1)
        throw std::invalid_argument(fmt::format("not an IPv4 address: {}", address));
    auto fail = [&](int err) {
        return std::runtime_error(fmt::format("cannot connect to {}:{}: {}", address, port, std::strerror(err)));
    };
    if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
        if (errno != EINPROGRESS) throw fail(errno);
        pollfd p{sock.get(), POLLOUT, 0};
        int n = ::poll(&p, 1, timeout_ms);
        if (n == 0) throw fail(ETIMEDOUT);
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(sock.get(), SOL_SOCKET, SO_ERROR, &err, &len);
        if (n < 0 || err != 0) throw fail(n < 0 ? errno : err);
    }
    int flags = ::fcntl(sock.get(), F_GETFL);
    ::fcntl(sock.get(), F_SETFL, flags & ~O_NONBLOCK);
    return sock;
}

}  // namespace vcluster
