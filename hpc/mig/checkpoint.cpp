#include "checkpoint.h"

#include "clocks.h"

#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace omx::mig {

namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kChunk = 1 << 20;

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

bool anonymous(const Mapping& m) { return m.path.empty() || m.path == "[heap]" || m.path == "[stack]"; }

// A kernel structure the process's injected call filled in at `at`, in the layout of the
// architecture we are built for (the process's own: unsigned long is the kernel's word).
template <class T>
T read_struct(const Tracee& t, uint64_t at) {
    T v{};
    t.read_memory(at, {reinterpret_cast<uint8_t*>(&v), sizeof v});
    return v;
}

// What the kernel keeps per thread and /proc does not show, asked from inside.
void read_thread_state(Tracee& t, ProcessState& s) {
    uint64_t scratch = address_result(t.inject_checked("mmap scratch page", arch::kSysMmap, 0, kPage,
                                                       PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, uint64_t(-1), 0));
    const uint64_t word = sizeof(unsigned long);
    s.layout.brk = address_result(t.inject(SYS_brk, 0));
    // Without CONFIG_CHECKPOINT_RESTORE the kernel cannot tell (EINVAL): the address only
    // matters to a thread joining the main thread, and threaded processes never migrate.
    long tid_address = t.inject(SYS_prctl, PR_GET_TID_ADDRESS, scratch);
    if (tid_address < 0 && tid_address != -EINVAL)
        t.inject_checked("prctl(PR_GET_TID_ADDRESS)", SYS_prctl, PR_GET_TID_ADDRESS, scratch);   // throws with why
    s.clear_child_tid = tid_address == 0 ? t.read_word(scratch) : 0;
    if (t.inject(SYS_get_robust_list, 0, scratch, scratch + word) == 0) {
        s.robust_list = t.read_word(scratch);
        s.robust_list_len = t.read_word(scratch + word);
    }
    t.inject_checked("sigaltstack", SYS_sigaltstack, 0, scratch);
    auto ss = read_struct<stack_t>(t, scratch);
    s.altstack_sp = uint64_t(uintptr_t(ss.ss_sp));
    s.altstack_flags = ss.ss_flags;
    s.altstack_size = ss.ss_size;
    for (int sig = 1; sig <= 64; ++sig) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        if (t.inject(SYS_rt_sigaction, uint64_t(sig), 0, scratch, 8) != 0) continue;   // 32, 33: glibc's own
        auto k = read_struct<KernelSigactionRaw>(t, scratch);
        s.actions[sig - 1] = from_kernel(k);
    }
    t.inject_checked("munmap scratch page", SYS_munmap, scratch, kPage);
}

// Present (or swapped) pages of an anonymous region, from /proc/<pid>/pagemap.
std::vector<bool> populated_pages(int pagemap, const Mapping& m) {
    size_t n = m.size() / kPage;
    std::vector<uint64_t> entries(n);
    ssize_t got = ::pread(pagemap, entries.data(), n * 8, off_t(m.start / kPage * 8));
    std::vector<bool> out(n, got != ssize_t(n * 8));   // unreadable pagemap: send all
    if (got == ssize_t(n * 8))
        for (size_t i = 0; i < n; ++i) out[i] = (entries[i] >> 62) & 3;   // bit 63 present, 62 swapped
    return out;
}

bool all_zero(const uint8_t* p) {
    static const uint8_t zero[kPage] = {};
    return std::memcmp(p, zero, kPage) == 0;
}

// Streams one region's non-zero pages, coalesced into runs.
void send_region(const Tracee& t, const Mapping& m, int pagemap, ImageWriter& out, CheckpointStats& st) {
    if (m.prot == 0) return;   // PROT_NONE: reserved address space, nothing to carry
    std::vector<bool> present = anonymous(m) ? populated_pages(pagemap, m) : std::vector<bool>(m.size() / kPage, true);
    std::vector<uint8_t> buf(kChunk);
    for (uint64_t base = m.start; base < m.end; base += kChunk) {
        uint64_t len = std::min(kChunk, m.end - base);
        bool any = false;
        for (uint64_t p = 0; p < len / kPage; ++p) any = any || present[(base - m.start) / kPage + p];
        if (!any) continue;
        try {
            t.read_memory(base, {buf.data(), size_t(len)});
        } catch (const std::exception&) {
            // Pages of a file mapping past the end of the file cannot be read: skip them.
            for (uint64_t p = 0; p < len; p += kPage) {
                try {
                    t.read_memory(base + p, {buf.data() + p, kPage});
                } catch (const std::exception&) {
                    std::memset(buf.data() + p, 0, kPage);
                }
            }
        }
        uint64_t run_start = 0, run_len = 0;
        auto flush = [&] {
            if (run_len) out.pages(base + run_start, {buf.data() + run_start, size_t(run_len)});
            run_len = 0;
        };
        for (uint64_t p = 0; p < len; p += kPage) {
            bool keep = present[(base + p - m.start) / kPage] && !all_zero(buf.data() + p);
            if (keep) {
                if (!run_len) run_start = p;
                run_len += kPage;
                ++st.pages;
            } else {
                flush();
            }
        }
        flush();
    }
}

