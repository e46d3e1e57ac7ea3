#include "remote_part.h"

#include <fmt/format.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/ptrace.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <atomic>
#include <chrono>
#include <iostream>
#include <optional>
#include <set>
#include <system_error>

#include "common/proc.h"
#include "dfsa.h"

namespace omx::mig {

namespace {

bool still_valid(int listener, uint64_t id) { return ::ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0; }

// Waits a little for a just-signalled process to drop its pending notification.
bool settles_invalid(int listener, uint64_t id) {
    for (int i = 0; i < 50; ++i) {
        if (!still_valid(listener, id)) return true;
        ::usleep(100);
    }
    return false;
}

std::atomic<int> g_stop_as{0};


}  // namespace

void answer(int listener, uint64_t id, long ret) {
    seccomp_notif_resp resp{};
    resp.id = id;
    if (ret < 0 && ret > -4096) resp.error = int(ret);
    else resp.val = ret;
    ::ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);   // ENOENT: the call was interrupted
}

bool continue_call(int listener, uint64_t id) {
    seccomp_notif_resp resp{};
    resp.id = id;
    resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    return ::ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0;
}

void pass_signal(pid_t pid, int sig) {
    bool job_stop = sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
    uint64_t bit = uint64_t(1) << (sig - 1);
    std::string status = job_stop ? omx::proc_status(pid) : std::string();
    uint64_t handled = omx::status_mask(status, "SigCgt:") | omx::status_mask(status, "SigIgn:") |
                       omx::status_mask(status, "SigBlk:");
    if (job_stop && !(handled & bit)) {
        g_stop_as = sig;
        ::kill(pid, SIGSTOP);
        return;
    }
    ::kill(pid, sig);
}

int reported_stop(int stopped_by) {
    int as = g_stop_as.exchange(0);
    return stopped_by == SIGSTOP && as ? as : stopped_by;
}

bool run_with_local_fd(int listener, uint64_t id, int local_fd, int fd) {
    seccomp_notif_addfd add{};
    add.id = id;
    add.flags = SECCOMP_ADDFD_FLAG_SETFD;
    add.srcfd = uint32_t(local_fd);
    add.newfd = uint32_t(fd);
    add.newfd_flags = O_CLOEXEC;
    if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add) < 0) return errno == ENOENT;
    continue_call(listener, id);
    return true;
}

ExecOutcome run_exec_watched(pid_t pid, int listener, uint64_t id) {
    if (::ptrace(PTRACE_SEIZE, pid, nullptr, (void*)(PTRACE_O_TRACEEXEC)) != 0) return ExecOutcome::NotTraced;
    bool continued = continue_call(listener, id);
    // Stops it right after the call: an exec reports its event before that.
    ::ptrace(PTRACE_INTERRUPT, pid, nullptr, nullptr);
    for (;;) {
        siginfo_t si{};
        if (::waitid(P_PID, id_t(pid), &si, WEXITED | WSTOPPED | __WALL | WNOWAIT) != 0) {
            if (errno == EINTR) continue;
            return ExecOutcome::Failed;
        }
        if (si.si_code == CLD_EXITED || si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED)
            return ExecOutcome::Failed;   // left for the supervisor to reap
        int status = 0;
        if (::waitpid(pid, &status, __WALL) != pid) return ExecOutcome::Failed;
        int event = status >> 16;
        if (event == PTRACE_EVENT_EXEC || event == PTRACE_EVENT_STOP) {
            ::ptrace(PTRACE_DETACH, pid, nullptr, nullptr);
            if (event == PTRACE_EVENT_EXEC) return ExecOutcome::Execed;
            return continued ? ExecOutcome::Failed : ExecOutcome::Interrupted;
        }
        ::ptrace(PTRACE_CONT, pid, nullptr, (void*)(long(WSTOPSIG(status))));   // a signal for it: pass it on
    }
}

