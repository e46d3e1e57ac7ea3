// The architecture layer (arch/): the build's own table and register conventions, and an
// image of another architecture refused before anything of it is used.
#include <gtest/gtest.h>
#include <elf.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

#include "arch/arch.h"
#include "checkpoint.h"
#include "common/bytes.h"
#include "file_identity.h"
#include "forward.h"
#include "image.h"
#include "restore.h"
#include "syscall_table.h"

using namespace omx::mig;

namespace {

arch::Id foreign() { return arch::kNative == arch::Id::X86_64 ? arch::Id::I386 : arch::Id::X86_64; }

std::string row_name(long nr) {
    auto row = find_syscall(nr);
    return row ? row->name : "(none)";
}

}  // namespace

TEST(Arch, AForeignImageIsRefusedByName) {
    ImageHeader h{"6.1.0-test", 0, foreign()};
    auto back = decode_header(encode_header(h));
    EXPECT_EQ(back.arch, foreign());
    try {
        check_image_fits_here(back);
        FAIL() << "a foreign image was accepted";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(arch::name(foreign())), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find(arch::name(arch::kNative)), std::string::npos) << e.what();
    }
    EXPECT_NO_THROW(check_image_fits_here(ImageHeader{"6.1.0-test", 0, arch::kNative}));
}

// restore() reads the header first: no stub is started for an image it cannot run.
TEST(Arch, RestoreStopsAtTheHeaderOfAForeignImage) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    {
        ImageWriter w(fds[1]);
        w.frame(Frame::Header, encode_header({"k", 0, foreign()}));
        w.frame(Frame::End, {});
        close(fds[1]);
    }
    ImageReader in(fds[0]);
    try {
        restore(in, "/nonexistent/omx-restorer");
        FAIL() << "restored";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("cannot restore"), std::string::npos) << e.what();
    }
    close(fds[0]);
}

TEST(Arch, ImagesOfAnotherFormatVersionAreRefused) {
    auto h = encode_header({"k", 0});
    h[7] = '1';   // OMXIMG01: before the architecture was recorded
    EXPECT_THROW(decode_header(h), omx::WireError);
}

TEST(Arch, KernelSigactionHasTheKernelsLayout) {
    EXPECT_EQ(sizeof(KernelSigactionRaw), 3 * sizeof(long) + 8);
    KernelSigaction a{0x401234, 0x04000000, 0x402000, 0x8000000000000001ULL};
    auto back = from_kernel(to_kernel(a));
    EXPECT_EQ(back.handler, a.handler);
    EXPECT_EQ(back.restorer, a.restorer);
    EXPECT_EQ(back.mask, a.mask);
}

TEST(Arch, VdsoFingerprintReadsElf32Too) {
    std::vector<uint8_t> page(4096, 0);
    Elf32_Ehdr eh{};
    std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS32;
    eh.e_phentsize = sizeof(Elf32_Phdr);
    eh.e_shentsize = sizeof(Elf32_Shdr);
    eh.e_shoff = 0x300;
    eh.e_shnum = 5;
    std::memcpy(page.data(), &eh, sizeof eh);
    EXPECT_EQ(vdso_image_size(page), 0x300 + 5 * sizeof(Elf32_Shdr));
}

// An i386 program's loader, so that exec where the process runs knows every file it needs.
TEST(Arch, InterpreterOfAnElf32Program) {
    std::vector<uint8_t> file(512, 0);
    Elf32_Ehdr eh{};
    std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS32;
    eh.e_phoff = sizeof eh;
    eh.e_phentsize = sizeof(Elf32_Phdr);
    eh.e_phnum = 1;
    Elf32_Phdr ph{};
    ph.p_type = PT_INTERP;
    ph.p_offset = 200;
    ph.p_filesz = sizeof "/lib/ld-linux.so.2";
    std::memcpy(file.data(), &eh, sizeof eh);
    std::memcpy(file.data() + sizeof eh, &ph, sizeof ph);
    std::memcpy(file.data() + 200, "/lib/ld-linux.so.2", sizeof "/lib/ld-linux.so.2");
    EXPECT_EQ(interpreter_of(file), "/lib/ld-linux.so.2");
    ph.p_type = PT_LOAD;   // static: no loader
    std::memcpy(file.data() + sizeof eh, &ph, sizeof ph);
    EXPECT_EQ(interpreter_of(file), "");
}

// A program of another architecture (an x86_64 /bin/sleep next to the i386 build on a
// kernel with IA32 emulation) cannot move: its registers and calls are not ours.
TEST(Arch, AProgramOfAnotherArchitectureCannotMove) {
    std::ifstream f("/bin/sleep", std::ios::binary);
    unsigned char head[EI_NIDENT + 4] = {};
    f.read(reinterpret_cast<char*>(head), sizeof head);
    uint16_t machine;
    std::memcpy(&machine, head + EI_NIDENT + 2, sizeof machine);
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        execl("/bin/sleep", "sleep", "5", nullptr);
        _exit(127);
    }
    usleep(200000);   // exec'd by now
    EXPECT_EQ(cantmove_reason(child), machine == arch::kNativeMachine ? "" : "arch") << "e_machine " << machine;
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
}

#if defined(__x86_64__)

