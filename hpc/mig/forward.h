#pragma once
// Forwarded system calls: the remote part gathers a call's in-buffers from the migrated
// process (per the syscall table), the deputy executes the call inside the husk at home
// and returns the result with the out-buffers, the remote part scatters them back. The
// three steps meet only through ForwardedCall / ForwardedResult, which is what travels
// between the nodes.
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "syscall_table.h"
#include "tracee.h"

namespace omx::mig {

struct ForwardedCall {
    long nr = 0;
    uint64_t args[6] = {};
    std::map<int, std::vector<uint8_t>> in;   // argument index -> bytes to copy in
    std::map<int, uint64_t> out_size;          // argument index -> bytes the call may write
    // Remote side only, never sent: readv/writev travel as one read/write, and the bytes
    // read are spread back over these (address, length) pieces.
    std::vector<std::pair<uint64_t, uint64_t>> iov;
    // Remote side only: bytes written into the process after a successful call (recvmsg's
    // msg_controllen and msg_flags, which recvfrom does not know about).
    std::vector<std::pair<uint64_t, std::vector<uint8_t>>> also_write;
};

struct ForwardedResult {
    long ret = 0;                               // -errno on failure
    std::map<int, std::vector<uint8_t>> out;   // argument index -> bytes to copy back
};

// Memory of another process, through /proc/<pid>/mem.
class ProcessMemory {
public:
    explicit ProcessMemory(pid_t pid);
    std::vector<uint8_t> read(uint64_t addr, size_t n) const;
    std::string read_string(uint64_t addr, size_t max) const;   // up to and with the NUL
    void write(uint64_t addr, const std::vector<uint8_t>& data);

private:
    omx::UniqueFd fd_;
};

// The layout of a Special argument for this call's other arguments (fcntl locks, terminal
// ioctls); Arg::None when the call cannot be forwarded.
ArgSpec special_arg(const SyscallInfo& row, const uint64_t args[6]);

// Remote side: what the call needs from the process's memory. Throws std::invalid_argument
// when the call cannot be forwarded (an unknown ioctl, ...).
ForwardedCall gather(const SyscallInfo& row, const uint64_t args[6], const ProcessMemory& mem);
// Remote side: the out-buffers back into the process.
void scatter(const ForwardedCall& call, const ForwardedResult& res, ProcessMemory& mem);

// Home side: runs forwarded calls in the husk (a stopped, traced process), with its own
// scratch memory there for the buffers.
class Deputy {
public:
    explicit Deputy(Tracee& husk);
    ForwardedResult execute(const SyscallInfo& row, const ForwardedCall& call);
    // The process now lives elsewhere: the husk gives its memory back and stops blocking
    // signals (the process's own mask applies where it runs).
    void release_body();
    // Signals sent to the home PID since the last call; they are for the process.
    std::vector<int> pending_signals();
    bool husk_alive() const;
    // The process stopped where it runs (SIGSTOP, or SIGTSTP/SIGTTIN/SIGTTOU it did not
    // catch): the husk stops with the same signal, so its parent's job control sees it.
    // False when the kernel at home would not stop it (its process group is orphaned).
    bool stop_husk(int sig);
    // The process exec'd where it runs: the husk does what exec does to what it keeps
    // (close-on-exec fds closed, caught signals back to default) and takes the new name.
    void after_exec(const std::string& comm);
    // The remote process ended: the husk ends the same way, so the parent's wait sees it.
    void finish(int wait_status);

    uint64_t fast_calls() const { return fast_calls_; }

private:
    uint64_t scratch(size_t bytes);
    // A struct sigaction with SIG_DFL in the husk's scratch (at least 1 MiB: what follows
    // it is free for the caller).
    uint64_t default_action();
    ForwardedResult execute_in_husk(const SyscallInfo& row, const ForwardedCall& call);
    // The hot calls on files and pipes run on our own copy of the husk's fd (pidfd_getfd):
    // same open file description, so offsets and flags are shared, and no injection.
    std::optional<ForwardedResult> try_fast(const SyscallInfo& row, const ForwardedCall& call);
    int fd_copy(int husk_fd);   // -1: not eligible (a terminal, a bad fd)
    // Who the husk is (getppid, getuid, getpgrp, ...): read from its /proc entry, which
    // is what the call would answer inside it, without an injection.
    std::optional<ForwardedResult> try_identity(const SyscallInfo& row, const ForwardedCall& call);
    std::string husk_proc(const char* file, omx::UniqueFd& cached);
    static bool would_block(long nr, int fd, const ForwardedCall& call);
    void forget_fds(const SyscallInfo& row, const ForwardedCall& call, long ret);

    Tracee& husk_;
    uint64_t scratch_ = 0;
    size_t scratch_size_ = 0;
    omx::UniqueFd pidfd_;
    std::map<int, omx::UniqueFd> fd_copies_;   // husk fd -> ours (-1 owned = not eligible)
    uint64_t fast_calls_ = 0;
    omx::UniqueFd stat_fd_, status_fd_;   // the husk's /proc/PID/stat and status, kept open
};

}  // namespace omx::mig
