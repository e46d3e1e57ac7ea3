#include "restore.h"

#include <fcntl.h>
#include <sched.h>
#include <linux/seccomp.h>
#include <fmt/format.h>
#include <signal.h>
#include <elf.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "clocks.h"
#include "common/bytes.h"
#include "seccomp_filter.h"
#include "tracee.h"

namespace fs = std::filesystem;

namespace omx::mig {

namespace {

constexpr uint64_t kPage = 4096;
// Layout of the trampoline page: code first, then scratch areas for injected calls.
constexpr uint64_t kOffAction = 64, kOffAltstack = 128, kOffFprog = 160, kOffMmMap = 256, kOffAuxv = 1024,
                   kOffFilter = 1536;

struct PrctlMmMap {
    uint64_t start_code, end_code, start_data, end_data, start_brk, brk, start_stack, arg_start, arg_end,
        env_start, env_end;
    uint64_t auxv;
    uint32_t auxv_size;
    uint32_t exe_fd;
};
static_assert(sizeof(PrctlMmMap) == 104);

pid_t start_stub(const std::string& path, const ProcessClocks& clocks) {
    if (::access(path.c_str(), X_OK) != 0)
        throw std::runtime_error(fmt::format("restorer stub {} missing: {}", path, std::strerror(errno)));
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(fmt::format("fork: {}", std::strerror(errno)));
    if (pid == 0) {
        // Its clocks carry on from where they were (clocks.h); a kernel without time
        // namespaces leaves it the node's (the restore goes on: nothing else depends on it).
        enter_time_namespace_at(clocks);
        ::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);   // the process dies with its remote part, never runs unsupervised
        char* argv[] = {const_cast<char*>("omx-restorer"), nullptr};
        char* envp[] = {nullptr};
        ::execve(path.c_str(), argv, envp);
        _exit(127);
    }
    return pid;
}

std::vector<Mapping> as_mappings(const std::vector<Region>& regions) {
    std::vector<Mapping> out;
    for (const auto& g : regions) {
        Mapping m;
        m.start = g.start;
        m.end = g.end;
        m.path = g.name;
        out.push_back(m);
    }
    return out;
}

class Rebuild {
public:
    // `existing`: the process is not a fresh stub but one that lived (the husk coming home):
    // every signal action is set, defaults included, since it may have others of its own.
    Rebuild(Tracee& t, const ProcessState& s, bool existing)
        : t_(t), s_(s), image_(as_mappings(s.regions)), existing_(existing) {
        auto kernel = as_mappings(s.kernel_regions);
        image_.insert(image_.end(), kernel.begin(), kernel.end());
    }

    // Replaces the stub's address space by the image's regions (still empty).
    void prepare_address_space() {
        auto stub = read_maps(t_.pid());
        t_.set_syscall_site(find_syscall_in_vdso(t_));
        trampoline_ = find_hole({&stub, &image_}, kPage, 0x10000000);
        t_.inject_checked("mmap trampoline", arch::kSysMmap, trampoline_, kPage, PROT_READ | PROT_WRITE | PROT_EXEC,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, uint64_t(-1), 0);
        std::vector<uint8_t> code(arch::syscall_insn().begin(), arch::syscall_insn().end());
        code.insert(code.end(), {0xcc, 0xcc});   // the system call, then int3 int3
        t_.write_memory(trampoline_, code);
        t_.set_syscall_site(trampoline_);
        for (const auto& m : stub)
            if (!m.kernel_special()) t_.inject_checked("munmap stub mapping", SYS_munmap, m.start, m.size());
        move_kernel_mappings(stub);
        for (const auto& g : s_.regions) {
            int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | (g.growsdown() ? MAP_GROWSDOWN : 0);
            long at = t_.inject_checked("mmap region", arch::kSysMmap, g.start, g.end - g.start, uint64_t(g.prot),
                                        uint64_t(flags), uint64_t(-1), 0);
            if (address_result(at) != g.start) throw std::runtime_error(fmt::format("region {:#x} landed elsewhere", g.start));
        }
    }

