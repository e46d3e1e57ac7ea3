#include "children.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <utility>

namespace omx::stress {

Pipe make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
    return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

Child Child::fork(const std::function<int()>& body) {
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        int code = 1;
        try {
            code = body();
        } catch (...) {
        }
        ::_exit(code);
    }
    return Child(pid);
}

Child Child::exec(const std::vector<std::string>& argv) {
    if (argv.empty()) throw std::invalid_argument("no command to run");
    return fork([&] {
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execvp(args[0], args.data());
        ::dprintf(2, "%s: %s\n", args[0], std::strerror(errno));
        return 127;
    });
}

Child::Child(Child&& o) noexcept : pid_(std::exchange(o.pid_, 0)), status_(o.status_) {}

Child& Child::operator=(Child&& o) noexcept {
    if (this != &o) {
        reap_now();
        pid_ = std::exchange(o.pid_, 0);
        status_ = o.status_;
    }
    return *this;
}

Child::~Child() { reap_now(); }

void Child::reap_now() {
    if (pid_ > 0 && !status_) {
        ::kill(pid_, SIGKILL);
        int st = 0;
        while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
        }
    }
    pid_ = 0;
}

bool Child::running() {
    if (pid_ <= 0 || status_) return false;
    int st = 0;
    pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) status_ = st;
    return r == 0;
}

std::optional<int> Child::wait(std::optional<std::chrono::milliseconds> limit) {
    if (status_ || pid_ <= 0) return status_;
    if (!limit) {
        int st = 0;
        pid_t r;
        while ((r = ::waitpid(pid_, &st, 0)) < 0 && errno == EINTR) {
        }
        if (r == pid_) status_ = st;
        return status_;
    }
    // waitpid has no timeout: poll, 1 ms apart at first (most children end at once),
    // then up to 50 ms apart (some run for minutes).
    auto until = std::chrono::steady_clock::now() + *limit;
    auto step = std::chrono::milliseconds(1);
    while (running()) {
        if (std::chrono::steady_clock::now() >= until) return std::nullopt;
        std::this_thread::sleep_for(step);
        step = std::min(step * 2, std::chrono::milliseconds(50));
    }
    return status_;
}

void Child::kill(int sig) const {
    if (pid_ > 0 && !status_) ::kill(pid_, sig);
}

std::string describe_status(int status) {
    if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status))
        return "signal " + std::to_string(WTERMSIG(status)) + " (" + ::strsignal(WTERMSIG(status)) + ")";
    return "wait status " + std::to_string(status);
}

}  // namespace omx::stress