bool forkable_call(long nr, const uint64_t* args) {
    if (nr == SYS_fork || nr == SYS_vfork) return true;
    if (nr != SYS_clone) return false;
    // A new TLS is copyable where it is a register value (x86_64's fs_base), not where it
    // is a descriptor in the process's memory for the GDT (i386).
    constexpr uint64_t kCopyable = CSIGNAL | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | CLONE_PARENT_SETTID |
                                   (arch::kCloneTlsInRegisters ? uint64_t(CLONE_SETTLS) : 0) | CLONE_UNTRACED;
    return (arch::clone_args(args).flags & ~kCopyable) == 0;
}

int fork_exit_signal(long nr, const uint64_t* args) { return nr == SYS_clone ? int(args[0] & CSIGNAL) : SIGCHLD; }

ForwardedResult LocalHome::execute(const SyscallInfo& row, const ForwardedCall& call) {
    // The call as gathered may differ from the one made (readv travels as read).
    auto made = call.nr == row.nr ? std::optional<SyscallInfo>(row) : find_syscall(call.nr);
    ForwardedResult res = deputy_.execute(*made, call);
    if (is_restart_code(res.ret))
        for (int sig : deputy_.pending_signals()) pass_signal(remote_, sig);
    return res;
}

Home::News LocalHome::news() {
    News n;
    n.gone = !deputy_.husk_alive();
    if (!n.gone) n.signals = deputy_.pending_signals();
    return n;
}

// Linux 6.6+: the process and we hand over the CPU directly at each notification and
// answer, instead of waking each other through the scheduler (a few µs per call).
void ask_for_synchronous_wakeups(int listener) {
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
    constexpr unsigned long SECCOMP_IOCTL_NOTIF_SET_FLAGS = SECCOMP_IOW(4, __u64);
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
    constexpr uint64_t SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP = 1;
#endif
    uint64_t flags = SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP;
    ::ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, flags);   // older kernels: EINVAL, no harm
}

// /proc/PID/mem of the restored process; nullopt when it has already ended (a child forked
// away that exits at once is a zombie by now: its exit status goes home like any other).
std::optional<ProcessMemory> open_memory_unless_ended(pid_t remote, Supervised& result) {
    try {
        return ProcessMemory(remote);
    } catch (const std::exception&) {
        int ws = 0;
        if (::waitpid(remote, &ws, WNOHANG) != remote) throw;
        result.status = ws;
        return std::nullopt;
    }
}

