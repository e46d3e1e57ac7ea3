// syscalls' signals group: a handler for a signal sent to oneself, a blocked signal that
// waits pending until it is unblocked, and a timer's signal. POSIX says a signal a process
// sends itself, unblocked, is delivered before kill() returns (and a pending one before
// sigprocmask() unblocking it returns); the record says whether that held, so a migrated
// process that gets it later shows up as a difference from home.
#include <signal.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>

#include "syscall_groups.h"

namespace omx::stress {

namespace {

volatile sig_atomic_t g_usr1 = 0;
volatile sig_atomic_t g_alrm = 0;

void on_usr1(int) { g_usr1 = g_usr1 + 1; }
void on_alrm(int) { g_alrm = g_alrm + 1; }

[[noreturn]] void fail_errno(const std::string& what) {
    throw std::runtime_error(what + ": " + std::strerror(errno));
}

// Installs a handler for the group's run and puts the old one back.
class HandlerGuard {
public:
    HandlerGuard(int sig, void (*handler)(int)) : sig_(sig) {
        struct sigaction sa {};
        sa.sa_handler = handler;
        sa.sa_flags = SA_RESTART;
        sigemptyset(&sa.sa_mask);
        if (::sigaction(sig, &sa, &old_) != 0) fail_errno("sigaction");
    }
    HandlerGuard(const HandlerGuard&) = delete;
    HandlerGuard& operator=(const HandlerGuard&) = delete;
    ~HandlerGuard() { ::sigaction(sig_, &old_, nullptr); }

private:
    int sig_;
    struct sigaction old_ {};
};

class MaskGuard {
public:
    MaskGuard() { ::sigprocmask(SIG_SETMASK, nullptr, &old_); }
    MaskGuard(const MaskGuard&) = delete;
    MaskGuard& operator=(const MaskGuard&) = delete;
    ~MaskGuard() { ::sigprocmask(SIG_SETMASK, &old_, nullptr); }

private:
    sigset_t old_{};
};

// Sleeps in 1 ms steps (a signal cuts a step short) until `done` or `limit` passed.
template <class Pred>
bool wait_until(Pred done, std::chrono::milliseconds limit) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= until) return false;
        timespec step{0, 1000000L};
        ::nanosleep(&step, nullptr);
    }
    return true;
}

const char* when(bool at_once) { return at_once ? "before the call returned" : "only after the call returned"; }

std::string raise_usr1() {
    g_usr1 = 0;
    if (::kill(::getpid(), SIGUSR1) != 0) fail_errno("kill(getpid(), SIGUSR1)");
    bool at_once = g_usr1 == 1;
    if (!wait_until([] { return g_usr1 >= 1; }, std::chrono::seconds(2)))
        throw std::runtime_error("SIGUSR1 sent with kill(getpid()) did not reach its handler within 2 s");
    return std::string("kill(self, SIGUSR1) handled ") + when(at_once) + ", " + std::to_string(g_usr1) + " time(s)";
}

bool usr1_pending() {
    sigset_t pending;
    sigemptyset(&pending);
    if (::sigpending(&pending) != 0) fail_errno("sigpending");
    return sigismember(&pending, SIGUSR1) == 1;
}

std::string blocked_usr1() {
    MaskGuard keep;
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    if (::sigprocmask(SIG_BLOCK, &usr1, nullptr) != 0) fail_errno("sigprocmask SIG_BLOCK");
    g_usr1 = 0;
    if (::kill(::getpid(), SIGUSR1) != 0) fail_errno("kill(getpid(), SIGUSR1)");
    bool pending_at_once = usr1_pending();
    bool pending = pending_at_once || wait_until(usr1_pending, std::chrono::seconds(2));
    int ran_while_blocked = g_usr1;
    if (::sigprocmask(SIG_UNBLOCK, &usr1, nullptr) != 0) fail_errno("sigprocmask SIG_UNBLOCK");
    bool at_once = g_usr1 == 1;
    if (!wait_until([] { return g_usr1 >= 1; }, std::chrono::seconds(2)))
        throw std::runtime_error("a blocked SIGUSR1 was not delivered within 2 s of unblocking it");
    return std::string("blocked SIGUSR1 ") + (pending ? "pending " : "not pending ") + when(pending_at_once) +
           ", handled while blocked " + std::to_string(ran_while_blocked) + " time(s), on unblock handled " + when(at_once);
}

std::string timer_signal() {
    g_alrm = 0;
    itimerval once{{0, 0}, {0, 20000}};
    auto t0 = std::chrono::steady_clock::now();
    if (::setitimer(ITIMER_REAL, &once, nullptr) != 0) fail_errno("setitimer");
    bool came = wait_until([] { return g_alrm >= 1; }, std::chrono::seconds(5));
    auto waited = std::chrono::steady_clock::now() - t0;
    itimerval off{};
    ::setitimer(ITIMER_REAL, &off, nullptr);
    if (!came) throw std::runtime_error("the SIGALRM of a 20 ms interval timer did not come within 5 s");
    if (waited < std::chrono::milliseconds(20)) throw std::runtime_error("the 20 ms interval timer fired early");
    return "setitimer 20 ms: SIGALRM " + std::to_string(g_alrm) + " time(s), not early";
}

}  // namespace

std::string run_signals(GroupContext&) {
    HandlerGuard usr1(SIGUSR1, on_usr1), alrm(SIGALRM, on_alrm);
    std::string rec = raise_usr1();
    rec += "; " + blocked_usr1();
    return rec + "; " + timer_signal();
}

}  // namespace omx::stress
