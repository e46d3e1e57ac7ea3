#include <gtest/gtest.h>
#include <seccomp.h>
#include <sys/syscall.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "arch/arch.h"
#include "syscall_table.h"

using namespace omx::mig;

TEST(SyscallTable, NumbersAndNamesAgreeWithLibseccomp) {
    std::set<long> seen;
    for (const auto& row : syscall_table()) {
        EXPECT_TRUE(seen.insert(row.nr).second) << row.name << " listed twice";
        char* name = seccomp_syscall_resolve_num_arch(arch::kAuditArch, int(row.nr));
        ASSERT_NE(name, nullptr) << row.nr;
        EXPECT_STREQ(name, row.name);
        std::free(name);
    }
    EXPECT_GT(seen.size(), 150u);
}

TEST(SyscallTable, ClassesOfTheCallsThatDefineMigration) {
    EXPECT_EQ(classify(SYS_write), SyscallClass::Forwarded);
    EXPECT_EQ(classify(SYS_getpid), SyscallClass::Forwarded);
    EXPECT_EQ(classify(SYS_wait4), SyscallClass::Forwarded);
    EXPECT_EQ(classify(SYS_clock_nanosleep), SyscallClass::Local);
    EXPECT_EQ(classify(SYS_futex), SyscallClass::Local);
    EXPECT_EQ(classify(SYS_exit_group), SyscallClass::Local);
    EXPECT_EQ(classify(SYS_clone), SyscallClass::BringHome);
    EXPECT_EQ(classify(SYS_shmget), SyscallClass::BringHome);
    EXPECT_EQ(classify(SYS_kexec_load), SyscallClass::BringHome) << "unlisted calls go home";
}

TEST(SyscallTable, BufferSizesPointAtRealArguments) {
    for (const auto& row : syscall_table()) {
        int used = 0;
        for (size_t i = 0; i < row.args.size(); ++i) {
            const auto& a = row.args[i];
            if (a.kind != Arg::None) used = int(i) + 1;
            bool sized = a.kind == Arg::In || a.kind == Arg::Out || a.kind == Arg::InArray ||
                         a.kind == Arg::InOutArray || a.kind == Arg::OutArray;
            if (sized) {
                ASSERT_LT(a.size_arg, 6) << row.name;
                EXPECT_EQ(row.args[a.size_arg].kind, Arg::Value) << row.name << " arg " << i;
            }
            bool fixed = a.kind == Arg::InFixed || a.kind == Arg::OutFixed || a.kind == Arg::InOutFixed;
            if (fixed || a.kind == Arg::InArray || a.kind == Arg::OutArray || a.kind == Arg::InOutArray) {
                EXPECT_GT(a.size, 0u) << row.name;
            }
        }
        if (row.cls != SyscallClass::Forwarded) {
            EXPECT_EQ(used, 0) << row.name << ": only forwarded calls carry buffers";
        }
    }
    auto read = find_syscall(SYS_read);
    ASSERT_TRUE(read);
    EXPECT_EQ(read->args[1].kind, Arg::Out);
    EXPECT_EQ(read->args[1].size_arg, 2);
}

// A forwarded call that fills a struct of the caller's must bring it back: uname without
// its buffer answered EFAULT to every migrated process (found by the i386 port).
TEST(SyscallTable, CallsThatFillAStructBringItBack) {
    for (long nr : {long(SYS_uname), long(SYS_sysinfo), long(SYS_getrusage), long(SYS_times)}) {
        auto row = find_syscall(nr);
        ASSERT_TRUE(row) << nr;
        if (row->cls != SyscallClass::Forwarded) continue;
        bool out = false;
        for (const auto& a : row->args) out |= a.kind == Arg::OutFixed || a.kind == Arg::InOutFixed;
        EXPECT_TRUE(out) << row->name << " is forwarded without its output buffer";
    }
}

TEST(SyscallTable, DocsPageIsGeneratedFromTheTable) {
    std::string md = syscalls_markdown();
    EXPECT_NE(md.find(fmt::format("| {} | `write` | forwarded | value, in[arg2], value |", SYS_write)), std::string::npos);
    EXPECT_NE(md.find(fmt::format("| {} | `clone` | bring home |", SYS_clone)), std::string::npos);
    std::ifstream doc(std::string(OMX_SOURCE_DIR) + "/" + arch::kSyscallDoc);
    std::stringstream s;
    s << doc.rdbuf();
    EXPECT_EQ(s.str(), md) << arch::kSyscallDoc << " is stale: build/bin/omxmig syscalls --markdown > " << arch::kSyscallDoc;
}