TEST(ArchX86_64, SyscallNumbersAndConventions) {
    EXPECT_EQ(arch::kNative, arch::Id::X86_64);
    EXPECT_EQ(row_name(0), "read");
    EXPECT_EQ(row_name(9), "mmap");
    EXPECT_EQ(row_name(43), "accept");
    EXPECT_EQ(row_name(262), "newfstatat");
    EXPECT_EQ(arch::kSysMmap, 9);
    EXPECT_EQ(classify(158), SyscallClass::Local) << "arch_prctl";
    EXPECT_FALSE(arch::socketcall_target(1));
    auto insn = arch::syscall_insn();
    EXPECT_EQ(std::vector<uint8_t>(insn.begin(), insn.end()), (std::vector<uint8_t>{0x0f, 0x05}));
    const uint64_t clone[6] = {CLONE_SETTLS, 0x1000, 0x2000, 0x3000, 0x4000, 0};
    auto c = arch::clone_args(clone);
    EXPECT_EQ(c.child_tid, 0x3000u);
    EXPECT_EQ(c.tls, 0x4000u);
    EXPECT_EQ(arch::flock_size(SYS_fcntl, F_SETLK), 32u);
}

#elif defined(__i386__)

TEST(ArchI386, SyscallNumbersOfTheCallsGlibcMakes) {
    EXPECT_EQ(arch::kNative, arch::Id::I386);
    EXPECT_EQ(row_name(3), "read");
    EXPECT_EQ(row_name(102), "socketcall");
    EXPECT_EQ(row_name(140), "_llseek");
    EXPECT_EQ(row_name(192), "mmap2");
    EXPECT_EQ(row_name(195), "stat64");
    EXPECT_EQ(row_name(199), "getuid32");
    EXPECT_EQ(row_name(221), "fcntl64");
    EXPECT_EQ(row_name(243), "set_thread_area");
    EXPECT_EQ(row_name(403), "clock_gettime64");
    EXPECT_EQ(classify(192), SyscallClass::Local);
    EXPECT_EQ(classify(102), SyscallClass::Forwarded);
    EXPECT_EQ(classify(117), SyscallClass::BringHome) << "ipc: System V";
    EXPECT_EQ(classify(90), SyscallClass::BringHome) << "old mmap (a struct): not glibc's";
    EXPECT_EQ(classify(158), SyscallClass::Local) << "sched_yield (158 is arch_prctl on x86_64)";
    EXPECT_EQ(arch::kSysMmap, 192);
}

TEST(ArchI386, RegisterConventions) {
    auto insn = arch::syscall_insn();
    EXPECT_EQ(std::vector<uint8_t>(insn.begin(), insn.end()), (std::vector<uint8_t>{0xcd, 0x80}));
    arch::Regs r{};
    const uint64_t args[6] = {1, 2, 3, 4, 5, 0xfffffff0};
    arch::set_call(r, 4, args);
    EXPECT_EQ(r.eax, 4);
    EXPECT_EQ(r.ebx, 1);
    EXPECT_EQ(r.ebp, long(0xfffffff0));
    EXPECT_EQ(arch::syscall_arg(r, 5), 0xfffffff0u) << "zero-extended, as seccomp shows it";
    EXPECT_EQ(r.orig_eax, -1);
    // clone(flags, stack, parent_tid, tls, child_tid): CONFIG_CLONE_BACKWARDS.
    const uint64_t clone[6] = {CLONE_CHILD_SETTID, 0x1000, 0x2000, 0x3000, 0x4000, 0};
    auto c = arch::clone_args(clone);
    EXPECT_EQ(c.tls, 0x3000u);
    EXPECT_EQ(c.child_tid, 0x4000u);
    EXPECT_TRUE(arch::set_clone_child_tls(r, c));
    c.flags |= CLONE_SETTLS;
    EXPECT_FALSE(arch::set_clone_child_tls(r, c)) << "a TLS descriptor cannot be copied in registers";
    const uint64_t pread[6] = {3, 0, 10, 0x10, 0x2, 0};
    EXPECT_EQ(arch::file_pos(pread, 3), 0x200000010);
}

TEST(ArchI386, LocksAndSocketcallHaveTheirOwnLayouts) {
    EXPECT_EQ(arch::flock_size(SYS_fcntl64, 5), 16u);    // F_GETLK: struct flock
    EXPECT_EQ(arch::flock_size(SYS_fcntl64, 13), 24u);   // F_SETLK64: struct flock64
    EXPECT_EQ(arch::flock_size(SYS_fcntl64, 4), 0u);     // F_SETFL: an integer
    auto accept = arch::socketcall_target(5);            // SYS_ACCEPT
    ASSERT_TRUE(accept);
    EXPECT_EQ(accept->nr, SYS_accept4);
    EXPECT_EQ(accept->nargs, 3);
    EXPECT_FALSE(arch::socketcall_target(99));
}

// socketcall(SYS_CONNECT, {fd, addr, len}) travels as connect(fd, addr, len).
TEST(ArchI386, SocketcallTravelsAsTheDirectCall) {
    ProcessMemory mem(getpid());
    char addr[16] = "0123456789abcde";
    unsigned long words[3] = {7, (unsigned long)(uintptr_t)addr, sizeof addr};
    const uint64_t args[6] = {3 /* SYS_CONNECT */, uint64_t(uintptr_t(words)), 0, 0, 0, 0};
    ForwardedCall c = gather(*find_syscall(SYS_socketcall), args, mem);
    EXPECT_EQ(c.nr, SYS_connect);
    EXPECT_EQ(c.args[0], 7u);
    ASSERT_EQ(c.in.at(1).size(), sizeof addr);
    EXPECT_EQ(std::memcmp(c.in.at(1).data(), addr, sizeof addr), 0);
    const uint64_t odd[6] = {20 /* SYS_SENDMMSG */, uint64_t(uintptr_t(words)), 0, 0, 0, 0};
    EXPECT_THROW(gather(*find_syscall(SYS_socketcall), odd, mem), std::invalid_argument);
}

#endif
