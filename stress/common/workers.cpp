#include "workers.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <thread>

#include "common/control.h"
#include "common/fd.h"
#include "program.h"

namespace omx::stress {

int cluster_cpus() {
    try {
        auto reply = control::call({{"cmd", "nodes"}});
        int cpus = 0;
        for (const auto& n : reply.at("nodes"))
            if (n.value("up", false)) cpus += std::max(1, n.value("cpus", 1));
        if (cpus > 0) return cpus;
    } catch (const std::exception&) {
    }
    return int(std::max(1u, std::thread::hardware_concurrency()));
}

bool WorkerResult::ok() const { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

namespace {

void write_all(int fd, const std::string& s) {
    size_t at = 0;
    while (at < s.size()) {
        ssize_t n = ::write(fd, s.data() + at, s.size() - at);
        if (n <= 0) return;
        at += size_t(n);
    }
}

std::string read_all(int fd) {
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, size_t(n));
    return out;
}

}  // namespace

std::vector<WorkerResult> run_workers(int n, const std::function<std::string(int)>& body) {
    std::vector<WorkerResult> results(size_t(std::max(0, n)));
    std::vector<UniqueFd> pipes;
    for (int i = 0; i < n; ++i) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
        UniqueFd rd(fds[0]), wr(fds[1]);
        pid_t pid = ::fork();
        if (pid < 0) throw std::runtime_error("fork failed");
        if (pid == 0) {
            rd.reset();
            int code = 0;
            std::string out;
            try {
                out = body(i);
            } catch (const std::exception& e) {
                out = e.what();
                code = 1;
            }
            write_all(wr.get(), out);
            _exit(code);
        }
        results[size_t(i)].index = i;
        results[size_t(i)].pid = pid;
        pipes.push_back(std::move(rd));
    }
    for (int i = 0; i < n; ++i) {
        // Read to the end first: a worker blocks on a full pipe until we do.
        results[size_t(i)].output = read_all(pipes[size_t(i)].get());
        ::waitpid(results[size_t(i)].pid, &results[size_t(i)].status, 0);
    }
    return results;
}

std::string verdict_line(const std::string& name, bool pass, const std::string& detail) {
    return verdict_line(name, pass ? Verdict::pass : Verdict::fail, detail);
}

}  // namespace omx::stress
