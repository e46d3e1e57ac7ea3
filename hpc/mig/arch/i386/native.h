#pragma once
// IA32's constants for arch/arch.h. Included only through arch.h.
#if !defined(__i386__)
#error "hpc/mig/arch/i386 built for another architecture: check OMX_MIG_ARCH in hpc/mig/CMakeLists.txt"
#endif
#include <linux/audit.h>
#include <sys/syscall.h>

#include <cstdint>

namespace omx::mig::arch {

inline constexpr uint32_t kNativeMachine = 3;            // EM_386
inline constexpr uint32_t kAuditArch = AUDIT_ARCH_I386;  // what the seccomp filter checks

// Calls the engine makes or recognises whose name differs between architectures. glibc
// on i386 uses mmap2 (offset in pages; old mmap takes a struct), the 32-bit uid calls and
// fstat64 (with _FILE_OFFSET_BITS=64 glibc's struct stat is the kernel's stat64). Sockets:
// Debian's glibc 2.36 makes the direct calls (Linux 4.3+); programs built with an older
// glibc multiplex them through socketcall.
inline constexpr long kSysMmap = SYS_mmap2;
inline constexpr long kSysFstat = SYS_fstat64;
inline constexpr long kSysFcntl = SYS_fcntl64;        // the fcntl with the file's own commands
inline constexpr long kSysGetuid = SYS_getuid32, kSysGeteuid = SYS_geteuid32, kSysGetgid = SYS_getgid32,
                      kSysGetegid = SYS_getegid32;
// Whether clone's CLONE_SETTLS value is a register value (fs_base) a forked child can be
// given where the process runs; on i386 it points to a GDT descriptor in the process.
inline constexpr bool kCloneTlsInRegisters = false;
inline constexpr long kSysSocketcall = SYS_socketcall;

// Top of user space: 3 GiB on a 3G/1G i386 kernel (Debian's 686 kernels), almost 4 GiB for
// an IA32 process on an x86_64 kernel (IA32 emulation); and where restore parks the
// kernel's mappings while it moves them.
inline constexpr uint64_t kUserTop = 0xfffff000ULL;
inline constexpr uint64_t kParkFrom = 0x20000000ULL;

// Where the table lives and where its generated page goes (omxmig syscalls --markdown).
inline constexpr const char* kSyscallTableSource = "hpc/mig/arch/i386/syscall_table.cpp";
inline constexpr const char* kSyscallDoc = "docs/syscalls-i386.md";

}  // namespace omx::mig::arch
