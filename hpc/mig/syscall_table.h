#pragma once
// The one table of system calls for a migrated process (DESIGN §4, gVisor's shape), one
// per architecture (arch/<arch>/syscall_table.cpp; the build's own is the one in use):
// every call has a class — what the remote part does with it — and, for forwarded calls,
// what its pointer arguments carry, so the deputy can copy buffers in and out of the husk.
// The seccomp filter, the deputy and docs/syscalls.md (docs/syscalls-i386.md) are all
// made from this table; a call that is not in it is brought home.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace omx::mig {

enum class SyscallClass : uint8_t {
    Local,       // runs natively where the process is; the filter lets it through
    Forwarded,   // executed at home inside the husk; result and out-buffers sent back
    Direct,      // DFSA: executed where the process runs when its file lives there
    BringHome,   // the process goes home, runs it there, and may leave again
};
const char* class_name(SyscallClass c);

// What one argument is. Pointers may always be NULL (passed through as NULL).
enum class Arg : uint8_t {
    None,       // unused
    Value,      // an integer, an fd, flags: passed as is
    Str,        // in: NUL-terminated string (a path), at most PATH_MAX bytes
    In,         // in: `size_arg` bytes
    Out,        // out: up to `size_arg` bytes, the call's result says how many came back
    InFixed,    // in: `size` bytes
    OutFixed,   // out: `size` bytes
    InOutFixed, // in and out: `size` bytes
    InArray,    // in: arg[size_arg] elements of `size` bytes
    InOutArray, // in and out: arg[size_arg] elements of `size` bytes
    OutArray,   // out: arg[size_arg] elements of `size` bytes
    Special,    // layout depends on another argument: handled by the call's own code
};

struct ArgSpec {
    Arg kind = Arg::None;
    uint8_t size_arg = 0;   // In, Out, *Array: index of the argument holding the length/count
    uint32_t size = 0;      // *Fixed: bytes; *Array: bytes per element
};

struct SyscallInfo {
    long nr;
    const char* name;
    SyscallClass cls;
    std::array<ArgSpec, 6> args;
    const char* note;   // why this class, caveats (shown in docs/syscalls.md)
    // For Local calls that are only local under a condition on an argument (e.g. mmap of
    // anonymous memory): local when (arg[cond_arg] & cond_mask) == cond_value, else home.
    int cond_arg = -1;
    uint64_t cond_mask = 0, cond_value = 0;
};

std::span<const SyscallInfo> syscall_table();
// The row for `nr`, or nullopt (an unlisted call: brought home).
std::optional<SyscallInfo> find_syscall(long nr);
SyscallClass classify(long nr);

// docs/syscalls.md (or the architecture's page, arch::kSyscallDoc), generated from the table.
std::string syscalls_markdown();

}  // namespace omx::mig
