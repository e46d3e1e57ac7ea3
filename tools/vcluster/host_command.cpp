#include "host_command.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "common/fd.h"

extern char** environ;

namespace vcluster {
namespace {

// A child we started; always reaped, also when reading its output throws.
struct Child {
    pid_t pid = -1;
    ~Child() {
        if (pid > 0) wait();
    }
    int wait() {
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        pid = -1;
        return status;
    }
};

std::string read_to_end(int fd) {
    std::string output;
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        output.append(buf, size_t(n));
    }
    return output;
}

}  // namespace

HostCommandResult run_host_command(const std::vector<std::string>& argv) {
    omx::Pipe out;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out.write.get(), 1);
    posix_spawn_file_actions_adddup2(&actions, out.write.get(), 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    Child child;
    int rc = ::posix_spawnp(&child.pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        child.pid = -1;
        throw std::runtime_error(fmt::format("cannot run {}: {}", argv[0], std::strerror(rc)));
    }
    out.write.reset();
    HostCommandResult result;
    result.output = read_to_end(out.read.get());
    int status = child.wait();
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

std::string run_host_tool(const std::vector<std::string>& argv) {
    auto r = run_host_command(argv);
    if (r.status != 0)
        throw std::runtime_error(fmt::format("{} failed: {}", argv[0], r.output.empty() ? "no output" : r.output));
    return r.output;
}

}  // namespace vcluster
