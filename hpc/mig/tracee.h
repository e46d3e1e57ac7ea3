#pragma once
// A process under our ptrace: registers, extended FPU state, signal mask, memory through
// /proc/<pid>/mem, and system calls injected into it. The destructor detaches (or the
// process dies with us when it was started by us with PTRACE_O_EXITKILL).
#include <sys/types.h>
#include <sys/user.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "arch/arch.h"
#include "common/fd.h"

namespace omx::mig {

struct RseqConfig {
    uint64_t address = 0;   // 0 = no rseq area registered
    uint32_t size = 0;
    uint32_t signature = 0;
    uint32_t flags = 0;
};

// Registers of a stopped syscall with the kernel's restart convention undone: when the
// process was interrupted inside a restartable call, the ip is moved back to the syscall
// instruction and rax/eax holds the call number again, so resuming anywhere re-issues it.
arch::Regs resumable_registers(const arch::Regs& stopped);

// The kernel's "interrupted, restart me" results (ERESTARTSYS..ERESTART_RESTARTBLOCK): a
// signal cut the call short and the kernel would make it again or fail it with EINTR.
bool is_restart_code(long ret);

// The address an injected mmap or brk returned: results come back as the process's long,
// so on i386 an address above 2 GiB is a negative number until made unsigned again.
inline uint64_t address_result(long rc) { return uint64_t((unsigned long)rc); }

class Tracee {
public:
    // Seizes a running process and stops it (PTRACE_SEIZE + PTRACE_INTERRUPT).
    static Tracee seize(pid_t pid);
    // Adopts our child that did PTRACE_TRACEME and exec'd; waits for its exec stop.
    static Tracee adopt_exec_child(pid_t pid);
    // Takes the child that inject_fork just made, traced by us from its birth.
    static Tracee adopt_forked(pid_t pid);

    Tracee(Tracee&& o) noexcept;
    Tracee& operator=(Tracee&&) = delete;
    ~Tracee();

    pid_t pid() const { return pid_; }

    arch::Regs registers() const;
    void set_registers(const arch::Regs& r);
    std::vector<uint8_t> xstate() const;
    void set_xstate(const std::vector<uint8_t>& x);
    uint64_t signal_mask() const;
    void set_signal_mask(uint64_t mask);
    RseqConfig rseq() const;

    void read_memory(uint64_t addr, std::span<uint8_t> out) const;
    void write_memory(uint64_t addr, std::span<const uint8_t> data);
    uint64_t read_u64(uint64_t addr) const;
    uint64_t read_word(uint64_t addr) const;   // an unsigned long of the process (a pointer)

    // Where a system call instruction is that injected calls go through (arch::syscall_insn).
    void set_syscall_site(uint64_t addr) { site_ = addr; }
    uint64_t syscall_site() const { return site_; }
    // Runs one system call in the process; returns the raw result (-errno on failure).
    // The process is left at the call's syscall-exit stop: registers set now are the ones
    // it resumes with.
    long inject(long nr, uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0, uint64_t a4 = 0, uint64_t a5 = 0,
                uint64_t a6 = 0);
    // Like inject, but throws naming the call when it fails.
    long inject_checked(const char* what, long nr, uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0,
                        uint64_t a4 = 0, uint64_t a5 = 0, uint64_t a6 = 0);
    uint64_t injected_calls() const { return injected_; }
    // Makes the process fork (a plain fork whose child ends with `exit_signal` to its
    // parent). The child is born traced by us and stopped: adopt it with adopt_forked.
    pid_t inject_fork(int exit_signal);
    // Signals that arrived while we ran injected calls, not delivered to the process.
    std::vector<int> take_signals();

    // Makes the process stop with `sig` (a job-control stop its parent sees), never letting
    // it run its own code: should the kernel discard the signal (an orphaned process group
    // and SIGTSTP), it only makes a getppid and this returns false. Needs the signal's
    // default action in place.
    bool stop_with(int sig);

    // From now on the process dies if we do (a husk must never run on without its deputy).
    void kill_on_our_exit();
    // Lets the process go with `regs` and stops tracing it.
    void detach_with(const arch::Regs& regs);
    void detach();
    // Kills the process (it is stopped, so it dies at once) and reaps it if it is ours.
    void kill();

private:
    explicit Tracee(pid_t pid, bool own_child);
    int wait_stop(const char* what);
    pid_t pid_ = -1;
    bool own_child_ = false;
    uint64_t site_ = 0;
    uint64_t injected_ = 0;
    std::vector<int> signals_;
    omx::UniqueFd mem_;
};

// Address of a system call instruction (x86_64 syscall, i386 int $0x80) in the [vdso].
uint64_t find_syscall_in_vdso(const Tracee& t);

}  // namespace omx::mig