    // Page contents; the [vdso] "page" is a fingerprint compared with ours.
    void pages(uint64_t addr, std::span<const uint8_t> data, RestoreStats& st) {
        if (addr & (kPage - 1) || data.size() % kPage || data.empty()) throw WireError("misaligned pages in image");
        if (addr == vdso_at_ && vdso_at_) {
            std::vector<uint8_t> ours(data.size());
            t_.read_memory(addr, ours);
            size_t image = vdso_image_size(data);
            if (image != vdso_image_size(ours) || !std::equal(ours.begin(), ours.begin() + long(image), data.begin()))
                throw std::runtime_error("the image comes from a kernel with another vDSO: this node cannot run it");
            return;
        }
        bool inside = std::any_of(s_.regions.begin(), s_.regions.end(), [&](const Region& g) {
            return addr >= g.start && addr + data.size() <= g.end;
        });
        if (!inside) throw WireError(fmt::format("pages at {:#x} outside every region of the image", addr));
        t_.write_memory(addr, data);
        st.pages += data.size() / kPage;
        st.bytes += data.size();
    }

    void restore_kernel_state() {
        PrctlMmMap mm{};
        const MmLayout& l = s_.layout;
        mm = PrctlMmMap{l.start_code, l.end_code, l.start_data, l.end_data, l.start_brk, l.brk, l.start_stack,
                        l.arg_start, l.arg_end, l.env_start, l.env_end, trampoline_ + kOffAuxv,
                        uint32_t(s_.auxv.size()), uint32_t(-1)};
        if (s_.auxv.size() > kPage - kOffAuxv) throw WireError("auxv too large");
        t_.write_memory(trampoline_ + kOffAuxv, s_.auxv);
        t_.write_memory(trampoline_ + kOffMmMap, {reinterpret_cast<const uint8_t*>(&mm), sizeof mm});
        long set = t_.inject(SYS_prctl, PR_SET_MM, PR_SET_MM_MAP, trampoline_ + kOffMmMap, sizeof mm, 0);
        if (set == -EINVAL) set_mm_field_by_field(mm);   // a kernel without CONFIG_CHECKPOINT_RESTORE
        else if (set < 0)
            t_.inject_checked("prctl(PR_SET_MM_MAP)", SYS_prctl, PR_SET_MM, PR_SET_MM_MAP, trampoline_ + kOffMmMap,
                              sizeof mm, 0);   // throws with why
        t_.inject(SYS_set_tid_address, s_.clear_child_tid);
        if (s_.robust_list)
            t_.inject_checked("set_robust_list", SYS_set_robust_list, s_.robust_list, s_.robust_list_len);
        if (s_.altstack_sp && !(s_.altstack_flags & SS_DISABLE)) {
            stack_t ss{};
            ss.ss_sp = reinterpret_cast<void*>(uintptr_t(s_.altstack_sp));
            ss.ss_flags = s_.altstack_flags & ~SS_ONSTACK;
            ss.ss_size = size_t(s_.altstack_size);
            t_.write_memory(trampoline_ + kOffAltstack, {reinterpret_cast<const uint8_t*>(&ss), sizeof ss});
            t_.inject_checked("sigaltstack", SYS_sigaltstack, trampoline_ + kOffAltstack, 0);
        }
        for (int sig = 1; sig <= 64; ++sig) {
            const auto& a = s_.actions[sig - 1];
            if (sig == SIGKILL || sig == SIGSTOP || (a.is_default() && !existing_)) continue;
            KernelSigactionRaw act = to_kernel(a);
            t_.write_memory(trampoline_ + kOffAction, {reinterpret_cast<const uint8_t*>(&act), sizeof act});
            t_.inject(SYS_rt_sigaction, uint64_t(sig), trampoline_ + kOffAction, 0, 8);
        }
        if (s_.rseq.address)
            t_.inject_checked("rseq registration", SYS_rseq, s_.rseq.address, s_.rseq.size, 0, s_.rseq.signature);
        arch::restore_tls(t_, s_.regs, s_.tls);
        t_.set_signal_mask(s_.sigmask);
        t_.set_xstate(s_.xstate);
    }

