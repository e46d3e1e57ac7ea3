#pragma once
// The XSAVE register set (NT_X86_XSTATE), the same on both x86 ports; each port falls back
// to its own older formats (FXSAVE, FSAVE) when the kernel has no XSAVE regset (User-Mode
// Linux, CPUs without XSAVE such as QEMU's default 32-bit models).
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace omx::mig::arch {

// The XSAVE area of a stopped process; nullopt when the kernel offers no XSAVE regset.
// Throws on any other failure.
std::optional<std::vector<uint8_t>> read_xstate_regset(pid_t pid);

// Sets `state` through the XSAVE regset; false when the kernel offers none (the caller
// then uses its fallback), throws on any other failure.
bool write_xstate_regset(pid_t pid, const std::vector<uint8_t>& state);

// "<what>: <strerror(errno)>" as a runtime_error.
[[noreturn]] void fail(const char* what);

}  // namespace omx::mig::arch
