#include "syscall_table.h"

#include "arch/arch.h"

#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <algorithm>
#include <vector>

namespace omx::mig {

const char* class_name(SyscallClass c) {
    switch (c) {
        case SyscallClass::Local: return "local";
        case SyscallClass::Forwarded: return "forwarded";
        case SyscallClass::Direct: return "direct";
        case SyscallClass::BringHome: return "bring home";
    }
    return "?";
}

std::span<const SyscallInfo> syscall_table() { return arch::syscall_rows(); }

std::optional<SyscallInfo> find_syscall(long nr) {
    for (const auto& row : syscall_table())
        if (row.nr == nr) return row;
    return std::nullopt;
}

SyscallClass classify(long nr) {
    auto row = find_syscall(nr);
    return row ? row->cls : SyscallClass::BringHome;
}

static std::string arg_text(const ArgSpec& a) {
    switch (a.kind) {
        case Arg::None: return "";
        case Arg::Value: return "value";
        case Arg::Str: return "path";
        case Arg::In: return fmt::format("in[arg{}]", a.size_arg);
        case Arg::Out: return fmt::format("out[arg{}]", a.size_arg);
        case Arg::InFixed: return fmt::format("in[{}]", a.size);
        case Arg::OutFixed: return fmt::format("out[{}]", a.size);
        case Arg::InOutFixed: return fmt::format("inout[{}]", a.size);
        case Arg::InArray: return fmt::format("in[arg{}×{}]", a.size_arg, a.size);
        case Arg::InOutArray: return fmt::format("inout[arg{}×{}]", a.size_arg, a.size);
        case Arg::OutArray: return fmt::format("out[arg{}×{}]", a.size_arg, a.size);
        case Arg::Special: return "special";
    }
    return "?";
}

std::string syscalls_markdown() {
    std::string out = fmt::format(
        "# System calls of a migrated process ({})\n\n"
        "Generated from `{}` by `omxmig syscalls --markdown`; do not edit.\n\n", arch::name(arch::kNative),
        arch::kSyscallTableSource);
    out +=
        "* **local** — runs natively on the node where the process is;\n"
        "* **forwarded** — executed at home inside the husk (the process's original body), with\n"
        "  its buffers copied in and out;\n"
        "* **direct** — (DFSA) executed where the process runs when its file lives there;\n"
        "* **bring home** — the process migrates home to make the call. Every call not listed\n"
        "  here is brought home.\n\n"
        "| nr | call | class | arguments | note |\n|---|---|---|---|---|\n";
    std::vector<SyscallInfo> rows(syscall_table().begin(), syscall_table().end());
    std::sort(rows.begin(), rows.end(), [](auto& a, auto& b) { return a.nr < b.nr; });
    for (const auto& r : rows) {
        std::string args;
        for (const auto& a : r.args) {
            auto t = arg_text(a);
            if (!t.empty()) args += (args.empty() ? "" : ", ") + t;
        }
        out += fmt::format("| {} | `{}` | {} | {} | {} |\n", r.nr, r.name, class_name(r.cls), args, r.note);
    }
    return out;
}

}  // namespace omx::mig
