// x86_64 registers, FPU state, TLS and clone arguments for arch/arch.h.
#include <asm/prctl.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/ptrace.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "arch/arch.h"
#include "arch/xstate_regset.h"
#include "tracee.h"

namespace omx::mig::arch {

uint64_t ip(const Regs& r) { return r.rip; }
void set_ip(Regs& r, uint64_t v) { r.rip = v; }
uint64_t sp(const Regs& r) { return r.rsp; }
void set_sp(Regs& r, uint64_t v) { r.rsp = v; }
long orig_syscall(const Regs& r) { return long(r.orig_rax); }
long result(const Regs& r) { return long(r.rax); }
void set_result(Regs& r, long v) { r.rax = uint64_t(v); }
void clear_orig(Regs& r) { r.orig_rax = uint64_t(-1); }
void set_orig_syscall(Regs& r, long nr) { r.orig_rax = uint64_t(nr); }

uint64_t syscall_arg(const Regs& r, int i) {
    const unsigned long long* regs[6] = {&r.rdi, &r.rsi, &r.rdx, &r.r10, &r.r8, &r.r9};
    return *regs[i];
}

void set_call(Regs& r, long nr, std::span<const uint64_t, 6> a) {
    r.rax = uint64_t(nr);
    r.orig_rax = uint64_t(-1);
    r.rdi = a[0];
    r.rsi = a[1];
    r.rdx = a[2];
    r.r10 = a[3];
    r.r8 = a[4];
    r.r9 = a[5];
}

void rewind_to_call(Regs& r) {
    r.rax = r.orig_rax;
    r.rip -= kSyscallInsnSize;
    r.orig_rax = uint64_t(-1);
}

std::span<const uint8_t> syscall_insn() {
    static constexpr uint8_t kSyscall[] = {0x0f, 0x05};
    return kSyscall;
}

std::vector<uint8_t> read_fpu(pid_t pid) {
    if (auto xstate = read_xstate_regset(pid)) return *xstate;
    // No XSAVE regset (User-Mode Linux): the FXSAVE area.
    user_fpregs_struct fx{};
    static_assert(sizeof fx == kFxsaveSize);
    if (::ptrace(PTRACE_GETFPREGS, pid, nullptr, &fx) != 0) fail("PTRACE_GETFPREGS");
    return {reinterpret_cast<uint8_t*>(&fx), reinterpret_cast<uint8_t*>(&fx) + sizeof fx};
}

// A full XSAVE image on a kernel without the regset keeps its FXSAVE part (AVX state is
// lost, which can only happen when moving from a native node to a UML one).
void write_fpu(pid_t pid, const std::vector<uint8_t>& x) {
    if (x.size() != kFxsaveSize) {
        if (write_xstate_regset(pid, x)) return;
        // No XSAVE regset here: the image's FXSAVE part (its first 512 bytes) still applies.
        if (x.size() < kFxsaveSize) throw std::runtime_error("FPU state of the image is too short");
    }
    user_fpregs_struct fx{};
    std::memcpy(&fx, x.data(), sizeof fx);
    if (::ptrace(PTRACE_SETFPREGS, pid, nullptr, &fx) != 0) fail("PTRACE_SETFPREGS");
}

std::vector<uint8_t> read_tls(pid_t) { return {}; }

// User-Mode Linux takes the TLS bases only from arch_prctl, not from the registers ptrace
// sets: set them as the process itself did (harmless where ptrace would do).
void restore_tls(Tracee& t, const Regs& regs, const std::vector<uint8_t>&) {
    if (regs.fs_base) t.inject_checked("arch_prctl(ARCH_SET_FS)", SYS_arch_prctl, ARCH_SET_FS, regs.fs_base);
    if (regs.gs_base) t.inject_checked("arch_prctl(ARCH_SET_GS)", SYS_arch_prctl, ARCH_SET_GS, regs.gs_base);
}

CloneArgs clone_args(const uint64_t a[6]) { return {a[0], a[1], a[2], a[3], a[4]}; }

bool set_clone_child_tls(Regs& r, const CloneArgs& c) {
    if (c.flags & CLONE_SETTLS) r.fs_base = c.tls;
    return true;
}

int64_t file_pos(const uint64_t args[6], int i) { return int64_t(args[i]); }

std::optional<Multiplexed> socketcall_target(uint64_t) { return std::nullopt; }

uint32_t flock_size(long, uint64_t cmd) {
    switch (cmd) {
        case F_GETLK: case F_SETLK: case F_SETLKW: case F_OFD_GETLK: case F_OFD_SETLK: case F_OFD_SETLKW:
            return 32;   // struct flock, 64-bit off_t
        default: return 0;
    }
}

}  // namespace omx::mig::arch
