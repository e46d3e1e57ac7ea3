#pragma once
// x86_64's constants for arch/arch.h. Included only through arch.h.
#if !defined(__x86_64__)
#error "hpc/mig/arch/x86_64 built for another architecture: check OMX_MIG_ARCH in hpc/mig/CMakeLists.txt"
#endif
#include <linux/audit.h>
#include <sys/syscall.h>

#include <cstdint>

namespace omx::mig::arch {

inline constexpr uint32_t kNativeMachine = 62;               // EM_X86_64
inline constexpr uint32_t kAuditArch = AUDIT_ARCH_X86_64;    // what the seccomp filter checks

// Calls the engine makes or recognises whose name differs between architectures.
inline constexpr long kSysMmap = SYS_mmap;          // mmap with a byte offset
inline constexpr long kSysFstat = SYS_fstat;        // fills glibc's struct stat as is
inline constexpr long kSysFcntl = SYS_fcntl;        // the fcntl with the file's own commands
inline constexpr long kSysGetuid = SYS_getuid, kSysGeteuid = SYS_geteuid, kSysGetgid = SYS_getgid,
                      kSysGetegid = SYS_getegid;
// Whether clone's CLONE_SETTLS value is a register value (fs_base) a forked child can be
// given where the process runs; on i386 it points to a GDT descriptor in the process.
inline constexpr bool kCloneTlsInRegisters = true;
inline constexpr long kSysSocketcall = -1;          // none: every socket call is direct

// Top of user space, and where restore parks the kernel's mappings while it moves them.
inline constexpr uint64_t kUserTop = 0x7ffffffff000ULL;
inline constexpr uint64_t kParkFrom = 0x200000000ULL;

// Where the table lives and where its generated page goes (omxmig syscalls --markdown).
inline constexpr const char* kSyscallTableSource = "hpc/mig/arch/x86_64/syscall_table.cpp";
inline constexpr const char* kSyscallDoc = "docs/syscalls.md";

}  // namespace omx::mig::arch
