#include "guestd.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "common/control.h"
#include "guest_link.h"

namespace vcluster::guest {
namespace {

using omx::Pipe;
using omx::UniqueFd;
using json = nlohmann::json;

// What a command needs to start: argv, and the caller's environment and directory.
struct Command {
    std::vector<std::string> argv;
    std::vector<std::string> env;
    std::string cwd = "/";
};

Command command_of(const json& req) {
    Command c;
    c.argv = req.at("argv").get<std::vector<std::string>>();
    if (c.argv.empty()) throw std::invalid_argument("empty command");
    const json env = req.value("env", json::object());   // not a temporary: items() refers into it
    for (const auto& [k, v] : env.items()) c.env.push_back(k + "=" + v.get<std::string>());
    c.cwd = req.value("cwd", std::string("/"));
    return c;
}

// In the child, after its descriptors are in place: never returns. When exec fails, errno
// goes to `report_fd` (if any) and the reason to stderr.
[[noreturn]] void exec_command(const Command& c, int report_fd = -1) {
    if (::chdir(c.cwd.c_str()) != 0 && ::chdir("/") != 0) _exit(127);
    std::vector<char*> argv, envp;
    for (const auto& a : c.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (const auto& e : c.env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    if (!c.env.empty()) ::environ = envp.data();   // execvp looks the program up in the caller's PATH
    ::execvp(argv[0], argv.data());
    int e = errno;
    if (report_fd >= 0) (void)!::write(report_fd, &e, sizeof e);
    std::string msg = fmt::format("vcluster-guestd: cannot run {}: {}\n", c.argv[0], std::strerror(errno));
    (void)!::write(2, msg.data(), msg.size());
    _exit(127);
}

int shell_status(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 255;
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Runs the command with its stdio on pipes, shuttling them to and from the host as frames
// until it ends. A host that goes away takes the command (its whole session) with it.
void run_exec(int sock, const Command& cmd) {
    Pipe in, out, err;
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(fmt::format("fork: {}", std::strerror(errno)));
    if (pid == 0) {
        ::setsid();
        ::signal(SIGPIPE, SIG_DFL);
        ::dup2(in.read.get(), 0);
        ::dup2(out.write.get(), 1);
        ::dup2(err.write.get(), 2);
        exec_command(cmd);
    }
    in.read.reset();
    out.write.reset();
    err.write.reset();
    UniqueFd child(int(::syscall(SYS_pidfd_open, pid, 0)));
    set_nonblocking(in.write.get());

    FrameReader frames;
    std::string pending_input;
    bool input_ended = false, exited = false;
    int status = 0;
    char buf[65536];
    for (;;) {
        if (input_ended && pending_input.empty()) in.write.reset();
        if (!out.read && !err.read && exited) break;
        pollfd fds[5] = {{sock, POLLIN, 0},
                         {out.read.get(), POLLIN, 0},
                         {err.read.get(), POLLIN, 0},
                         {pending_input.empty() ? -1 : in.write.get(), POLLOUT, 0},
                         {exited ? -1 : child.get(), POLLIN, 0}};
        // Once the command is gone, what it left behind (a background job holding its
        // output open) gets a moment to finish writing, not a hold on the host.
        int n = ::poll(fds, 5, exited ? 200 : -1);
        if (n < 0 && errno == EINTR) continue;
        if (n == 0) break;
        if (fds[0].revents) {
            ssize_t got = ::read(sock, buf, sizeof buf);
            if (got <= 0) {
                ::kill(-pid, SIGKILL);
                if (!exited) ::waitpid(pid, nullptr, 0);
                return;
            }
            frames.append({buf, size_t(got)});
            while (auto f = frames.next()) {
                if (f->type != FrameType::Stdin) throw std::runtime_error("unexpected frame from the host");
                if (f->data.empty()) input_ended = true;
                else if (in.write) pending_input += f->data;
            }
        }
        for (int i : {1, 2}) {
            if (!fds[i].revents) continue;
            UniqueFd& fd = i == 1 ? out.read : err.read;
            ssize_t got = ::read(fd.get(), buf, sizeof buf);
            if (got <= 0) fd.reset();
            else write_all(sock, encode_frame(i == 1 ? FrameType::Stdout : FrameType::Stderr, {buf, size_t(got)}));
        }
        if (fds[3].revents) {
            ssize_t put = ::write(in.write.get(), pending_input.data(), pending_input.size());
            if (put > 0) pending_input.erase(0, size_t(put));
            else if (errno != EAGAIN) {   // the command stopped reading: its input is dropped
                pending_input.clear();
                in.write.reset();
            }
        }
        if (fds[4].revents && ::waitpid(pid, &status, WNOHANG) == pid) exited = true;
    }
    if (!exited) ::waitpid(pid, &status, 0);
    write_all(sock, encode_exit(shell_status(status)));
}

// A daemon of the node: its own session, no input, its output appended to `log`.
json run_spawn(const Command& cmd, const std::string& log) {
    UniqueFd out(::open(log.empty() ? "/dev/null" : log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (!out) return {{"ok", false}, {"error", fmt::format("cannot open {}: {}", log, std::strerror(errno))}};
    UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    Pipe report;   // stays open until exec: an exec error comes back through it
    pid_t pid = ::fork();
    if (pid < 0) return {{"ok", false}, {"error", fmt::format("fork: {}", std::strerror(errno))}};
    if (pid == 0) {
        ::setsid();
        ::signal(SIGPIPE, SIG_DFL);
        ::dup2(null.get(), 0);
        ::dup2(out.get(), 1);
        ::dup2(out.get(), 2);
        report.read.reset();
        exec_command(cmd, report.write.get());
    }
    report.write.reset();
    int e = 0;
    if (::read(report.read.get(), &e, sizeof e) == sizeof e) {
        ::waitpid(pid, nullptr, 0);
        return {{"ok", false}, {"error", fmt::format("cannot run {}: {}", cmd.argv[0], std::strerror(e))}};
    }
    return {{"ok", true}, {"pid", pid}};
}

std::string comm_of(const std::string& pid) {
    std::ifstream in("/proc/" + pid + "/comm");
    std::string comm;
    std::getline(in, comm);
    return comm;
}

std::vector<int> pids_named(const std::vector<std::string>& comms) {
    std::vector<int> pids;
    DIR* d = ::opendir("/proc");
    if (!d) return pids;
    while (dirent* e = ::readdir(d)) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
        std::string comm = comm_of(e->d_name);
        for (const auto& c : comms)
            if (comm == c) pids.push_back(std::atoi(e->d_name));
    }
    ::closedir(d);
    return pids;
}

json run_control(const json& req) {
    try {
        return omx::control::call(req.at("request"), omx::control::kDefaultSocket, req.value("timeout_ms", 2000));
    } catch (const omx::control::CommandError& e) {
        return {{"ok", false}, {"error", e.what()}};
    } catch (const omx::control::NotRunning& e) {
        return {{"ok", false}, {"error", e.what()}, {"not_running", true}};
    }
}

json run_kill(const json& req) {
    int sig = req.value("signal", SIGKILL);
    auto pids = pids_named(req.at("comms").get<std::vector<std::string>>());
    for (int pid : pids) ::kill(pid, sig);
    return {{"ok", true}, {"pids", pids}};
}

// Bounded waits for the handshake: a peer that connects and says nothing is dropped.
void set_receive_timeout(int sock, int seconds) {
    timeval tv{seconds, 0};
    ::setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

void serve(int sock, const omx::ClusterKey& key) {
    set_receive_timeout(sock, 10);
    const std::string challenge = random_hex(16);
    write_all(sock, fmt::format("vcluster-guestd 1 {}\n", challenge));
    if (!proof_matches(key, challenge, read_line(sock, 256))) {
        write_all(sock, json({{"ok", false}, {"error", "wrong cluster key"}}).dump() + "\n");
        return;
    }
    json req = json::parse(read_line(sock));
    set_receive_timeout(sock, 0);
    const std::string op = req.at("op").get<std::string>();
    if (op == "exec") {
        Command cmd = command_of(req);
        write_all(sock, "{\"ok\":true}\n");
        return run_exec(sock, cmd);
    }
    json reply;
    if (op == "spawn") reply = run_spawn(command_of(req), req.value("log", std::string()));
    else if (op == "control") reply = run_control(req);
    else if (op == "pids") reply = {{"ok", true}, {"pids", pids_named(req.at("comms").get<std::vector<std::string>>())}};
    else if (op == "kill") reply = run_kill(req);
    else reply = {{"ok", false}, {"error", "unknown op " + op}};
    write_all(sock, reply.dump() + "\n");
}

}  // namespace

void handle_connection(int sock, const omx::ClusterKey& key) {
    try {
        serve(sock, key);
    } catch (const std::exception& e) {
        try {
            write_all(sock, json({{"ok", false}, {"error", e.what()}}).dump() + "\n");
        } catch (...) {
        }
    }
}

}  // namespace vcluster::guest
