#include "tracee.h"

#include <elf.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "proc_maps.h"

#ifndef PTRACE_GET_RSEQ_CONFIGURATION
#define PTRACE_GET_RSEQ_CONFIGURATION 0x420f
#endif

namespace omx::mig {

namespace {

constexpr long kERestartSys = 512, kERestartNoIntr = 513, kERestartNoHand = 514, kERestartBlock = 516;

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(fmt::format("{}: {}", what, std::strerror(errno)));
}

struct KernelRseqConfig {
    uint64_t rseq_abi_pointer;
    uint32_t rseq_abi_size;
    uint32_t signature;
    uint32_t flags;
    uint32_t pad;
};

}  // namespace

bool is_restart_code(long ret) {
    return ret == -kERestartSys || ret == -kERestartNoIntr || ret == -kERestartNoHand || ret == -kERestartBlock;
}

arch::Regs resumable_registers(const arch::Regs& r) {
    arch::Regs out = r;
    if (arch::orig_syscall(r) >= 0 && is_restart_code(arch::result(r))) {
        // ERESTART_RESTARTBLOCK's restart block stays in the old kernel: re-issue the
        // original call instead (a relative sleep then sleeps its full time again).
        arch::rewind_to_call(out);
    }
    arch::clear_orig(out);
    return out;
}

Tracee::Tracee(pid_t pid, bool own_child) : pid_(pid), own_child_(own_child) {
    mem_.reset(::open(fmt::format("/proc/{}/mem", pid).c_str(), O_RDWR | O_CLOEXEC));
    if (!mem_) fail(fmt::format("open /proc/{}/mem", pid));
}

Tracee::Tracee(Tracee&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)), own_child_(o.own_child_), site_(o.site_), injected_(o.injected_),
      signals_(std::move(o.signals_)), mem_(std::move(o.mem_)) {}

Tracee::~Tracee() {
    if (pid_ > 0) ::ptrace(PTRACE_DETACH, pid_, nullptr, nullptr);
}

int Tracee::wait_stop(const char* what) {
    int status = 0;
    for (;;) {
        if (::waitpid(pid_, &status, __WALL) < 0) {
            if (errno == EINTR) continue;
            fail(fmt::format("waiting for process {} ({})", pid_, what));
        }
        if (WIFSTOPPED(status)) return status;
        pid_t dead = pid_;
        pid_ = -1;
        throw std::runtime_error(fmt::format("process {} ended while {}", dead, what));
    }
}

Tracee Tracee::seize(pid_t pid) {
    if (::ptrace(PTRACE_SEIZE, pid, nullptr, (void*)(PTRACE_O_TRACESYSGOOD)) != 0)
        fail(fmt::format("cannot trace process {}", pid));
    Tracee t(pid, false);
    if (::ptrace(PTRACE_INTERRUPT, pid, nullptr, nullptr) != 0) fail(fmt::format("cannot stop process {}", pid));
    t.wait_stop("stopping it");
    return t;
}

Tracee Tracee::adopt_exec_child(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, __WALL) < 0)
        if (errno != EINTR) fail("waiting for the restorer stub");
    if (!WIFSTOPPED(status)) throw std::runtime_error("the restorer stub did not start (is it executable?)");
    Tracee t(pid, true);
    if (::ptrace(PTRACE_SETOPTIONS, pid, nullptr, (void*)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL)) != 0)
        fail("PTRACE_SETOPTIONS");
    return t;
}

Tracee Tracee::adopt_forked(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, __WALL) < 0)
        if (errno != EINTR) fail(fmt::format("waiting for the new child {}", pid));
    if (!WIFSTOPPED(status)) throw std::runtime_error(fmt::format("the new child {} ended at birth", pid));
    return Tracee(pid, false);
}

