#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/bytes.h"
#include "image.h"
#include "restore.h"

#include <elf.h>
#include <cstring>

using namespace omx::mig;

namespace {
ProcessState sample() {
    ProcessState s;
    arch::set_ip(s.regs, 0x401000);
    s.xstate.assign(832, 0xab);
    s.tls.assign(48, 0x5c);
    s.clocks = {123'456'789'012, -5};
    s.sigmask = 1u << 9;
    s.actions[SIGINT - 1] = {0x401234, 0x04000000, 0x7f0000002000, 0};
    s.rseq = {0x7f0000003000, 32, 0x53053053, 0};
    s.clear_child_tid = 0x7f0000004000;
    s.layout.start_brk = 0x500000;
    s.layout.brk = 0x521000;
    s.auxv = {1, 2, 3, 4};
    s.exe = "/usr/bin/busy";
    s.regions = {Region{0x400000, 0x401000, 5, "/usr/bin/busy"}, Region{0x7ffd0000, 0x7ffd2000, 3, "[stack]"}};
    s.kernel_regions = {Region{0x7ffe0000, 0x7ffe2000, 5, "[vdso]"}};
    return s;
}
}  // namespace

TEST(Image, StateRoundTrips) {
    auto b = encode_state(sample());
    ProcessState back = decode_state(b);
    EXPECT_EQ(arch::ip(back.regs), 0x401000u);
    EXPECT_EQ(back.xstate, sample().xstate);
    EXPECT_EQ(back.tls, sample().tls);
    EXPECT_EQ(back.clocks.monotonic_ns, 123'456'789'012);
    EXPECT_EQ(back.clocks.boottime_ns, -5);
    EXPECT_EQ(back.actions[SIGINT - 1].handler, 0x401234u);
    EXPECT_TRUE(back.actions[SIGTERM - 1].is_default());
    EXPECT_EQ(back.rseq.signature, 0x53053053u);
    EXPECT_EQ(back.layout.brk, 0x521000u);
    EXPECT_EQ(back.exe, "/usr/bin/busy");
    ASSERT_EQ(back.regions.size(), 2u);
    EXPECT_TRUE(back.regions[1].growsdown());
    EXPECT_EQ(back.kernel_regions[0].name, "[vdso]");
}

TEST(Image, EveryTruncationIsRefused) {
    auto b = encode_state(sample());
    for (size_t n = 0; n < b.size(); n += 7)
        EXPECT_THROW(decode_state({b.data(), n}), omx::WireError) << n;
    b.push_back(0);
    EXPECT_THROW(decode_state(b), omx::WireError);
}

TEST(Image, BadRegionsAreRefused) {
    ProcessState s = sample();
    s.regions[0].end = s.regions[0].start;   // empty
    EXPECT_THROW(decode_state(encode_state(s)), omx::WireError);
    s = sample();
    s.regions[0].start += 1;   // misaligned
    EXPECT_THROW(decode_state(encode_state(s)), omx::WireError);
    s = sample();
    s.regions[0].end = 0xffffffffff601000;   // kernel half
    EXPECT_THROW(decode_state(encode_state(s)), omx::WireError);
}

TEST(Image, HeaderChecksMagic) {
    auto h = encode_header({"6.1.0-test", 0x7});
    auto back = decode_header(h);
    EXPECT_EQ(back.kernel_release, "6.1.0-test");
    EXPECT_EQ(back.xcr0, 0x7u);
    EXPECT_EQ(back.arch, arch::kNative);
    h[0] = 'X';
    EXPECT_THROW(decode_header(h), omx::WireError);
}

TEST(Image, FramesThroughAPipe) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    {
        ImageWriter w(fds[1]);
        w.frame(Frame::Header, encode_header({"k", 1}));
        std::vector<uint8_t> page(4096, 0x5a);
        w.pages(0x1000, page);
        w.frame(Frame::End, {});
        close(fds[1]);
    }
    ImageReader r(fds[0]);
    Frame type;
    std::vector<uint8_t> payload;
    ASSERT_TRUE(r.next(type, payload));
    EXPECT_EQ(type, Frame::Header);
    ASSERT_TRUE(r.next(type, payload));
    EXPECT_EQ(type, Frame::Pages);
    EXPECT_EQ(payload.size(), 8u + 4096u);
    EXPECT_FALSE(r.next(type, payload));
    EXPECT_EQ(type, Frame::End);
    EXPECT_THROW(r.next(type, payload), omx::WireError);   // nothing after End: truncated
    close(fds[0]);
}

TEST(Image, GarbageFramesAreRefused) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    uint8_t junk[12] = {99, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0};
    ASSERT_EQ(write(fds[1], junk, sizeof junk), ssize_t(sizeof junk));
    uint8_t huge[12] = {3, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0};   // a 1 TiB frame
    ASSERT_EQ(write(fds[1], huge, sizeof huge), ssize_t(sizeof huge));
    close(fds[1]);
    ImageReader r(fds[0]);
    Frame type;
    std::vector<uint8_t> payload;
    EXPECT_THROW(r.next(type, payload), omx::WireError);
    EXPECT_THROW(r.next(type, payload), omx::WireError);
    close(fds[0]);
}

TEST(Image, ResumableRegistersRewindInterruptedCalls) {
    arch::Regs r{};
    arch::set_ip(r, 0x1002);
    arch::set_orig_syscall(r, SYS_clock_nanosleep);
    arch::set_result(r, -516);   // ERESTART_RESTARTBLOCK
    auto out = resumable_registers(r);
    EXPECT_EQ(arch::ip(out), 0x1000u);
    EXPECT_EQ(arch::result(out), SYS_clock_nanosleep);
    EXPECT_EQ(arch::orig_syscall(out), -1);
    arch::set_result(r, -4);     // EINTR: a finished call is left alone
    out = resumable_registers(r);
    EXPECT_EQ(arch::ip(out), 0x1002u);
    EXPECT_EQ(arch::result(out), -4);
}

// A UML node's [vdso] page: the same ELF image on every boot, then uninitialised bytes.
TEST(VdsoFingerprint, OnlyTheElfImageCountsNotTheRestOfThePage) {
    std::vector<uint8_t> page(4096, 0);
    Elf64_Ehdr eh{};
    std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_shentsize = sizeof(Elf64_Shdr);
    eh.e_phoff = sizeof eh;
    eh.e_phnum = 1;
    eh.e_shoff = 0x500;
    eh.e_shnum = 4;
    Elf64_Phdr ph{};
    ph.p_offset = 0;
    ph.p_filesz = 0x400;
    std::memcpy(page.data(), &eh, sizeof eh);
    std::memcpy(page.data() + sizeof eh, &ph, sizeof ph);
    EXPECT_EQ(omx::mig::vdso_image_size(page), 0x500 + 4 * sizeof(Elf64_Shdr));
    ph.p_filesz = 0x900;   // a segment reaching past the section headers
    std::memcpy(page.data() + sizeof eh, &ph, sizeof ph);
    EXPECT_EQ(omx::mig::vdso_image_size(page), 0x900u);
    page[1] = 'X';   // not ELF: the whole page is compared
    EXPECT_EQ(omx::mig::vdso_image_size(page), 4096u);
    std::vector<uint8_t> tiny(16, 0);
    EXPECT_EQ(omx::mig::vdso_image_size(tiny), 16u);
}
