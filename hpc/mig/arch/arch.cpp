// The architecture-neutral part of arch/arch.h, and the XSAVE regset both x86 ports use.
#include "arch/arch.h"

#include <elf.h>
#include <fmt/format.h>
#include <sys/ptrace.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "arch/xstate_regset.h"

namespace omx::mig::arch {
namespace {

constexpr size_t kXstateMax = 16384;

// Kernels without the XSAVE regset answer so (User-Mode Linux has none).
bool no_xstate_regset(int err) { return err == EIO || err == EINVAL || err == ENODEV; }

}  // namespace

[[noreturn]] void fail(const char* what) { throw std::runtime_error(fmt::format("{}: {}", what, std::strerror(errno))); }

std::optional<std::vector<uint8_t>> read_xstate_regset(pid_t pid) {
    std::vector<uint8_t> buf(kXstateMax);
    iovec iov{buf.data(), buf.size()};
    if (::ptrace(PTRACE_GETREGSET, pid, (void*)NT_X86_XSTATE, &iov) == 0) {
        buf.resize(iov.iov_len);
        return buf;
    }
    if (!no_xstate_regset(errno)) fail("PTRACE_GETREGSET NT_X86_XSTATE");
    return std::nullopt;
}

bool write_xstate_regset(pid_t pid, const std::vector<uint8_t>& state) {
    std::vector<uint8_t> copy = state;
    iovec iov{copy.data(), copy.size()};
    if (::ptrace(PTRACE_SETREGSET, pid, (void*)NT_X86_XSTATE, &iov) == 0) return true;
    if (!no_xstate_regset(errno)) fail("PTRACE_SETREGSET NT_X86_XSTATE");
    return false;
}

const char* name(Id id) {
    switch (id) {
        case Id::X86_64: return "x86_64";
        case Id::I386: return "i386";
    }
    return "another architecture";
}

}  // namespace omx::mig::arch