pid_t Tracee::inject_fork(int exit_signal) {
    long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL;
    // A child whose exit signal is not SIGCHLD is reported as a clone, not a fork.
    if (::ptrace(PTRACE_SETOPTIONS, pid_, nullptr, (void*)(opts | PTRACE_O_TRACEFORK | PTRACE_O_TRACECLONE)) != 0)
        fail("PTRACE_SETOPTIONS");
    long child = -1;
    for (int attempt = 0; attempt < 100; ++attempt) {   // a signal for the husk cuts a fork short: again
        child = inject(SYS_clone, uint64_t(exit_signal & 0xff), 0, 0, 0, 0);   // same order on both arches
        if (!is_restart_code(child)) break;
    }
    if (::ptrace(PTRACE_SETOPTIONS, pid_, nullptr, (void*)opts) != 0) fail("PTRACE_SETOPTIONS");
    if (child < 0) throw std::system_error(is_restart_code(child) ? EAGAIN : int(-child), std::generic_category(), "fork in the husk");
    return pid_t(child);
}

arch::Regs Tracee::registers() const {
    arch::Regs r{};
    if (::ptrace(PTRACE_GETREGS, pid_, nullptr, &r) != 0) fail("PTRACE_GETREGS");
    return r;
}

void Tracee::set_registers(const arch::Regs& r) {
    if (::ptrace(PTRACE_SETREGS, pid_, nullptr, &r) != 0) fail("PTRACE_SETREGS");
}

// The FPU state's format is the architecture's business (XSAVE, or FXSAVE without it).
std::vector<uint8_t> Tracee::xstate() const { return arch::read_fpu(pid_); }

void Tracee::set_xstate(const std::vector<uint8_t>& x) { arch::write_fpu(pid_, x); }

uint64_t Tracee::signal_mask() const {
    uint64_t mask = 0;
    if (::ptrace(PTRACE_GETSIGMASK, pid_, (void*)sizeof mask, &mask) != 0) fail("PTRACE_GETSIGMASK");
    return mask;
}

void Tracee::set_signal_mask(uint64_t mask) {
    if (::ptrace(PTRACE_SETSIGMASK, pid_, (void*)sizeof mask, &mask) != 0) fail("PTRACE_SETSIGMASK");
}

RseqConfig Tracee::rseq() const {
    KernelRseqConfig k{};
    if (::ptrace(PTRACE_GET_RSEQ_CONFIGURATION, pid_, (void*)sizeof k, &k) < 0) return {};   // old kernel
    return RseqConfig{k.rseq_abi_pointer, k.rseq_abi_size, k.signature, k.flags};
}

void Tracee::read_memory(uint64_t addr, std::span<uint8_t> out) const {
    size_t done = 0;
    while (done < out.size()) {
        ssize_t n = ::pread(mem_.get(), out.data() + done, out.size() - done, off_t(addr + done));
        if (n <= 0) fail(fmt::format("reading memory of process {} at {:#x}", pid_, addr + done));
        done += size_t(n);
    }
}

void Tracee::write_memory(uint64_t addr, std::span<const uint8_t> data) {
    size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::pwrite(mem_.get(), data.data() + done, data.size() - done, off_t(addr + done));
        if (n <= 0) fail(fmt::format("writing memory of process {} at {:#x}", pid_, addr + done));
        done += size_t(n);
    }
}

uint64_t Tracee::read_u64(uint64_t addr) const {
    uint64_t v = 0;
    read_memory(addr, {reinterpret_cast<uint8_t*>(&v), sizeof v});
    return v;
}

uint64_t Tracee::read_word(uint64_t addr) const {
    unsigned long v = 0;
    read_memory(addr, {reinterpret_cast<uint8_t*>(&v), sizeof v});
    return v;
}