    // The same layout one PR_SET_MM call per field. The kernel checks every call against
    // the other fields as they are now (start below end, brk above start_brk...), so a
    // field refused in one pass is tried again after the others moved.
    void set_mm_field_by_field(const PrctlMmMap& mm) {
        std::vector<std::pair<int, uint64_t>> todo = {
            {PR_SET_MM_START_CODE, mm.start_code}, {PR_SET_MM_END_CODE, mm.end_code},
            {PR_SET_MM_START_DATA, mm.start_data}, {PR_SET_MM_END_DATA, mm.end_data},
            {PR_SET_MM_START_BRK, mm.start_brk},   {PR_SET_MM_BRK, mm.brk},
            {PR_SET_MM_START_STACK, mm.start_stack}, {PR_SET_MM_ARG_START, mm.arg_start},
            {PR_SET_MM_ARG_END, mm.arg_end},       {PR_SET_MM_ENV_START, mm.env_start},
            {PR_SET_MM_ENV_END, mm.env_end}};
        for (int pass = 0; pass < 4 && !todo.empty(); ++pass)
            std::erase_if(todo, [&](const auto& field) {
                return t_.inject(SYS_prctl, PR_SET_MM, uint64_t(field.first), field.second, 0, 0) == 0;
            });
        for (const auto& [option, value] : todo)   // what is still refused fails with its reason
            t_.inject_checked(fmt::format("prctl(PR_SET_MM, {}, {:#x})", option, value).c_str(), SYS_prctl, PR_SET_MM,
                              uint64_t(option), value, 0, 0);
        t_.inject_checked("prctl(PR_SET_MM_AUXV)", SYS_prctl, PR_SET_MM, PR_SET_MM_AUXV, mm.auxv, mm.auxv_size, 0);
    }

    void set_name(const std::string& comm) {
        std::string name = comm.substr(0, 15);
        std::vector<uint8_t> bytes(name.begin(), name.end());
        bytes.push_back(0);
        t_.write_memory(trampoline_ + kOffAction, bytes);
        t_.inject(SYS_prctl, PR_SET_NAME, trampoline_ + kOffAction);
    }

