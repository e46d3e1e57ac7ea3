#pragma once
// What the migration engine needs to know about the CPU architecture of the processes it
// moves, in one small interface. Each architecture implements it in a folder of its own
// (arch/x86_64/, arch/i386/); CMake compiles exactly one of them, the one the product is
// built for, and puts its folder on the include path so that "native.h" is that
// architecture's constants. A build migrates processes of its own architecture only: an
// i386 omxd moves i386 processes between i386 kernels, and an image records the
// architecture it was taken on so that a node of another one refuses it (restore.cpp).
//
// Everything else in hpc/mig is architecture-neutral: it names registers through the
// accessors below, system calls through <sys/syscall.h> (the numbers of the architecture
// compiled for) or through the k* aliases of native.h where the two differ in name, and
// kernel structures through their native C types (unsigned long is the kernel's word).
#include <sys/types.h>
#include <sys/user.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "native.h"   // arch/<arch>/native.h: kNativeMachine, syscall aliases, address space limits

namespace omx::mig {

struct SyscallInfo;
class Tracee;

namespace arch {

// The architectures an image can come from, numbered as ELF's e_machine (stable, known).
enum class Id : uint32_t { I386 = 3, X86_64 = 62 };
const char* name(Id id);   // "x86_64", "i386", or "another architecture"
inline constexpr Id kNative = Id(kNativeMachine);

using Regs = user_regs_struct;

// --- general registers --------------------------------------------------------------
uint64_t ip(const Regs& r);
void set_ip(Regs& r, uint64_t v);
uint64_t sp(const Regs& r);
void set_sp(Regs& r, uint64_t v);
// At a syscall stop: the call's number as entered (orig_rax / orig_eax; -1: none) and the
// register that holds the number on entry and the result on exit (rax / eax).
long orig_syscall(const Regs& r);
long result(const Regs& r);
void set_result(Regs& r, long v);
uint64_t syscall_arg(const Regs& r, int i);
// Sets the registers so that the syscall instruction at ip() makes call `nr` with `args`,
// and no restart logic of the kernel touches it (orig = -1).
void set_call(Regs& r, long nr, std::span<const uint64_t, 6> args);
// Makes `r` the registers of a process about to (re-)enter call orig_syscall() at the
// syscall instruction just before ip(): number back in place, orig = -1.
void rewind_to_call(Regs& r);
void clear_orig(Regs& r);
void set_orig_syscall(Regs& r, long nr);

// The system call instruction injected calls go through (x86_64: syscall, i386: int $0x80,
// both found in the vDSO and both 2 bytes: a restarted call is at ip - kSyscallInsnSize).
inline constexpr uint64_t kSyscallInsnSize = 2;
std::span<const uint8_t> syscall_insn();

// --- state the registers do not hold -------------------------------------------------
// The FPU/vector state: the XSAVE area when the kernel offers it, else the FXSAVE area
// (x87/SSE, 512 bytes; x86_64 PTRACE_GETFPREGS, i386 PTRACE_GETFPXREGS).
inline constexpr size_t kFxsaveSize = 512;
std::vector<uint8_t> read_fpu(pid_t pid);
void write_fpu(pid_t pid, const std::vector<uint8_t>& state);

// Thread-local storage that is not in the general registers: nothing on x86_64 (fs_base
// and gs_base are), the GDT's TLS entries on i386 (set_thread_area; %gs selects one).
std::vector<uint8_t> read_tls(pid_t pid);
// Puts the TLS back in a stopped process about to resume with `regs` (injecting calls
// where ptrace alone does not reach: User-Mode Linux ignores fs_base in SETREGS).
void restore_tls(Tracee& t, const Regs& regs, const std::vector<uint8_t>& tls);

// --- clone --------------------------------------------------------------------------
// clone's arguments by meaning: the two architectures order the last two differently.
struct CloneArgs {
    uint64_t flags = 0, stack = 0, parent_tid = 0, child_tid = 0, tls = 0;
};
CloneArgs clone_args(const uint64_t args[6]);
// The registers of the child of a clone made with `c`: new stack, new TLS where the
// architecture carries it in registers. False when the child's TLS cannot be made here.
bool set_clone_child_tls(Regs& r, const CloneArgs& c);

// --- system calls -------------------------------------------------------------------
// The migrated-process table of this architecture (arch/<arch>/syscall_table.cpp).
std::span<const SyscallInfo> syscall_rows();
// A 64-bit file position passed as argument i (i386 splits it over i and i+1).
int64_t file_pos(const uint64_t args[6], int i);
// socketcall(call, args): the direct call it stands for and how many words its argument
// array holds; nullopt for an unknown call or where there is no socketcall (x86_64).
struct Multiplexed {
    long nr;
    int nargs;
};
std::optional<Multiplexed> socketcall_target(uint64_t call);
// fcntl (`nr`: fcntl or fcntl64) with command `cmd`: the size of the struct flock it
// carries, 0 when `cmd` is not a lock command (its argument is an integer).
uint32_t flock_size(long nr, uint64_t cmd);

}  // namespace arch
}  // namespace omx::mig
