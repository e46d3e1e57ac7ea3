// IA32 registers, FPU state, TLS and clone arguments for arch/arch.h.
#include <asm/ldt.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/net.h>
#include <sched.h>
#include <sys/ptrace.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "arch/arch.h"
#include "arch/xstate_regset.h"
#include "tracee.h"

namespace omx::mig::arch {

namespace {

// The GDT entries set_thread_area hands out: GDT_ENTRY_TLS_MIN..+2, 6-8 on an i386 kernel,
// 12-14 on an x86_64 kernel running IA32 processes.
constexpr int kTlsEntries = 3;
constexpr int kTlsFirstEntryNative = 6, kTlsFirstEntryCompat = 12;

uint64_t u32(long v) { return uint64_t(uint32_t(v)); }

}  // namespace

// The registers are 32 bits wide; addresses and values travel zero-extended, as the
// kernel hands them to seccomp, and results come back sign-extended through long.
uint64_t ip(const Regs& r) { return u32(r.eip); }
void set_ip(Regs& r, uint64_t v) { r.eip = long(v); }
uint64_t sp(const Regs& r) { return u32(r.esp); }
void set_sp(Regs& r, uint64_t v) { r.esp = long(v); }
long orig_syscall(const Regs& r) { return r.orig_eax; }
long result(const Regs& r) { return r.eax; }
void set_result(Regs& r, long v) { r.eax = v; }
void clear_orig(Regs& r) { r.orig_eax = -1; }
void set_orig_syscall(Regs& r, long nr) { r.orig_eax = nr; }

uint64_t syscall_arg(const Regs& r, int i) {
    const long* regs[6] = {&r.ebx, &r.ecx, &r.edx, &r.esi, &r.edi, &r.ebp};
    return u32(*regs[i]);
}

void set_call(Regs& r, long nr, std::span<const uint64_t, 6> a) {
    r.eax = nr;
    r.orig_eax = -1;
    r.ebx = long(a[0]);
    r.ecx = long(a[1]);
    r.edx = long(a[2]);
    r.esi = long(a[3]);
    r.edi = long(a[4]);
    r.ebp = long(a[5]);
}

// A call entered through the vDSO's sysenter path is restarted at the int $0x80 that
// follows it there: ip - 2 is that instruction either way.
void rewind_to_call(Regs& r) {
    r.eax = r.orig_eax;
    r.eip -= long(kSyscallInsnSize);
    r.orig_eax = -1;
}

std::span<const uint8_t> syscall_insn() {
    static constexpr uint8_t kInt80[] = {0xcd, 0x80};
    return kInt80;
}

std::vector<uint8_t> read_fpu(pid_t pid) {
    if (auto xstate = read_xstate_regset(pid)) return *xstate;
    std::vector<uint8_t> buf;
    // A CPU without XSAVE (QEMU's default 32-bit models): the FXSAVE area. PTRACE_GETFPREGS
    // would give the older FSAVE format, without the SSE registers.
    user_fpxregs_struct fx{};
    static_assert(sizeof fx == kFxsaveSize);
    if (::ptrace(PTRACE_GETFPXREGS, pid, nullptr, &fx) == 0) {
        buf.assign(reinterpret_cast<uint8_t*>(&fx), reinterpret_cast<uint8_t*>(&fx) + sizeof fx);
        return buf;
    }
    if (errno != ENODEV && errno != EIO) fail("PTRACE_GETFPXREGS");
    // A CPU without FXSR either: the x87 registers in FSAVE format (108 bytes).
    user_fpregs_struct fp{};
    if (::ptrace(PTRACE_GETFPREGS, pid, nullptr, &fp) != 0) fail("PTRACE_GETFPREGS");
    buf.assign(reinterpret_cast<uint8_t*>(&fp), reinterpret_cast<uint8_t*>(&fp) + sizeof fp);
    return buf;
}

void write_fpu(pid_t pid, const std::vector<uint8_t>& x) {
    if (x.size() == sizeof(user_fpregs_struct)) {   // FSAVE: the image's CPU had no FXSR
        user_fpregs_struct fp{};
        std::memcpy(&fp, x.data(), sizeof fp);
        if (::ptrace(PTRACE_SETFPREGS, pid, nullptr, &fp) != 0) fail("PTRACE_SETFPREGS");
        return;
    }
    if (x.size() != kFxsaveSize) {
        if (write_xstate_regset(pid, x)) return;
        if (x.size() < kFxsaveSize) throw std::runtime_error("FPU state of the image is too short");
    }
    user_fpxregs_struct fx{};
    std::memcpy(&fx, x.data(), sizeof fx);
    if (::ptrace(PTRACE_SETFPXREGS, pid, nullptr, &fx) != 0) fail("PTRACE_SETFPXREGS");
}

// glibc keeps its thread pointer in a GDT TLS entry that %gs selects: the entries travel
// as the kernel describes them (struct user_desc), empty ones included, so that restore
// clears what the stub had.
std::vector<uint8_t> read_tls(pid_t pid) {
    user_desc probe{};
    int first = kTlsFirstEntryNative;
    if (::ptrace(PTRACE_GET_THREAD_AREA, pid, (void*)long(first), &probe) != 0) {
        if (errno != EINVAL) fail("PTRACE_GET_THREAD_AREA");
        first = kTlsFirstEntryCompat;
    }
    std::vector<uint8_t> out(kTlsEntries * sizeof(user_desc));
    for (int i = 0; i < kTlsEntries; ++i) {
        user_desc d{};
        if (::ptrace(PTRACE_GET_THREAD_AREA, pid, (void*)long(first + i), &d) != 0) fail("PTRACE_GET_THREAD_AREA");
        d.entry_number = unsigned(first + i);   // restore puts each back where %gs expects it
        std::memcpy(out.data() + i * sizeof d, &d, sizeof d);
    }
    return out;
}

void restore_tls(Tracee& t, const Regs&, const std::vector<uint8_t>& tls) {
    if (tls.size() != kTlsEntries * sizeof(user_desc))
        throw std::runtime_error(fmt::format("TLS of {} bytes in an i386 image", tls.size()));
    for (int i = 0; i < kTlsEntries; ++i) {
        user_desc d{};
        std::memcpy(&d, tls.data() + i * sizeof d, sizeof d);
        // EINVAL: the image's kernel numbers its TLS entries otherwise (i386 vs x86_64)
        if (::ptrace(PTRACE_SET_THREAD_AREA, t.pid(), (void*)long(d.entry_number), &d) != 0)
            fail("PTRACE_SET_THREAD_AREA");
    }
}

// i386 has CONFIG_CLONE_BACKWARDS: clone(flags, stack, parent_tid, tls, child_tid).
CloneArgs clone_args(const uint64_t a[6]) { return {a[0], a[1], a[2], a[4], a[3]}; }

bool set_clone_child_tls(Regs&, const CloneArgs& c) { return !(c.flags & CLONE_SETTLS); }

int64_t file_pos(const uint64_t args[6], int i) {
    return int64_t(uint64_t(uint32_t(args[i])) | uint64_t(uint32_t(args[i + 1])) << 32);
}

// socketcall's calls (linux/net.h) and the direct calls (Linux 4.3+) that do the same;
// accept, send and recv are accept4, sendto and recvfrom with the missing words zero.
std::optional<Multiplexed> socketcall_target(uint64_t call) {
    switch (call) {
        case SYS_SOCKET: return Multiplexed{SYS_socket, 3};
        case SYS_BIND: return Multiplexed{SYS_bind, 3};
        case SYS_CONNECT: return Multiplexed{SYS_connect, 3};
        case SYS_LISTEN: return Multiplexed{SYS_listen, 2};
        case SYS_ACCEPT: return Multiplexed{SYS_accept4, 3};
        case SYS_GETSOCKNAME: return Multiplexed{SYS_getsockname, 3};
        case SYS_GETPEERNAME: return Multiplexed{SYS_getpeername, 3};
        case SYS_SOCKETPAIR: return Multiplexed{SYS_socketpair, 4};
        case SYS_SEND: return Multiplexed{SYS_sendto, 4};
        case SYS_RECV: return Multiplexed{SYS_recvfrom, 4};
        case SYS_SENDTO: return Multiplexed{SYS_sendto, 6};
        case SYS_RECVFROM: return Multiplexed{SYS_recvfrom, 6};
        case SYS_SHUTDOWN: return Multiplexed{SYS_shutdown, 2};
        case SYS_SETSOCKOPT: return Multiplexed{SYS_setsockopt, 5};
        case SYS_GETSOCKOPT: return Multiplexed{SYS_getsockopt, 5};
        case SYS_SENDMSG: return Multiplexed{SYS_sendmsg, 3};
        case SYS_RECVMSG: return Multiplexed{SYS_recvmsg, 3};
        case SYS_ACCEPT4: return Multiplexed{SYS_accept4, 4};
        default: return std::nullopt;   // recvmmsg, sendmmsg: not forwarded yet
    }
}

// Lock commands: 5-7 with the old struct flock (32-bit off_t, 16 bytes), 12-14 (the
// *LK64 ones) and the OFD ones with struct flock64 (24 bytes, packed on i386).
uint32_t flock_size(long, uint64_t cmd) {
    switch (cmd) {
        case 5: case 6: case 7: return 16;
        case 12: case 13: case 14: case 36: case 37: case 38: return 24;
        default: return 0;
    }
}

}  // namespace omx::mig::arch
