#include "image.h"

#include <cpuid.h>
#include <fmt/format.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "common/bytes.h"

namespace omx::mig {

namespace {

void put_regs(ByteWriter& w, const arch::Regs& r) {
    w.u32(sizeof r);
    w.bytes({reinterpret_cast<const uint8_t*>(&r), sizeof r});
}

arch::Regs get_regs(ByteReader& r) {
    if (r.u32() != sizeof(arch::Regs)) throw WireError("register set of another size");
    arch::Regs regs;
    auto b = r.bytes(sizeof regs);
    std::memcpy(&regs, b.data(), sizeof regs);
    return regs;
}

void put_blob(ByteWriter& w, std::span<const uint8_t> b) {
    w.u32(uint32_t(b.size()));
    w.bytes(b);
}

std::vector<uint8_t> get_blob(ByteReader& r, size_t max) {
    uint32_t n = r.u32();
    if (n > max) throw WireError("oversized field in image");
    auto b = r.bytes(n);
    return {b.begin(), b.end()};
}

void put_regions(ByteWriter& w, const std::vector<Region>& regions) {
    w.u32(uint32_t(regions.size()));
    for (const auto& g : regions) {
        w.u64(g.start);
        w.u64(g.end);
        w.u32(uint32_t(g.prot));
        w.str16(g.name);
    }
}

std::vector<Region> get_regions(ByteReader& r) {
    uint32_t n = r.u32();
    if (n > 65536) throw WireError("too many regions in image");
    std::vector<Region> out;
    for (uint32_t i = 0; i < n; ++i) {
        Region g;
        g.start = r.u64();
        g.end = r.u64();
        g.prot = int(r.u32());
        g.name = r.str16();
        if (g.end <= g.start || (g.start & 0xfff) || (g.end & 0xfff) || g.end > arch::kUserTop)
            throw WireError(fmt::format("bad region {:#x}-{:#x} in image", g.start, g.end));
        if (g.prot & ~7) throw WireError("bad protection in image");
        out.push_back(std::move(g));
    }
    return out;
}

}  // namespace

static_assert(sizeof(KernelSigactionRaw::mask) == 8, "the kernel's sigset_t of rt_sigaction is 64 signals");

KernelSigaction from_kernel(const KernelSigactionRaw& k) {
    uint64_t mask = 0;
    std::memcpy(&mask, k.mask, sizeof mask);   // little-endian words: the 64 signals in order
    return {k.handler, k.flags, k.restorer, mask};
}

KernelSigactionRaw to_kernel(const KernelSigaction& a) {
    KernelSigactionRaw k{};
    k.handler = (unsigned long)a.handler;
    k.flags = (unsigned long)a.flags;
    k.restorer = (unsigned long)a.restorer;
    std::memcpy(k.mask, &a.mask, sizeof k.mask);
    return k;
}

std::vector<uint8_t> encode_header(const ImageHeader& h) {
    ByteWriter w;
    w.bytes({reinterpret_cast<const uint8_t*>(kImageMagic), sizeof kImageMagic});
    w.u32(uint32_t(h.arch));
    w.str16(h.kernel_release);
    w.u64(h.xcr0);
    return w.data();
}

ImageHeader decode_header(std::span<const uint8_t> b) {
    ByteReader r(b);
    auto magic = r.bytes(sizeof kImageMagic);
    if (std::memcmp(magic.data(), kImageMagic, sizeof kImageMagic) != 0)
        throw WireError("not an openMosix process image (bad magic)");
    ImageHeader h;
    h.arch = arch::Id(r.u32());
    h.kernel_release = r.str16();
    h.xcr0 = r.u64();
    r.expect_end();
    return h;
}

std::vector<uint8_t> encode_state(const ProcessState& s) {
    ByteWriter w;
    put_regs(w, s.regs);
    put_blob(w, s.xstate);
    put_blob(w, s.tls);
    w.u64(uint64_t(s.clocks.monotonic_ns));
    w.u64(uint64_t(s.clocks.boottime_ns));
    w.u64(s.sigmask);
    for (const auto& a : s.actions) {
        w.u64(a.handler);
        w.u64(a.flags);
        w.u64(a.restorer);
        w.u64(a.mask);
    }
    w.u64(s.rseq.address);
    w.u32(s.rseq.size);
    w.u32(s.rseq.signature);
    w.u32(s.rseq.flags);
    w.u64(s.robust_list);
    w.u64(s.robust_list_len);
    w.u64(s.clear_child_tid);
    w.u64(s.altstack_sp);
    w.u64(s.altstack_size);
    w.u32(uint32_t(s.altstack_flags));
    const MmLayout& m = s.layout;
    for (uint64_t v : {m.start_code, m.end_code, m.start_data, m.end_data, m.start_brk, m.brk, m.start_stack,
                       m.arg_start, m.arg_end, m.env_start, m.env_end})
        w.u64(v);
    put_blob(w, s.auxv);
    w.str16(s.exe);
    put_regions(w, s.regions);
    put_regions(w, s.kernel_regions);
    return w.data();
}

ProcessState decode_state(std::span<const uint8_t> b) {
    ByteReader r(b);
    ProcessState s;
    s.regs = get_regs(r);
    s.xstate = get_blob(r, 16384);
    s.tls = get_blob(r, 256);
    s.clocks.monotonic_ns = int64_t(r.u64());
    s.clocks.boottime_ns = int64_t(r.u64());
    s.sigmask = r.u64();
    for (auto& a : s.actions) {
        a.handler = r.u64();
        a.flags = r.u64();
        a.restorer = r.u64();
        a.mask = r.u64();
    }
    s.rseq.address = r.u64();
    s.rseq.size = r.u32();
    s.rseq.signature = r.u32();
    s.rseq.flags = r.u32();
    s.robust_list = r.u64();
    s.robust_list_len = r.u64();
    s.clear_child_tid = r.u64();
    s.altstack_sp = r.u64();
    s.altstack_size = r.u64();
    s.altstack_flags = int32_t(r.u32());
    MmLayout& m = s.layout;
    for (uint64_t* v : {&m.start_code, &m.end_code, &m.start_data, &m.end_data, &m.start_brk, &m.brk, &m.start_stack,
                        &m.arg_start, &m.arg_end, &m.env_start, &m.env_end})
        *v = r.u64();
    s.auxv = get_blob(r, 4096);
    s.exe = r.str16();
    s.regions = get_regions(r);
    s.kernel_regions = get_regions(r);
    r.expect_end();
    return s;
}

void ImageWriter::write_all(const void* p, size_t n) {
    auto* c = static_cast<const uint8_t*>(p);
    while (n > 0) {
        ssize_t k = ::write(fd_, c, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) throw std::runtime_error(fmt::format("writing the image: {}", std::strerror(errno)));
        c += k;
        n -= size_t(k);
        written_ += uint64_t(k);
    }
}

void ImageWriter::frame(Frame type, std::span<const uint8_t> payload) {
    ByteWriter head;
    head.u32(uint32_t(type));
    head.u64(payload.size());
    write_all(head.data().data(), head.size());
    write_all(payload.data(), payload.size());
}

void ImageWriter::pages(uint64_t addr, std::span<const uint8_t> data) {
    ByteWriter head;
    head.u32(uint32_t(Frame::Pages));
    head.u64(8 + data.size());
    head.u64(addr);
    write_all(head.data().data(), head.size());
    write_all(data.data(), data.size());
}

void ImageReader::read_all(void* p, size_t n) {
    auto* c = static_cast<uint8_t*>(p);
    while (n > 0) {
        ssize_t k = ::read(fd_, c, n);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) throw std::runtime_error(fmt::format("reading the image: {}", std::strerror(errno)));
        if (k == 0) throw WireError("image truncated");
        c += k;
        n -= size_t(k);
    }
}

bool ImageReader::next(Frame& type, std::vector<uint8_t>& payload) {
    uint8_t head[12];
    read_all(head, sizeof head);
    ByteReader r({head, sizeof head});
    uint32_t t = r.u32();
    uint64_t len = r.u64();
    if (t < uint32_t(Frame::Header) || t > uint32_t(Frame::End)) throw WireError(fmt::format("unknown frame type {} in image", t));
    if (len > kMaxFrame + 8) throw WireError("oversized frame in image");
    type = Frame(t);
    payload.resize(len);
    read_all(payload.data(), len);
    return type != Frame::End;
}

uint64_t cpu_xcr0() {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE)) return 0;
    uint32_t lo, hi;
    asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (uint64_t(hi) << 32) | lo;
}

std::string kernel_release() {
    utsname u{};
    ::uname(&u);
    return u.release;
}

}  // namespace omx::mig