    // The filter goes in last of all (every later injected call would stop at it), and
    // only local calls follow: the trampoline's munmap. Returns our copy of the listener.
    int install_filter(bool direct_files) {
        auto prog = migrated_process_filter(direct_files);
        size_t bytes = prog.size() * sizeof(sock_filter);
        if (kOffFilter + bytes > kPage) throw std::runtime_error("seccomp filter larger than the trampoline page");
        t_.write_memory(trampoline_ + kOffFilter, {reinterpret_cast<const uint8_t*>(prog.data()), bytes});
        sock_fprog fprog{};   // the process's own layout: it is ours
        fprog.len = uint16_t(prog.size());
        fprog.filter = reinterpret_cast<sock_filter*>(uintptr_t(trampoline_ + kOffFilter));
        t_.write_memory(trampoline_ + kOffFprog, {reinterpret_cast<const uint8_t*>(&fprog), sizeof fprog});
        t_.inject_checked("prctl(PR_SET_NO_NEW_PRIVS)", SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        long fd = t_.inject_checked("seccomp filter", SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                                    SECCOMP_FILTER_FLAG_NEW_LISTENER, trampoline_ + kOffFprog);
        omx::UniqueFd pidfd(int(::syscall(SYS_pidfd_open, t_.pid(), 0)));
        int ours = pidfd ? int(::syscall(SYS_pidfd_getfd, pidfd.get(), int(fd), 0)) : -1;
        if (ours < 0) throw std::runtime_error(fmt::format("cannot take the seccomp listener: {}", std::strerror(errno)));
        return ours;
    }

    // The last call unmaps the trampoline; the process resumes with its own registers.
    void resume() {
        t_.inject(SYS_munmap, trampoline_, kPage);
        t_.detach_with(s_.regs);
    }

private:
    // [vvar], [vvar_vclock], [vdso] move to where the image had them: glibc keeps
    // pointers into the vDSO. Via free addresses first, so no move lands on a mapping
    // that still has to move.
    void move_kernel_mappings(const std::vector<Mapping>& stub) {
        std::vector<Mapping> taken = image_;
        taken.push_back(Mapping::range(trampoline_, trampoline_ + kPage));
        for (const auto& m : stub)
            if (m.kernel_special()) taken.push_back(m);
        std::vector<std::pair<uint64_t, const Region*>> parked;
        for (const auto& want : s_.kernel_regions) {
            auto ours = std::find_if(stub.begin(), stub.end(), [&](const Mapping& m) { return m.path == want.name; });
            if (ours == stub.end() || ours->size() != want.end - want.start)
                throw std::runtime_error(fmt::format(
                    "the image comes from a kernel with another {} layout: this node cannot run it", want.name));
            uint64_t tmp = find_hole({&taken}, ours->size(), arch::kParkFrom);
            taken.push_back(Mapping::range(tmp, tmp + ours->size()));
            t_.inject_checked("mremap kernel mapping", SYS_mremap, ours->start, ours->size(), ours->size(),
                              MREMAP_MAYMOVE | MREMAP_FIXED, tmp);
            parked.emplace_back(tmp, &want);
        }
        for (const auto& [tmp, want] : parked) {
            t_.inject_checked("mremap kernel mapping", SYS_mremap, tmp, want->end - want->start,
                              want->end - want->start, MREMAP_MAYMOVE | MREMAP_FIXED, want->start);
            if (want->name == "[vdso]") vdso_at_ = want->start;
        }
        for (const auto& m : stub)   // kernel mappings the image did not have
            if (m.kernel_special() && !m.is("[vsyscall]") &&
                std::none_of(s_.kernel_regions.begin(), s_.kernel_regions.end(),
                             [&](const Region& g) { return g.name == m.path; }))
                throw std::runtime_error(fmt::format("this kernel has a {} the image's kernel lacked", m.path));
    }

    Tracee& t_;
    const ProcessState& s_;
    std::vector<Mapping> image_;
    uint64_t trampoline_ = 0;
    uint64_t vdso_at_ = 0;
    bool existing_ = false;
};

}  // namespace

namespace {

// The vDSO of either ELF class: x86_64's is ELF64, i386's ELF32.
template <class Ehdr, class Phdr, class Shdr>
size_t elf_image_size(std::span<const uint8_t> page, unsigned char elf_class) {
    Ehdr eh;
    if (page.size() < sizeof eh) return page.size();
    std::memcpy(&eh, page.data(), sizeof eh);
    if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != elf_class ||
        eh.e_phentsize != sizeof(Phdr) || eh.e_shentsize != sizeof(Shdr))
        return page.size();
    uint64_t end = uint64_t(eh.e_shoff) + uint64_t(eh.e_shnum) * sizeof(Shdr);
    for (unsigned i = 0; i < eh.e_phnum; ++i) {
        Phdr ph;
        uint64_t at = uint64_t(eh.e_phoff) + uint64_t(i) * sizeof ph;
        if (at + sizeof ph > page.size()) return page.size();
        std::memcpy(&ph, page.data() + at, sizeof ph);
        end = std::max<uint64_t>(end, uint64_t(ph.p_offset) + ph.p_filesz);
    }
    return end <= page.size() ? size_t(end) : page.size();
}

}  // namespace

size_t vdso_image_size(std::span<const uint8_t> page) {
    if (page.size() > EI_CLASS && page[EI_CLASS] == ELFCLASS32)
        return elf_image_size<Elf32_Ehdr, Elf32_Phdr, Elf32_Shdr>(page, ELFCLASS32);
    return elf_image_size<Elf64_Ehdr, Elf64_Phdr, Elf64_Shdr>(page, ELFCLASS64);
}

std::string default_restorer_path() {
    return (fs::read_symlink("/proc/self/exe").parent_path() / "omx-restorer").string();
}

