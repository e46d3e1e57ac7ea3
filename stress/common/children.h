#pragma once
// Children a test starts and watches (the command `moving` carries around, acceptance's
// small programs). A Child owns its process: when it goes out of scope still running, on
// any exit path of the test, it is killed and reaped, so no test leaves a busy loop behind.
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/fd.h"

namespace omx::stress {

// A pipe to or from a child, both ends close-on-exec; each side resets the end it does
// not use, so the other sees end of file when it is gone.
struct Pipe {
    UniqueFd rd, wr;
};
Pipe make_pipe();

class Child {
public:
    Child() = default;
    // Forks; the child runs body() and _exits with what it returns (1 if it throws).
    static Child fork(const std::function<int()>& body);
    // Forks and execs argv (searched on PATH); 127 when the exec fails.
    static Child exec(const std::vector<std::string>& argv);

    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    Child(Child&& o) noexcept;
    Child& operator=(Child&& o) noexcept;
    ~Child();

    pid_t pid() const { return pid_; }
    // False once it ended (and was reaped by this object).
    bool running();
    // Waits for the end, at most `limit` (forever without); the wait status, or nullopt
    // when it still runs after the limit.
    std::optional<int> wait(std::optional<std::chrono::milliseconds> limit = std::nullopt);
    std::optional<int> status() const { return status_; }
    void kill(int sig) const;

private:
    explicit Child(pid_t pid) : pid_(pid) {}
    void reap_now();

    pid_t pid_ = 0;
    std::optional<int> status_;
};

// "exit 0", "signal 9 (Killed)" for a wait status.
std::string describe_status(int status);

}  // namespace omx::stress