long Tracee::inject(long nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6) {
    if (!site_) throw std::logic_error("no syscall site to inject through");
    arch::Regs r = registers();
    arch::set_ip(r, site_);
    const uint64_t args[6] = {a1, a2, a3, a4, a5, a6};
    arch::set_call(r, nr, args);   // orig = -1: no restart logic may touch our call
    set_registers(r);
    for (int stop = 0; stop < 2;) {   // syscall-entry stop, then syscall-exit stop
        if (::ptrace(PTRACE_SYSCALL, pid_, nullptr, nullptr) != 0) fail("PTRACE_SYSCALL");
        int status = wait_stop("running an injected system call");
        int sig = WSTOPSIG(status);
        if (sig == (SIGTRAP | 0x80)) {
            ++stop;
        } else if (status >> 16 == 0 && sig != SIGTRAP) {
            // A signal arrived: it is not delivered here but kept for whoever owns the
            // process's behaviour now (the deputy forwards it; a resumed process gets it back).
            signals_.push_back(sig);
        }
    }
    ++injected_;
    return arch::result(registers());
}

long Tracee::inject_checked(const char* what, long nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                            uint64_t a5, uint64_t a6) {
    long rc = inject(nr, a1, a2, a3, a4, a5, a6);
    if (rc < 0 && rc > -4096)
        throw std::runtime_error(fmt::format("{} in process {}: {}", what, pid_, std::strerror(int(-rc))));
    return rc;
}

bool Tracee::stop_with(int sig) {
    if (!site_) throw std::logic_error("no syscall site to park the process at");
    ::syscall(SYS_tgkill, pid_, pid_, sig);
    int deliver = 0;
    for (;;) {
        arch::Regs r = registers();
        arch::set_ip(r, site_);
        arch::set_call(r, SYS_getppid, std::array<uint64_t, 6>{});
        set_registers(r);
        if (::ptrace(PTRACE_SYSCALL, pid_, nullptr, (void*)(long(deliver))) != 0) fail("PTRACE_SYSCALL");
        int status = wait_stop("stopping it");
        int got = WSTOPSIG(status);
        if (status >> 16 == PTRACE_EVENT_STOP) return true;   // in its group-stop
        if (got == (SIGTRAP | 0x80)) {                         // the signal was discarded: finish the call
            if (::ptrace(PTRACE_SYSCALL, pid_, nullptr, nullptr) != 0) fail("PTRACE_SYSCALL");
            wait_stop("stopping it");
            return false;
        }
        deliver = 0;
        if (status >> 16 != 0) continue;
        if (got == sig) deliver = sig;
        else signals_.push_back(got);   // another signal: kept for the deputy, as in inject
    }
}

void Tracee::kill_on_our_exit() {
    if (::ptrace(PTRACE_SETOPTIONS, pid_, nullptr, (void*)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL)) != 0)
        fail("PTRACE_SETOPTIONS");
}

void Tracee::detach_with(const arch::Regs& regs) {
    set_registers(regs);
    detach();
}

void Tracee::detach() {
    if (pid_ <= 0) return;
    for (int sig : take_signals()) ::syscall(SYS_tgkill, pid_, pid_, sig);   // delivered once it runs
    if (::ptrace(PTRACE_DETACH, pid_, nullptr, nullptr) != 0) fail("PTRACE_DETACH");
    pid_ = -1;
}

std::vector<int> Tracee::take_signals() { return std::exchange(signals_, {}); }

void Tracee::kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    if (own_child_) ::waitpid(pid_, nullptr, __WALL);
    pid_ = -1;
}

uint64_t find_syscall_in_vdso(const Tracee& t) {
    for (const auto& m : read_maps(t.pid())) {
        if (!m.is("[vdso]")) continue;
        std::vector<uint8_t> code(m.size());
        t.read_memory(m.start, code);
        auto insn = arch::syscall_insn();
        auto at = std::search(code.begin(), code.end(), insn.begin(), insn.end());
        if (at != code.end()) return m.start + uint64_t(at - code.begin());
        throw std::runtime_error("no syscall instruction in the vDSO");
    }
    throw std::runtime_error(fmt::format("process {} has no vDSO", t.pid()));
}

}  // namespace omx::mig