Supervised supervise(pid_t remote, int listener, Home& home, SuperviseStats* stats, Dfsa* dfsa) {
    ask_for_synchronous_wakeups(listener);
    SuperviseStats st;
    std::set<long> refused_once;
    std::optional<long> home_pid;   // getpid/gettid as home answered them (single-threaded: the same)
    Supervised result;
    auto opened = open_memory_unless_ended(remote, result);
    if (!opened) {
        if (stats) *stats = st;
        return result;
    }
    ProcessMemory mem = std::move(*opened);
    // The home side is looked at between calls, at most every 20 ms: a signal or the
    // husk's death is noticed within that, and a busy process pays nothing per call.
    auto next_home_check = std::chrono::steady_clock::now();
    for (;;) {
        pollfd p{listener, POLLIN, 0};
        int ready = ::poll(&p, 1, 20);
        if (ready < 0 && errno != EINTR) break;
        bool check_home = ready == 0 || std::chrono::steady_clock::now() >= next_home_check;
        if (check_home) {
            next_home_check = std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
            int ws = 0;
            if (::waitpid(remote, &ws, WNOHANG | WUNTRACED) == remote) {
                if (WIFSTOPPED(ws)) {
                    home.stopped(reported_stop(WSTOPSIG(ws)));   // stopped by job control: so is its husk
                } else {
                    result.status = ws;
                    break;
                }
            }
            Home::News news = home.news();
            if (news.gone) {
                ::kill(remote, SIGKILL);
                ::waitpid(remote, &result.status, 0);
                result.outcome = Outcome::HomeGone;
                break;
            }
            for (int sig : news.signals) {
                pass_signal(remote, sig);
                ++st.signals;
            }
            if (news.come_home) {
                result.outcome = Outcome::ComeHome;
                if (dfsa) dfsa->hand_back(home);
                break;
            }
        }
        if (ready <= 0 || !(p.revents & POLLIN)) {
            if (p.revents & (POLLHUP | POLLERR)) {
                ::waitpid(remote, &result.status, 0);
                break;
            }
            continue;
        }
        seccomp_notif req{};
        if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) continue;
        auto args = reinterpret_cast<const uint64_t*>(req.data.args);
        if (forkable_call(req.data.nr, args) && home.fork(remote, req.data.nr, args)) {
            ++st.forks;
            continue;   // answered by its own return from the call
        }
        if (req.data.nr == SYS_execve && home.exec(remote, listener, req.id, args)) {
            ++st.execs;
            // An open /proc/PID/mem stays with the old address space.
            auto reopened = open_memory_unless_ended(remote, result);
            if (!reopened) break;
            mem = std::move(*reopened);
            continue;
        }
        if (dfsa) {
            auto action = dfsa->handle(listener, req, mem);
            if (action == Dfsa::Action::Done) {
                ++st.direct;
                continue;
            }
            if (action == Dfsa::Action::NeedsHome && home.can_bring_home()) {
                result.outcome = Outcome::NeedsHome;
                result.call = "a direct file's copy under a number of home's";
                dfsa->hand_back(home);
                break;   // unanswered: the process makes the call again at home
            }
        }
        if (req.data.nr == arch::kSysMmap && home.map_file(listener, req.id, args)) {
            ++st.mapped;
            continue;
        }
        auto row = find_syscall(req.data.nr);
        bool home_only = !row || row->cls == SyscallClass::BringHome;
        if (home_only && home.can_bring_home()) {
            result.outcome = Outcome::NeedsHome;
            result.call = row ? row->name : "syscall " + std::to_string(req.data.nr);
            if (dfsa) dfsa->hand_back(home);
            break;   // unanswered: the process waits in the call until it is taken home
        }
        if (!row || row->cls != SyscallClass::Forwarded) {
            // Bringing the process home for these comes with migration over the network.
            if (refused_once.insert(req.data.nr).second)
                std::cerr << fmt::format("omx: system call {} needs the process at home; refused (ENOSYS)\n",
                                         row ? row->name : std::to_string(req.data.nr));
            ++st.refused;
            answer(listener, req.id, -ENOSYS);
            continue;
        }
        // The home PID never changes while the process lives, and some libraries ask for it
        // all the time (OpenSSL's RNG checks for a fork at every draw: ~500 getpid per RSA
        // key): after the first answer from home, we answer ourselves.
        const bool asks_home_pid = req.data.nr == SYS_getpid || req.data.nr == SYS_gettid;
        if (asks_home_pid && home_pid) {
            answer(listener, req.id, *home_pid);
            ++st.forwarded;
            continue;
        }
        long ret;
        try {
            ForwardedCall call = gather(*row, args, mem);
            ForwardedResult res = home.execute(*row, call);
            if (asks_home_pid && res.ret > 0) home_pid = res.ret;
            while (is_restart_code(res.ret)) {
                // The signal that interrupted it at home was passed on just before: the
                // process's own call ends the same way (handler, restart or EINTR). A
                // signal the process ignores interrupts nothing: the call runs again.
                if (!settles_invalid(listener, req.id)) res = home.execute(*row, call);
                else break;
            }
            if (!still_valid(listener, req.id)) continue;   // the process was interrupted meanwhile
            scatter(call, res, mem);
            ret = res.ret;
            ++st.forwarded;
        } catch (const std::system_error& e) {
            ret = -e.code().value();
        } catch (const std::invalid_argument& e) {
            if (home.can_bring_home()) {   // a shape we cannot carry (fd passing, an odd ioctl): home can
                result.outcome = Outcome::NeedsHome;
                result.call = row->name;
                if (dfsa) dfsa->hand_back(home);
                break;
            }
            ret = -ENOSYS;
            ++st.refused;
        }
        answer(listener, req.id, ret);
    }
    if (stats) *stats = st;
    return result;
}

}  // namespace omx::mig
