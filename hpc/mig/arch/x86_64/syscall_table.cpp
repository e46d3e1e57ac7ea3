// The x86_64 system call table of a migrated process: one row per call (syscall_table.h
// says what the classes and argument kinds mean, arch/syscall_rows.h the shorthands).
#include <sys/mman.h>

#include <vector>

#include "arch/arch.h"
#include "arch/syscall_rows.h"

namespace omx::mig::arch {

namespace {

using namespace omx::mig::rows;

// Sizes of the kernel structures the forwarded calls carry (x86_64).
constexpr uint32_t kStat = 144, kStatx = 256, kRusage = 144, kSiginfo = 128, kUtsname = 390, kSysinfo = 112,
                   kRlimit = 16, kTms = 32, kStatfs = 120, kTimespec = 16, kTimeval = 16, kSigset = 8,
                   kPollfd = 8, kEpollEvent = 12, kFdSet = 128, kInt = 4, kSockaddrMax = 128;

const std::vector<SyscallInfo>& table() {
    static const std::vector<SyscallInfo> rows = {
        // --- memory of the process itself -----------------------------------------
        LOCAL(brk, "the heap is restored with its brk (PR_SET_MM_MAP)"),
        LOCAL_IF(mmap, 3, MAP_ANONYMOUS | MAP_SHARED, MAP_ANONYMOUS,
                 "private anonymous memory; a file the node has the same copy of is mapped from it (private or read-only); others go home"),
        LOCAL(munmap, ""),
        LOCAL(mprotect, ""),
        LOCAL(mremap, ""),
        LOCAL(madvise, ""),
        LOCAL(msync, "private mappings only, so nothing to write back"),
        LOCAL(mincore, ""),
        // --- time, randomness, scheduling of this one thread ------------------------
        LOCAL(clock_gettime, "nodes keep their clocks in sync (NTP)"),
        LOCAL(clock_getres, ""),
        LOCAL(gettimeofday, ""),
        LOCAL(time, ""),
        LOCAL(nanosleep, ""),
        LOCAL(clock_nanosleep, ""),
        LOCAL(getrandom, ""),
        LOCAL(sched_yield, ""),
        LOCAL(getcpu, "the CPU it runs on, here"),
        // --- signals and thread state kept by the process -----------------------------
        LOCAL(rt_sigaction, "handlers live in the process; the remote part delivers signals"),
        LOCAL(rt_sigprocmask, ""),
        LOCAL(rt_sigreturn, ""),
        LOCAL(rt_sigpending, "signals the remote part has not delivered yet are at home: later forwarded"),
        LOCAL(rt_sigsuspend, ""),
        LOCAL(sigaltstack, ""),
        LOCAL(futex, "a single thread: futexes are private to it"),
        LOCAL(set_robust_list, ""),
        LOCAL(get_robust_list, ""),
        LOCAL(set_tid_address, ""),
        LOCAL(rseq, ""),
        LOCAL(arch_prctl, ""),
        LOCAL(prctl, "process attributes; PR_SET_NAME is not seen at home yet"),
        LOCAL(exit, "the remote part reports the exit status to the deputy"),
        LOCAL(exit_group, "the remote part reports the exit status to the deputy"),
        // --- files: executed in the husk, which holds the fds and the cwd ------------
        FWD(read, "", V, OUT(2), V),
        FWD(write, "", V, IN(2), V),
        FWD(pread64, "", V, OUT(2), V, V),
        FWD(pwrite64, "", V, IN(2), V, V),
        FWD(readv, "iovecs are gathered into one buffer", V, SP, V),
        FWD(writev, "iovecs are gathered into one buffer", V, SP, V),
        FWD(open, "", STR, V, V),
        FWD(openat, "", V, STR, V, V),
        FWD(creat, "", STR, V),
        FWD(close, "", V),
        FWD(lseek, "", V, V, V),
        FWD(stat, "", STR, OUTF(kStat)),
        FWD(lstat, "", STR, OUTF(kStat)),
        FWD(fstat, "", V, OUTF(kStat)),
        FWD(newfstatat, "", V, STR, OUTF(kStat), V),
        FWD(statx, "", V, STR, V, V, OUTF(kStatx)),
        FWD(statfs, "", STR, OUTF(kStatfs)),
        FWD(fstatfs, "", V, OUTF(kStatfs)),
        FWD(access, "", STR, V),
        FWD(faccessat, "", V, STR, V),
        FWD(faccessat2, "", V, STR, V, V),
        FWD(getdents64, "", V, OUT(2), V),
        FWD(getcwd, "", OUT(1), V),
        FWD(chdir, "", STR),
        FWD(fchdir, "", V),
        FWD(rename, "", STR, STR),
        FWD(renameat, "", V, STR, V, STR),
        FWD(renameat2, "", V, STR, V, STR, V),
        FWD(mkdir, "", STR, V),
        FWD(mkdirat, "", V, STR, V),
        FWD(rmdir, "", STR),
        FWD(unlink, "", STR),
        FWD(unlinkat, "", V, STR, V),
        FWD(link, "", STR, STR),
        FWD(linkat, "", V, STR, V, STR, V),
        FWD(symlink, "", STR, STR),
        FWD(symlinkat, "", STR, V, STR),
        FWD(readlink, "", STR, OUT(2), V),
        FWD(readlinkat, "", V, STR, OUT(3), V),
        FWD(chmod, "", STR, V),
        FWD(fchmod, "", V, V),
        FWD(fchmodat, "", V, STR, V),
        FWD(chown, "", STR, V, V),
        FWD(fchown, "", V, V, V),
        FWD(lchown, "", STR, V, V),
        FWD(fchownat, "", V, STR, V, V, V),
        FWD(umask, "", V),
        FWD(truncate, "", STR, V),
        FWD(ftruncate, "", V, V),
        FWD(fsync, "", V),
        FWD(fdatasync, "", V),
        FWD(sync, ""),
        FWD(utimensat, "", V, STR, INF(2 * kTimespec), V),
        FWD(fallocate, "", V, V, V, V),
        FWD(fadvise64, "", V, V, V, V),
        FWD(flock, "", V, V),
        FWD(dup, "", V),
        FWD(dup2, "", V, V),
        FWD(dup3, "", V, V, V),
        FWD(pipe, "", OUTF(2 * kInt)),
        FWD(pipe2, "", OUTF(2 * kInt), V),
        FWD(fcntl, "locks (F_GETLK...) carry a struct flock", V, V, SP),
        FWD(ioctl, "terminal requests (TCGETS, TIOCGWINSZ...) are known; others go home", V, V, SP),
        FWD(poll, "", IOA(1, kPollfd), V, V),
        FWD(ppoll, "", IOA(1, kPollfd), V, INF(kTimespec), INF(kSigset), V),
        FWD(select, "", V, IOF(kFdSet), IOF(kFdSet), IOF(kFdSet), IOF(kTimeval)),
        FWD(pselect6, "", V, IOF(kFdSet), IOF(kFdSet), IOF(kFdSet), IOF(kTimespec), SP),
        FWD(epoll_create1, "", V),
        FWD(epoll_ctl, "", V, V, V, INF(kEpollEvent)),
        FWD(epoll_wait, "", V, OUTA(2, kEpollEvent), V, V),
        FWD(epoll_pwait, "", V, OUTA(2, kEpollEvent), V, V, INF(kSigset), V),
        FWD(eventfd2, "", V, V),
        // --- sockets stay home (the husk owns them) ----------------------------------
        FWD(socket, "", V, V, V),
        FWD(socketpair, "", V, V, V, OUTF(2 * kInt)),
        FWD(connect, "", V, IN(2), V),
        FWD(bind, "", V, IN(2), V),
        FWD(listen, "", V, V),
        FWD(accept, "", V, OUTF(kSockaddrMax), IOF(kInt)),
        FWD(accept4, "", V, OUTF(kSockaddrMax), IOF(kInt), V),
        FWD(getsockname, "", V, OUTF(kSockaddrMax), IOF(kInt)),
        FWD(getpeername, "", V, OUTF(kSockaddrMax), IOF(kInt)),
        FWD(sendto, "", V, IN(2), V, V, IN(5), V),
        FWD(recvfrom, "", V, OUT(2), V, V, OUTF(kSockaddrMax), IOF(kInt)),
        FWD(sendmsg, "travels as sendto of its pieces; with control data (fd passing) the process goes home", V, SP, V),
        FWD(recvmsg, "travels as recvfrom spread over its pieces; with a control buffer the process goes home", V, SP, V),
        FWD(shutdown, "", V, V),
        FWD(setsockopt, "", V, V, V, IN(4), V),
        FWD(getsockopt, "", V, V, V, SP, IOF(kInt)),
        // --- the process's identity and its family are at home -----------------------
        FWD(getpid, "the home PID: the process never changes identity; after the first, answered where it runs"),
        FWD(getppid, ""),
        FWD(gettid, "the home PID (single-threaded); after the first, answered where it runs"),
        FWD(getuid, ""),
        FWD(geteuid, ""),
        FWD(getgid, ""),
        FWD(getegid, ""),
        FWD(getgroups, "", V, OUTA(0, kInt)),
        FWD(getresuid, "", OUTF(kInt), OUTF(kInt), OUTF(kInt)),
        FWD(getresgid, "", OUTF(kInt), OUTF(kInt), OUTF(kInt)),
        FWD(getpgrp, ""),
        FWD(getpgid, "", V),
        FWD(getsid, "", V),
        FWD(setsid, ""),
        FWD(setpgid, "", V, V),
        FWD(kill, "PIDs are home PIDs", V, V),
        FWD(tkill, "", V, V),
        FWD(tgkill, "", V, V, V),
        FWD(wait4, "children are at home (their husks)", V, OUTF(kInt), V, OUTF(kRusage)),
        FWD(waitid, "", V, V, OUTF(kSiginfo), V, OUTF(kRusage)),
        FWD(uname, "the home node's name, as openMosix showed it", OUTF(kUtsname)),
        FWD(sysinfo, "", OUTF(kSysinfo)),
        FWD(getrlimit, "", V, OUTF(kRlimit)),
        FWD(setrlimit, "", V, INF(kRlimit)),
        FWD(prlimit64, "", V, V, INF(kRlimit), OUTF(kRlimit)),
        FWD(getrusage, "", V, OUTF(kRusage)),
        FWD(times, "", OUTF(kTms)),
        FWD(getpriority, "", V, V),
        FWD(setpriority, "", V, V, V),
        // --- what only home can do -----------------------------------------------------
        HOME(fork, "forks where the process runs: the child is a copy there with its own husk at home"),
        HOME(vfork, "as fork (the parent does not wait for the child's exec)"),
        HOME(clone, "as fork without shared memory, files or namespaces; a thread: cantmove clone_vm"),
        HOME(clone3, ""),
        HOME(execve, "runs where the process is when the program and its interpreters are the same files there (size, SHA-256)"),
        HOME(execveat, ""),
        HOME(shmget, "System V shared memory: the process then stays home (mem_lock)"),
        HOME(shmat, ""),
        HOME(mlock, "mem_lock"),
        HOME(mlockall, "mem_lock"),
        HOME(ptrace, ""),
        HOME(sched_setscheduler, "real-time scheduling: rt_sched"),
        HOME(personality, ""),
    };
    return rows;
}

#undef LOCAL
#undef LOCAL_IF
#undef FWD
#undef HOME

}  // namespace

std::span<const SyscallInfo> syscall_rows() { return table(); }

}  // namespace omx::mig::arch
