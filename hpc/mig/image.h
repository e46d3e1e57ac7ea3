#pragma once
// The process image: what checkpoint produces, transfer carries and restore consumes,
// described once here. A stream of frames, each `u32 type, u64 length, payload`:
//
//   Header   magic "OMXIMG02", architecture (arch::Id, ELF e_machine), kernel release,
//            XCR0 (CPU features the FPU state uses)
//   State    registers (the architecture's user_regs_struct), FPU area, TLS descriptors
//            (i386; empty on x86_64), signal mask and handlers, rseq, robust list,
//            clear_child_tid, sigaltstack, memory layout, auxv, exe path, regions
//   Pages    u64 address + contents (page multiples; zero pages are never sent)
//   End      nothing; a stream without it is incomplete and is refused
//
// The architecture comes first after the magic so that a node of another one refuses the
// image by name before it reads anything whose layout depends on it.
// Little-endian, bounds-checked on read (omx::ByteReader): a corrupt or truncated image is
// refused with a message, never restored.
#include <sys/user.h>

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "clocks.h"
#include "common/fd.h"
#include "proc_maps.h"
#include "tracee.h"

namespace omx::mig {

inline constexpr char kImageMagic[8] = {'O', 'M', 'X', 'I', 'M', 'G', '0', '2'};
enum class Frame : uint32_t { Header = 1, State = 2, Pages = 3, End = 4 };
inline constexpr uint64_t kMaxFrame = 64ull << 20;   // a Pages frame is at most 64 MiB

struct ImageHeader {
    std::string kernel_release;   // uname -r of the source node
    uint64_t xcr0 = 0;            // XSAVE feature mask of the source CPU
    arch::Id arch = arch::kNative;  // the architecture of the process
};

struct KernelSigaction {
    uint64_t handler = 0, flags = 0, restorer = 0, mask = 0;
    bool is_default() const { return handler == 0 && flags == 0 && mask == 0; }
};

// The kernel's struct sigaction of rt_sigaction as the process's architecture lays it out
// (the one we are built for): 32 bytes on x86_64, 20 on i386.
struct KernelSigactionRaw {
    unsigned long handler, flags, restorer;
    unsigned long mask[8 / sizeof(unsigned long)];
};
KernelSigaction from_kernel(const KernelSigactionRaw& k);
KernelSigactionRaw to_kernel(const KernelSigaction& a);

struct Region {
    uint64_t start = 0, end = 0;
    int prot = 0;
    std::string name;   // path, [heap], [stack], [vdso]... (for layout checks and messages)
    bool growsdown() const { return name == "[stack]"; }
};

struct ProcessState {
    arch::Regs regs{};               // already made resumable (see resumable_registers)
    std::vector<uint8_t> xstate;
    std::vector<uint8_t> tls;        // arch::read_tls: i386's GDT TLS entries
    ProcessClocks clocks;            // CLOCK_MONOTONIC/BOOTTIME as the process saw them (clocks.h)
    uint64_t sigmask = 0;
    KernelSigaction actions[64];     // index = signal - 1
    RseqConfig rseq;
    uint64_t robust_list = 0, robust_list_len = 0;
    uint64_t clear_child_tid = 0;
    uint64_t altstack_sp = 0, altstack_size = 0;
    int32_t altstack_flags = 0;
    MmLayout layout;
    std::vector<uint8_t> auxv;
    std::string exe;
    std::vector<Region> regions;     // memory to recreate (kernel mappings excluded)
    std::vector<Region> kernel_regions;   // where [vdso], [vvar]... were
};

std::vector<uint8_t> encode_header(const ImageHeader& h);
ImageHeader decode_header(std::span<const uint8_t> b);
std::vector<uint8_t> encode_state(const ProcessState& s);
ProcessState decode_state(std::span<const uint8_t> b);

// Writes frames to an fd (a file or a socket).
class ImageWriter {
public:
    explicit ImageWriter(int fd) : fd_(fd) {}
    void frame(Frame type, std::span<const uint8_t> payload);
    void pages(uint64_t addr, std::span<const uint8_t> data);
    uint64_t bytes_written() const { return written_; }

private:
    void write_all(const void* p, size_t n);
    int fd_;
    uint64_t written_ = 0;
};

// Reads frames from an fd; `next` returns false at End and throws on garbage.
class ImageReader {
public:
    explicit ImageReader(int fd) : fd_(fd) {}
    bool next(Frame& type, std::vector<uint8_t>& payload);

private:
    void read_all(void* p, size_t n);
    int fd_;
};

// XCR0 of this CPU (0 when the CPU has no XSAVE).
uint64_t cpu_xcr0();
std::string kernel_release();

}  // namespace omx::mig