namespace {

ProcessState read_header_and_state(ImageReader& in) {
    Frame type;
    std::vector<uint8_t> payload;
    if (!in.next(type, payload) || type != Frame::Header) throw WireError("image does not start with a header");
    check_image_fits_here(decode_header(payload));
    if (!in.next(type, payload) || type != Frame::State) throw WireError("image has no process state");
    return decode_state(payload);
}

// Everything after the state: the address space, the pages, the kernel state, the filter.
// Leaves the process stopped with its registers still to be set (Rebuild::resume).
void rebuild(Rebuild& r, ImageReader& in, RestoreStats& st, const RestoreOptions& opt) {
    Frame type;
    std::vector<uint8_t> payload;
    r.prepare_address_space();
    while (in.next(type, payload)) {
        if (type != Frame::Pages || payload.size() < 8) throw WireError("unexpected frame in image");
        ByteReader br(payload);
        uint64_t addr = br.u64();
        r.pages(addr, std::span<const uint8_t>(payload).subspan(8), st);
    }
    if (type != Frame::End) throw WireError("image truncated");
    r.restore_kernel_state();
    if (!opt.comm.empty()) r.set_name(opt.comm);
    if (opt.install_filter) st.listener_fd = r.install_filter(opt.direct_files);
}

// The image's registers are resumable: at the syscall instruction, with the call's number
// and arguments in place. The child returns 0 from the call, with what clone's flags ask.
uint64_t make_fork_child(ProcessState& s) {
    auto& r = s.regs;
    long nr = arch::result(r);   // resumable: the call's number is back in place
    if (nr != SYS_fork && nr != SYS_vfork && nr != SYS_clone)
        throw std::runtime_error("the image is not of a process in fork, vfork or clone");
    uint64_t settid_at = 0;
    s.clear_child_tid = 0;
    if (nr == SYS_clone) {
        uint64_t raw[6];
        for (int i = 0; i < 6; ++i) raw[i] = arch::syscall_arg(r, i);
        arch::CloneArgs c = arch::clone_args(raw);
        if (c.stack) arch::set_sp(r, c.stack);
        if (!arch::set_clone_child_tls(r, c))
            throw std::runtime_error(fmt::format("a clone with a TLS descriptor cannot be copied on {}", arch::name(arch::kNative)));
        if (c.flags & CLONE_CHILD_SETTID) settid_at = c.child_tid;
        if (c.flags & CLONE_CHILD_CLEARTID) s.clear_child_tid = c.child_tid;
    }
    s.robust_list = s.robust_list_len = 0;   // as the kernel leaves a new child
    arch::set_ip(r, arch::ip(r) + arch::kSyscallInsnSize);
    arch::set_result(r, 0);
    return settid_at;
}

}  // namespace

void check_image_fits_here(const ImageHeader& h) {
    if (h.arch != arch::kNative)
        throw std::runtime_error(fmt::format("the image is of an {} process and this node runs {} ones: it cannot restore it",
                                             arch::name(h.arch), arch::name(arch::kNative)));
    if (h.xcr0 & ~cpu_xcr0())
        throw std::runtime_error(fmt::format("this CPU lacks FPU/vector features the image uses (XCR0 {:#x} vs {:#x})",
                                             h.xcr0, cpu_xcr0()));
}

pid_t restore(ImageReader& in, const std::string& restorer_path, RestoreStats* stats, const RestoreOptions& opt) {
    RestoreStats st;
    ProcessState s = read_header_and_state(in);
    uint64_t settid_at = opt.fork_child ? make_fork_child(s) : 0;
    pid_t stub = start_stub(restorer_path, s.clocks);
    auto t = [&] {
        try {
            return Tracee::adopt_exec_child(stub);
        } catch (...) {
            ::kill(stub, SIGKILL);
            ::waitpid(stub, nullptr, 0);
            throw;
        }
    }();
    try {
        Rebuild r(t, s, false);
        rebuild(r, in, st, opt);
        if (settid_at) {
            auto tid = uint32_t(opt.fork_child);
            t.write_memory(settid_at, {reinterpret_cast<const uint8_t*>(&tid), sizeof tid});
        }
        st.injected_calls = t.injected_calls() + 1;
        pid_t pid = t.pid();
        r.resume();
        if (stats) *stats = st;
        return pid;
    } catch (...) {
        t.kill();
        throw;
    }
}

void restore_into(Tracee& t, ImageReader& in, RestoreStats* stats) {
    RestoreStats st;
    ProcessState s = read_header_and_state(in);
    Rebuild r(t, s, true);
    rebuild(r, in, st, {});
    st.injected_calls = t.injected_calls() + 1;
    r.resume();
    if (stats) *stats = st;
}

}  // namespace omx::mig
