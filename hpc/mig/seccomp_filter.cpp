#include "seccomp_filter.h"

#include <fmt/format.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "arch/arch.h"
#include "common/fd.h"
#include "dfsa.h"
#include "syscall_table.h"

namespace omx::mig {

namespace {

struct CtxDeleter {
    void operator()(scmp_filter_ctx c) const { seccomp_release(c); }
};
using Ctx = std::unique_ptr<void, CtxDeleter>;

void check(int rc, const std::string& what) {
    if (rc < 0) throw std::runtime_error(fmt::format("libseccomp: {}: {}", what, std::strerror(-rc)));
}

}  // namespace

std::vector<sock_filter> migrated_process_filter(bool direct_files) {
    Ctx ctx(seccomp_init(SCMP_ACT_NOTIFY));
    if (!ctx) throw std::runtime_error("libseccomp: cannot create a filter");
    // The filter checks the architecture of every call (AUDIT_ARCH) before its number: the
    // table's numbers are those of the architecture we are built for, which libseccomp's
    // native one must be (a foreign call, int $0x80 from an x86_64 process, is killed).
    if (seccomp_arch_native() != arch::kAuditArch)
        throw std::runtime_error(fmt::format("libseccomp's native architecture {:#x} is not {}'s", seccomp_arch_native(),
                                             arch::name(arch::kNative)));
    for (const auto& row : syscall_table()) {
        if (row.cls != SyscallClass::Local) continue;
        if (row.cond_arg < 0) {
            check(seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, int(row.nr), 0), row.name);
        } else {
            scmp_arg_cmp cmp{unsigned(row.cond_arg), SCMP_CMP_MASKED_EQ, row.cond_mask, row.cond_value};
            check(seccomp_rule_add_array(ctx.get(), SCMP_ACT_ALLOW, int(row.nr), 1, &cmp), row.name);
        }
    }
    // DFSA: the data calls on files opened directly (their numbers are DFSA's) run natively.
    const scmp_arg_cmp direct_fd = SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffff00u, unsigned(kDfsaFirstFd));
    for (const char* name : direct_files ? dfsa_native_calls() : std::span<const char* const>()) {
        int nr = seccomp_syscall_resolve_name(name);
        if (nr < 0 || classify(nr) == SyscallClass::Local) continue;   // not on this architecture, or free anyway
        check(seccomp_rule_add_array(ctx.get(), SCMP_ACT_ALLOW, nr, 1, &direct_fd), name);
    }
    for (int cmd : direct_files ? dfsa_native_fcntl_commands() : std::span<const int>()) {
        scmp_arg_cmp both[2] = {direct_fd, SCMP_A1(SCMP_CMP_EQ, uint64_t(cmd))};
        check(seccomp_rule_add_array(ctx.get(), SCMP_ACT_ALLOW, int(arch::kSysFcntl), 2, both), "fcntl");
    }
    omx::UniqueFd mem(::memfd_create("omx-filter", MFD_CLOEXEC));
    if (!mem) throw std::runtime_error(fmt::format("memfd_create: {}", std::strerror(errno)));
    check(seccomp_export_bpf(ctx.get(), mem.get()), "export");
    off_t size = ::lseek(mem.get(), 0, SEEK_END);
    if (size <= 0 || size % off_t(sizeof(sock_filter))) throw std::runtime_error("libseccomp exported no program");
    std::vector<sock_filter> prog(size_t(size) / sizeof(sock_filter));
    if (::pread(mem.get(), prog.data(), size_t(size), 0) != size) throw std::runtime_error("reading the filter back");
    return prog;
}

int install_filter_with_listener(const std::vector<sock_filter>& prog) {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        throw std::runtime_error(fmt::format("PR_SET_NO_NEW_PRIVS: {}", std::strerror(errno)));
    sock_fprog fprog{uint16_t(prog.size()), const_cast<sock_filter*>(prog.data())};
    long fd = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &fprog);
    if (fd < 0) throw std::runtime_error(fmt::format("seccomp(NEW_LISTENER): {}", std::strerror(errno)));
    return int(fd);
}

}  // namespace omx::mig
