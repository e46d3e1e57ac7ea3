#include "helpers.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace omx {

namespace fs = std::filesystem;

std::string helper_path(const char* name) {
    return (fs::read_symlink("/proc/self/exe").parent_path() / name).string();
}

pid_t spawn(const std::vector<std::string>& argv, const std::vector<std::pair<int, int>>& fds) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(fmt::format("fork: {}", std::strerror(errno)));
    if (pid == 0) {
        ::setsid();
        std::vector<int> tmp;
        for (const auto& [from, to] : fds) tmp.push_back(::fcntl(from, F_DUPFD_CLOEXEC, 100));
        int top = 2;
        for (size_t i = 0; i < fds.size(); ++i) {
            ::dup2(tmp[i], fds[i].second);
            top = std::max(top, fds[i].second);
        }
        int devnull = ::open("/dev/null", O_RDONLY);
        if (devnull >= 0) ::dup2(devnull, 0);
        ::close_range(unsigned(top + 1), ~0U, 0);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::execv(args[0], args.data());
        _exit(127);
    }
    return pid;
}

}  // namespace omx
