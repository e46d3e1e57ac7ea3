// The IA32 system call table of a migrated process: one row per call (syscall_table.h says
// what the classes and argument kinds mean, arch/syscall_rows.h the shorthands). It lists
// the calls glibc 2.36 makes on i386: mmap2, _llseek, the *64 file calls, the 32-bit uid
// calls, the *_time64 calls (tried first on every kernel since 5.1), the direct socket
// calls, and socketcall, which programs built with an older glibc use for sockets
// (forward.cpp unpacks it into the direct call it stands for).
#include <sys/mman.h>

#include <vector>

#include "arch/arch.h"
#include "arch/syscall_rows.h"

namespace omx::mig::arch {

namespace {

using namespace omx::mig::rows;

// Sizes of the kernel structures the forwarded calls carry (i386).
constexpr uint32_t kStat64 = 96, kStatx = 256, kRusage = 72, kSiginfo = 128, kUtsname = 390, kSysinfo = 64,
                   kRlimit = 8, kRlimit64 = 16, kTms = 16, kStatfs64 = 84, kTimespec = 8, kTimespec64 = 16,
                   kTimeval = 8, kSigset = 8, kPollfd = 8, kEpollEvent = 12, kFdSet = 128, kInt = 4, kLoff = 8,
                   kSockaddrMax = 128;

const std::vector<SyscallInfo>& table() {
    static const std::vector<SyscallInfo> rows = {
        // --- memory of the process itself -----------------------------------------
        LOCAL(brk, "the heap is restored with its brk (PR_SET_MM_MAP)"),
        LOCAL_IF(mmap2, 3, MAP_ANONYMOUS | MAP_SHARED, MAP_ANONYMOUS,
                 "private anonymous memory; a file the node has the same copy of is mapped from it (private or read-only); others go home"),
        LOCAL(munmap, ""),
        LOCAL(mprotect, ""),
        LOCAL(mremap, ""),
        LOCAL(madvise, ""),
        LOCAL(msync, "private mappings only, so nothing to write back"),
        LOCAL(mincore, ""),
        // --- time, randomness, scheduling of this one thread ------------------------
        LOCAL(clock_gettime, "nodes keep their clocks in sync (NTP)"),
        LOCAL(clock_gettime64, "what glibc calls when the vDSO cannot answer"),
        LOCAL(clock_getres, ""),
        LOCAL(clock_getres_time64, ""),
        LOCAL(gettimeofday, ""),
        LOCAL(time, ""),
        LOCAL(nanosleep, ""),
        LOCAL(clock_nanosleep, ""),
        LOCAL(clock_nanosleep_time64, "what glibc's sleep and nanosleep call"),
        LOCAL(getrandom, ""),
        LOCAL(sched_yield, ""),
        LOCAL(getcpu, "the CPU it runs on, here"),
        // --- signals and thread state kept by the process -----------------------------
        LOCAL(rt_sigaction, "handlers live in the process; the remote part delivers signals"),
        LOCAL(rt_sigprocmask, ""),
        LOCAL(rt_sigreturn, ""),
        LOCAL(sigreturn, "the return of a handler installed without SA_SIGINFO"),
        LOCAL(rt_sigpending, "signals the remote part has not delivered yet are at home: later forwarded"),
        LOCAL(rt_sigsuspend, ""),
        LOCAL(sigaltstack, ""),
        LOCAL(futex, "a single thread: futexes are private to it"),
        LOCAL(futex_time64, ""),
        LOCAL(set_robust_list, ""),
        LOCAL(get_robust_list, ""),
        LOCAL(set_tid_address, ""),
        LOCAL(rseq, ""),
        LOCAL(set_thread_area, "the TLS descriptors travel with the image"),
        LOCAL(get_thread_area, ""),
        LOCAL(prctl, "process attributes; PR_SET_NAME is not seen at home yet"),
        LOCAL(exit, "the remote part reports the exit status to the deputy"),
        LOCAL(exit_group, "the remote part reports the exit status to the deputy"),
        // --- files: executed in the husk, which holds the fds and the cwd ------------
        FWD(read, "", V, OUT(2), V),
        FWD(write, "", V, IN(2), V),
        FWD(pread64, "the position is split over two arguments", V, OUT(2), V, V, V),
        FWD(pwrite64, "the position is split over two arguments", V, IN(2), V, V, V),
        FWD(readv, "iovecs are gathered into one buffer", V, SP, V),
        FWD(writev, "iovecs are gathered into one buffer", V, SP, V),
        FWD(open, "", STR, V, V),
        FWD(openat, "", V, STR, V, V),
        FWD(creat, "", STR, V),
        FWD(close, "", V),
        FWD(lseek, "", V, V, V),
        FWD(_llseek, "glibc's lseek: a 64-bit position in two halves, the result through a pointer", V, V, V,
            OUTF(kLoff), V),
        FWD(stat64, "", STR, OUTF(kStat64)),
        FWD(lstat64, "", STR, OUTF(kStat64)),
        FWD(fstat64, "", V, OUTF(kStat64)),
        FWD(fstatat64, "", V, STR, OUTF(kStat64), V),
        FWD(statx, "glibc's stat, fstat and lstat", V, STR, V, V, OUTF(kStatx)),
        FWD(statfs64, "", STR, V, OUTF(kStatfs64)),
        FWD(fstatfs64, "", V, V, OUTF(kStatfs64)),
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
        FWD(chown32, "", STR, V, V),
        FWD(fchown32, "", V, V, V),
        FWD(lchown32, "", STR, V, V),
        FWD(fchownat, "", V, STR, V, V, V),
        FWD(umask, "", V),
        FWD(truncate64, "", STR, V, V),
        FWD(ftruncate64, "", V, V, V),
        FWD(fsync, "", V),
        FWD(fdatasync, "", V),
        FWD(sync, ""),
        FWD(utimensat, "", V, STR, INF(2 * kTimespec), V),
        FWD(utimensat_time64, "", V, STR, INF(2 * kTimespec64), V),
        FWD(fallocate, "", V, V, V, V, V, V),
        FWD(fadvise64_64, "", V, V, V, V, V, V),
        FWD(flock, "", V, V),
        FWD(dup, "", V),
        FWD(dup2, "", V, V),
        FWD(dup3, "", V, V, V),
        FWD(pipe, "", OUTF(2 * kInt)),
        FWD(pipe2, "", OUTF(2 * kInt), V),
        FWD(fcntl, "locks (F_GETLK...) carry a struct flock", V, V, SP),
        FWD(fcntl64, "locks carry a struct flock or flock64 by command", V, V, SP),
        FWD(ioctl, "terminal requests (TCGETS, TIOCGWINSZ...) are known; others go home", V, V, SP),
        FWD(poll, "", IOA(1, kPollfd), V, V),
        FWD(ppoll, "", IOA(1, kPollfd), V, INF(kTimespec), INF(kSigset), V),
        FWD(ppoll_time64, "", IOA(1, kPollfd), V, INF(kTimespec64), INF(kSigset), V),
        FWD(_newselect, "", V, IOF(kFdSet), IOF(kFdSet), IOF(kFdSet), IOF(kTimeval)),
        FWD(pselect6, "", V, IOF(kFdSet), IOF(kFdSet), IOF(kFdSet), IOF(kTimespec), SP),
        FWD(pselect6_time64, "glibc's select", V, IOF(kFdSet), IOF(kFdSet), IOF(kFdSet), IOF(kTimespec64), SP),
        FWD(epoll_create1, "", V),
        FWD(epoll_ctl, "", V, V, V, INF(kEpollEvent)),
        FWD(epoll_wait, "", V, OUTA(2, kEpollEvent), V, V),
        FWD(epoll_pwait, "", V, OUTA(2, kEpollEvent), V, V, INF(kSigset), V),
        FWD(eventfd2, "", V, V),
        // --- sockets stay home (the husk owns them) ----------------------------------
        FWD(socketcall, "older glibc's socket calls: each travels as the direct call it stands for", V, SP),
        FWD(socket, "", V, V, V),
        FWD(socketpair, "", V, V, V, OUTF(2 * kInt)),
        FWD(connect, "", V, IN(2), V),
        FWD(bind, "", V, IN(2), V),
        FWD(listen, "", V, V),
        FWD(accept4, "also socketcall's accept", V, OUTF(kSockaddrMax), IOF(kInt), V),
        FWD(getsockname, "", V, OUTF(kSockaddrMax), IOF(kInt)),
        FWD(getpeername, "", V, OUTF(kSockaddrMax), IOF(kInt)),
        FWD(sendto, "also socketcall's send", V, IN(2), V, V, IN(5), V),
        FWD(recvfrom, "also socketcall's recv", V, OUT(2), V, V, OUTF(kSockaddrMax), IOF(kInt)),
        FWD(sendmsg, "travels as sendto of its pieces; with control data (fd passing) the process goes home", V, SP, V),
        FWD(recvmsg, "travels as recvfrom spread over its pieces; with a control buffer the process goes home", V, SP, V),
        FWD(shutdown, "", V, V),
        FWD(setsockopt, "", V, V, V, IN(4), V),
        FWD(getsockopt, "", V, V, V, SP, IOF(kInt)),
        // --- the process's identity and its family are at home -----------------------
        FWD(getpid, "the home PID: the process never changes identity; after the first, answered where it runs"),
        FWD(getppid, ""),
        FWD(gettid, "the home PID (single-threaded); after the first, answered where it runs"),
        FWD(getuid32, ""),
        FWD(geteuid32, ""),
        FWD(getgid32, ""),
        FWD(getegid32, ""),
        FWD(getgroups32, "", V, OUTA(0, kInt)),
        FWD(getresuid32, "", OUTF(kInt), OUTF(kInt), OUTF(kInt)),
        FWD(getresgid32, "", OUTF(kInt), OUTF(kInt), OUTF(kInt)),
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
        FWD(ugetrlimit, "glibc's getrlimit", V, OUTF(kRlimit)),
        FWD(setrlimit, "", V, INF(kRlimit)),
        FWD(prlimit64, "", V, V, INF(kRlimit64), OUTF(kRlimit64)),
        FWD(getrusage, "", V, OUTF(kRusage)),
        FWD(times, "", OUTF(kTms)),
        FWD(getpriority, "", V, V),
        FWD(setpriority, "", V, V, V),
        // --- what only home can do -----------------------------------------------------
        HOME(fork, "forks where the process runs: the child is a copy there with its own husk at home"),
        HOME(vfork, "as fork (the parent does not wait for the child's exec)"),
        HOME(clone, "as fork without shared memory, files, namespaces or a TLS descriptor; a thread: cantmove clone_vm"),
        HOME(clone3, ""),
        HOME(execve, "runs where the process is when the program and its interpreters are the same files there (size, SHA-256)"),
        HOME(execveat, ""),
        HOME(ipc, "System V IPC (glibc's shmget, semop...): the process then stays home (mem_lock)"),
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