// The ELF machine of the process's program; 0 when it cannot be read. An x86_64 kernel
// with IA32 emulation runs processes of both architectures side by side.
uint16_t program_machine(pid_t pid) {
    omx::UniqueFd exe(::open(fmt::format("/proc/{}/exe", pid).c_str(), O_RDONLY | O_CLOEXEC));
    unsigned char head[EI_NIDENT + 4];
    if (!exe || ::pread(exe.get(), head, sizeof head, 0) != ssize_t(sizeof head) || std::memcmp(head, ELFMAG, SELFMAG) != 0)
        return 0;
    uint16_t machine;
    std::memcpy(&machine, head + EI_NIDENT + 2, sizeof machine);   // after e_type
    return machine;
}

}  // namespace

std::string cantmove_reason(pid_t pid) {
    if (uint16_t m = program_machine(pid); m && m != arch::kNativeMachine) return "arch";
    std::error_code ec;
    size_t threads = 0;
    for (auto it = fs::directory_iterator(fmt::format("/proc/{}/task", pid), ec); !ec && it != fs::directory_iterator();
         it.increment(ec))
        ++threads;
    if (threads > 1) return "clone_vm";
    for (const auto& m : read_maps(pid)) {
        if (!m.shared) continue;
        if (m.path.rfind("/SYSV", 0) == 0) return "mem_lock";
        // A read-only shared view of a file (glibc maps gconv and locale caches so) reads
        // the same as a private copy: it travels as content. Writable ones would diverge.
        if (!(m.prot & PROT_WRITE) && !m.path.empty() && m.path[0] == '/') continue;
        return "mmap_dev";
    }
    return "";
}

CheckpointStats checkpoint(Tracee& t, ImageWriter& out) {
    if (auto why = cantmove_reason(t.pid()); !why.empty())
        throw CantMove(why, fmt::format("process {} cannot move ({})", t.pid(), why));
    CheckpointStats st;
    ProcessState s;
    const arch::Regs stopped = t.registers();
    s.regs = resumable_registers(stopped);
    st.resume_regs = s.regs;
    s.xstate = t.xstate();
    s.tls = arch::read_tls(t.pid());
    s.clocks = clocks_of(t.pid());
    s.sigmask = t.signal_mask();
    s.rseq = t.rseq();

    uint64_t injected_before = t.injected_calls();
    t.set_syscall_site(find_syscall_in_vdso(t));
    read_thread_state(t, s);
    t.set_registers(stopped);
    st.injected_calls = t.injected_calls() - injected_before;

    auto maps = read_maps(t.pid());
    uint64_t brk = s.layout.brk;
    s.layout = read_stat_layout(t.pid());
    s.layout.brk = brk;
    std::string auxv = slurp(fmt::format("/proc/{}/auxv", t.pid()));
    s.auxv.assign(auxv.begin(), auxv.end());
    std::error_code ec;
    s.exe = fs::read_symlink(fmt::format("/proc/{}/exe", t.pid()), ec).string();
    for (const auto& m : maps) {
        if (m.is("[vsyscall]")) continue;
        Region g{m.start, m.end, m.prot, m.path};
        (m.kernel_special() ? s.kernel_regions : s.regions).push_back(g);
    }
    st.regions = s.regions.size();

    out.frame(Frame::Header, encode_header({kernel_release(), cpu_xcr0(), arch::kNative}));
    out.frame(Frame::State, encode_state(s));
    omx::UniqueFd pagemap(::open(fmt::format("/proc/{}/pagemap", t.pid()).c_str(), O_RDONLY | O_CLOEXEC));
    for (const auto& m : maps)
        if (!m.kernel_special()) send_region(t, m, pagemap.get(), out, st);
    // The vDSO travels as a fingerprint: restore refuses a target whose vDSO differs.
    for (const auto& m : maps)
        if (m.is("[vdso]")) {
            std::vector<uint8_t> code(m.size());
            t.read_memory(m.start, code);
            out.pages(m.start, code);
        }
    out.frame(Frame::End, {});
    st.image_bytes = out.bytes_written();
    return st;
}

}  // namespace omx::mig
