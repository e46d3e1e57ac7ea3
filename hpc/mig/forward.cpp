#include "forward.h"

#include <poll.h>

#include "common/proc.h"
#include "proc_maps.h"

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace omx::mig {

ProcessMemory::ProcessMemory(pid_t pid) : fd_(::open(fmt::format("/proc/{}/mem", pid).c_str(), O_RDWR | O_CLOEXEC)) {
    if (!fd_) throw std::runtime_error(fmt::format("open /proc/{}/mem: {}", pid, std::strerror(errno)));
}

std::vector<uint8_t> ProcessMemory::read(uint64_t addr, size_t n) const {
    std::vector<uint8_t> out(n);
    if (n && ::pread(fd_.get(), out.data(), n, off_t(addr)) != ssize_t(n)) throw std::system_error(EFAULT, std::generic_category());
    return out;
}

std::string ProcessMemory::read_string(uint64_t addr, size_t max) const {
    std::string s;
    char buf[256];
    while (s.size() < max) {
        ssize_t n = ::pread(fd_.get(), buf, sizeof buf, off_t(addr + s.size()));
        if (n <= 0) throw std::system_error(EFAULT, std::generic_category());
        for (ssize_t i = 0; i < n; ++i) {
            s.push_back(buf[i]);
            if (buf[i] == '\0') return s;
        }
    }
    throw std::system_error(ENAMETOOLONG, std::generic_category());
}

void ProcessMemory::write(uint64_t addr, const std::vector<uint8_t>& data) {
    if (!data.empty() && ::pwrite(fd_.get(), data.data(), data.size(), off_t(addr)) != ssize_t(data.size()))
        throw std::system_error(EFAULT, std::generic_category());
}

constexpr uint32_t kKernelTermios = 36;   // the kernel's struct termios (TCGETS), not glibc's

namespace {

// The row is one of these calls (by name: the numbers, and which of them exist, differ
// between architectures).
bool is_call(const SyscallInfo& row, std::initializer_list<std::string_view> names) {
    return std::find(names.begin(), names.end(), std::string_view(row.name)) != names.end();
}

}  // namespace

ArgSpec special_arg(const SyscallInfo& row, const uint64_t args[6]) {
    // pselect6's sigmask argument points to {sigset pointer, size}: only "none" (what
    // glibc's select passes) can travel for now.
    if (is_call(row, {"pselect6", "pselect6_time64"})) return args[5] == 0 ? ArgSpec{.kind = Arg::Value} : ArgSpec{};
    if (is_call(row, {"fcntl", "fcntl64"})) {
        uint32_t lock = arch::flock_size(row.nr, args[1]);   // flags, fds, owners: integers
        return lock ? ArgSpec{.kind = Arg::InOutFixed, .size = lock} : ArgSpec{.kind = Arg::Value};
    }
    if (row.nr == SYS_ioctl) {
        switch (args[1]) {
            case TCGETS: return {.kind = Arg::OutFixed, .size = kKernelTermios};
            case TCSETS: case TCSETSW: case TCSETSF: return {.kind = Arg::InFixed, .size = kKernelTermios};
            case TIOCGWINSZ: return {.kind = Arg::OutFixed, .size = 8};
            case TIOCSWINSZ: return {.kind = Arg::InFixed, .size = 8};
            case TIOCGPGRP: case FIONREAD: return {.kind = Arg::OutFixed, .size = 4};
            case TIOCSPGRP: return {.kind = Arg::InFixed, .size = 4};
            default: return {};
        }
    }
    return {};
}

namespace {

// readv/writev as one read/write of the pieces put end to end: the same bytes in the same
// order, and for a pipe a writev of up to PIPE_BUF bytes stays atomic.
// The pieces an iovec array names, read (for sending) or noted (for receiving into).
// Too many pieces is `too_many` (readv: EINVAL, sendmsg: EMSGSIZE), as the kernel says.
uint64_t gather_iov(uint64_t iov, uint64_t count, bool sending, const ProcessMemory& mem, ForwardedCall& call,
                    std::vector<uint8_t>& data, int too_many) {
    constexpr uint64_t kIovMax = 1024, kMaxBytes = 64ull << 20;
    if (count > kIovMax) throw std::system_error(too_many, std::generic_category());
    auto raw = count ? mem.read(iov, count * sizeof(iovec)) : std::vector<uint8_t>{};
    uint64_t total = 0;
    for (uint64_t k = 0; k < count; ++k) {
        iovec piece;   // the process's layout is ours
        std::memcpy(&piece, raw.data() + sizeof(iovec) * k, sizeof piece);
        uint64_t base = uintptr_t(piece.iov_base), len = piece.iov_len;
        if (len > kMaxBytes || total + len > kMaxBytes) throw std::system_error(EINVAL, std::generic_category());
        total += len;
        if (!len) continue;
        if (sending) {
            auto piece = mem.read(base, len);
            data.insert(data.end(), piece.begin(), piece.end());
        } else {
            call.iov.emplace_back(base, len);
        }
    }
    return total;
}

ForwardedCall gather_vectored(const SyscallInfo& row, const uint64_t args[6], const ProcessMemory& mem) {
    ForwardedCall call;
    bool writing = row.nr == SYS_writev;
    call.nr = writing ? SYS_write : SYS_read;
    call.args[0] = args[0];
    std::vector<uint8_t> data;
    call.args[2] = gather_iov(args[1], args[2], writing, mem, call, data, EINVAL);
    call.args[1] = 1;   // a non-null buffer; the deputy places it
    if (writing) call.in[1] = std::move(data);
    else call.out_size[1] = call.args[2];
    return call;
}

// sendmsg/recvmsg without control data travel as sendto/recvfrom of the pieces put end to
// end; recvmsg's name length is written back in place (recvfrom's addrlen points into the
// process's msghdr), its flags come back zero. With control data (passing fds,
// credentials) they cannot travel yet: the process makes them at home.
ForwardedCall gather_message(const SyscallInfo& row, const uint64_t args[6], const ProcessMemory& mem) {
    constexpr uint64_t kOffNameLen = offsetof(msghdr, msg_namelen), kOffFlags = offsetof(msghdr, msg_flags);
    auto raw = mem.read(args[1], sizeof(msghdr));
    msghdr m;   // the process's layout is ours
    std::memcpy(&m, raw.data(), sizeof m);
    uint64_t name = uintptr_t(m.msg_name), iov = uintptr_t(m.msg_iov), iovlen = m.msg_iovlen,
             control = uintptr_t(m.msg_control), controllen = m.msg_controllen;
    uint32_t namelen = m.msg_namelen;
    bool sending = row.nr == SYS_sendmsg;
    if (control && controllen)
        throw std::invalid_argument(fmt::format("{} with control data (fd passing) cannot be forwarded", row.name));
    ForwardedCall call;
    call.nr = sending ? SYS_sendto : SYS_recvfrom;
    call.args[0] = args[0];
    call.args[1] = 1;   // a non-null buffer; the deputy places it
    call.args[3] = args[2];
    std::vector<uint8_t> data;
    call.args[2] = gather_iov(iov, iovlen, sending, mem, call, data, EMSGSIZE);
    if (sending) {
        call.in[1] = std::move(data);
        if (name) {
            call.in[4] = mem.read(name, std::min<uint32_t>(namelen, 128));
            call.args[4] = 1;
            call.args[5] = call.in[4].size();
        }
        return call;
    }
    call.out_size[1] = call.args[2];
    if (name) {
        call.args[4] = name;
        call.out_size[4] = std::min<uint32_t>(namelen, 128);
        call.args[5] = args[1] + kOffNameLen;
        call.in[5] = mem.read(call.args[5], 4);
        call.out_size[5] = 4;
    }
    call.also_write.emplace_back(args[1] + kOffFlags, std::vector<uint8_t>(4, 0));
    return call;
}

// accept, getsockname, recvfrom, ...: an address buffer whose size the next argument (a
// value-result length) gives; no more than that may be written back into the process.
void clamp_address_out(const SyscallInfo& row, ForwardedCall& call) {
    for (int i = 0; i + 1 < 6; ++i) {
        const ArgSpec& a = row.args[size_t(i)];
        const ArgSpec& len = row.args[size_t(i) + 1];
        if (a.kind != Arg::OutFixed || len.kind != Arg::InOutFixed || len.size != 4) continue;
        auto at = call.in.find(i + 1);
        if (!call.out_size.count(i) || at == call.in.end() || at->second.size() != 4) continue;
        uint32_t room;
        std::memcpy(&room, at->second.data(), 4);
        call.out_size[i] = std::min<uint64_t>(call.out_size[i], room);
    }
}

// socketcall(call, args): the direct call it stands for, its arguments read from the
// process; it travels (and is executed at home) as that call.
ForwardedCall gather_socketcall(const uint64_t args[6], const ProcessMemory& mem) {
    auto target = arch::socketcall_target(args[0]);
    auto row = target ? find_syscall(target->nr) : std::nullopt;
    if (!row) throw std::invalid_argument(fmt::format("socketcall {} cannot be forwarded", args[0]));
    auto raw = mem.read(args[1], size_t(target->nargs) * sizeof(unsigned long));
    uint64_t direct[6] = {};
    for (int i = 0; i < target->nargs; ++i) {
        unsigned long word;
        std::memcpy(&word, raw.data() + size_t(i) * sizeof word, sizeof word);
        direct[i] = word;
    }
    return gather(*row, direct, mem);
}

}  // namespace

ForwardedCall gather(const SyscallInfo& row, const uint64_t args[6], const ProcessMemory& mem) {
    if (row.nr == arch::kSysSocketcall) return gather_socketcall(args, mem);
    if (row.nr == SYS_readv || row.nr == SYS_writev) return gather_vectored(row, args, mem);
    if (row.nr == SYS_sendmsg || row.nr == SYS_recvmsg) return gather_message(row, args, mem);
    ForwardedCall call;
    call.nr = row.nr;
    std::copy(args, args + 6, call.args);
    for (int i = 0; i < 6; ++i) {
        ArgSpec a = row.args[size_t(i)].kind == Arg::Special ? special_arg(row, args) : row.args[size_t(i)];
        if (row.args[size_t(i)].kind == Arg::Special && a.kind == Arg::None)
            throw std::invalid_argument(fmt::format("{} with request {:#x} cannot be forwarded", row.name, args[1]));
        uint64_t ptr = args[i];
        if (a.kind == Arg::None || a.kind == Arg::Value || ptr == 0) continue;
        uint64_t count = a.size_arg < 6 ? args[a.size_arg] : 0;
        switch (a.kind) {
            case Arg::Str: {
                std::string s = mem.read_string(ptr, PATH_MAX);
                call.in[i].assign(s.begin(), s.end());
                break;
            }
            case Arg::In: call.in[i] = mem.read(ptr, size_t(std::min<uint64_t>(count, 64 << 20))); break;
            case Arg::Out: call.out_size[i] = std::min<uint64_t>(count, 64 << 20); break;
            case Arg::InFixed: call.in[i] = mem.read(ptr, a.size); break;
            case Arg::OutFixed: call.out_size[i] = a.size; break;
            case Arg::InOutFixed:
                call.in[i] = mem.read(ptr, a.size);
                call.out_size[i] = a.size;
                break;
            case Arg::InArray: call.in[i] = mem.read(ptr, size_t(std::min<uint64_t>(count, 1 << 20) * a.size)); break;
            case Arg::InOutArray:
                call.in[i] = mem.read(ptr, size_t(std::min<uint64_t>(count, 1 << 20) * a.size));
                call.out_size[i] = call.in[i].size();
                break;
            case Arg::OutArray: call.out_size[i] = std::min<uint64_t>(count, 1 << 20) * a.size; break;
            default: break;
        }
    }
    clamp_address_out(row, call);
    return call;
}

void scatter(const ForwardedCall& call, const ForwardedResult& res, ProcessMemory& mem) {
    for (const auto& [i, bytes] : res.out) {
        if (i == 1 && !call.iov.empty()) {   // spread over the process's own pieces
            size_t at = 0;
            for (const auto& [base, len] : call.iov) {
                if (at >= bytes.size()) break;
                size_t n = std::min<size_t>(len, bytes.size() - at);
                mem.write(base, std::vector<uint8_t>(bytes.begin() + long(at), bytes.begin() + long(at + n)));
                at += n;
            }
        } else if (call.args[i]) {
            mem.write(call.args[i], bytes);
        }
    }
    if (res.ret >= 0)
        for (const auto& [addr, bytes] : call.also_write) mem.write(addr, bytes);
}

Deputy::Deputy(Tracee& husk) : husk_(husk), pidfd_(int(::syscall(SYS_pidfd_open, husk.pid(), 0))) {
    husk_.set_syscall_site(find_syscall_in_vdso(husk_));
}

// A pipe, socket or FIFO that is not ready would block us, the deputy, where a signal for
// the process could not reach the call: such calls go through the husk, which a signal
// interrupts the way it would interrupt the process.
bool Deputy::would_block(long nr, int fd, const ForwardedCall& call) {
    struct stat st {};
    if (::fstat(fd, &st) != 0 || S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) return false;
    bool reading = nr == SYS_read || nr == SYS_pread64, writing = nr == SYS_write || nr == SYS_pwrite64;
    if (!reading && !writing) return false;
    if (writing && call.in.count(1) && call.in.at(1).size() > 4096) return true;   // beyond PIPE_BUF
    pollfd p{fd, short(reading ? POLLIN : POLLOUT), 0};
    return ::poll(&p, 1, 0) != 1 || (p.revents & (reading ? POLLIN | POLLHUP : POLLOUT)) == 0;
}

int Deputy::fd_copy(int husk_fd) {
    auto it = fd_copies_.find(husk_fd);
    if (it != fd_copies_.end()) return it->second.get();
    omx::UniqueFd copy(pidfd_ ? int(::syscall(SYS_pidfd_getfd, pidfd_.get(), husk_fd, 0)) : -1);
    struct stat st {};
    // A terminal stays with the husk: job control (SIGTTIN/SIGTTOU) judges the caller's
    // process group, which must be the husk's, not ours.
    if (copy && (::fstat(copy.get(), &st) != 0 || S_ISCHR(st.st_mode))) copy.reset();
    if (!copy) {
        fd_copies_.emplace(husk_fd, omx::UniqueFd());
        return -1;
    }
    return fd_copies_.emplace(husk_fd, std::move(copy)).first->second.get();
}

void Deputy::forget_fds(const SyscallInfo& row, const ForwardedCall& call, long ret) {
    // Any call that may change what an fd number means at home.
    switch (row.nr) {
        case SYS_close: fd_copies_.erase(int(call.args[0])); break;
        case SYS_dup2: case SYS_dup3: fd_copies_.erase(int(call.args[1])); break;
        default:
            if (ret >= 0 && ret < (1 << 20)) fd_copies_.erase(int(ret));   // calls returning a new fd
            break;
    }
}

std::optional<ForwardedResult> Deputy::try_fast(const SyscallInfo& row, const ForwardedCall& call) {
    bool hot = row.nr == SYS_read || row.nr == SYS_write || row.nr == SYS_pread64 || row.nr == SYS_pwrite64 ||
               row.nr == SYS_lseek || row.nr == arch::kSysFstat;
    if (!hot || int(call.args[0]) < 0) return std::nullopt;
    int fd = fd_copy(int(call.args[0]));
    if (fd < 0 || would_block(row.nr, fd, call)) return std::nullopt;
    ForwardedResult res;
    std::vector<uint8_t> out;
    auto result = [&](long r) { return r < 0 ? -long(errno) : r; };
    switch (row.nr) {
        case SYS_read:
        case SYS_pread64: {
            out.resize(call.out_size.count(1) ? call.out_size.at(1) : 0);
            res.ret = result(row.nr == SYS_read ? ::read(fd, out.data(), out.size())
                                                : ::pread(fd, out.data(), out.size(), off_t(arch::file_pos(call.args, 3))));
            out.resize(size_t(std::max(res.ret, 0L)));
            if (call.args[1]) res.out[1] = std::move(out);
            break;
        }
        case SYS_write:
        case SYS_pwrite64: {
            static const std::vector<uint8_t> none;
            const auto& in = call.in.count(1) ? call.in.at(1) : none;
            res.ret = result(row.nr == SYS_write ? ::write(fd, in.data(), in.size())
                                                 : ::pwrite(fd, in.data(), in.size(), off_t(arch::file_pos(call.args, 3))));
            break;
        }
        case SYS_lseek: res.ret = result(::lseek(fd, off_t(long(call.args[1])), int(call.args[2]))); break;
        case arch::kSysFstat: {
            struct stat st {};
            res.ret = result(::fstat(fd, &st));
            if (res.ret == 0 && call.args[1]) res.out[1].assign(reinterpret_cast<uint8_t*>(&st), reinterpret_cast<uint8_t*>(&st) + sizeof st);
            break;
        }
    }
    ++fast_calls_;
    return res;
}

uint64_t Deputy::scratch(size_t bytes) {
    size_t want = std::max<size_t>(1 << 20, (bytes + 0xfff) & ~size_t(0xfff));
    if (want > scratch_size_) {
        if (scratch_) husk_.inject(SYS_munmap, scratch_, scratch_size_);
        scratch_ = address_result(husk_.inject_checked("mmap deputy scratch", arch::kSysMmap, 0, want,
                                                       PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, uint64_t(-1), 0));
        scratch_size_ = want;
    }
    return scratch_;
}

std::string Deputy::husk_proc(const char* file, omx::UniqueFd& cached) {
    if (!cached) cached.reset(::open(fmt::format("/proc/{}/{}", husk_.pid(), file).c_str(), O_RDONLY | O_CLOEXEC));
    char buf[4096];
    ssize_t n = cached ? ::pread(cached.get(), buf, sizeof buf, 0) : -1;
    return n > 0 ? std::string(buf, size_t(n)) : std::string();
}

std::optional<ForwardedResult> Deputy::try_identity(const SyscallInfo& row, const ForwardedCall& call) {
    auto self = [&](int i) { return call.args[i] == 0 || pid_t(call.args[i]) == husk_.pid(); };
    ForwardedResult res;
    switch (row.nr) {
        case SYS_getpid:
        case SYS_gettid: res.ret = husk_.pid(); return res;
        case SYS_getppid:
        case SYS_getpgrp:
        case SYS_getpgid:
        case SYS_getsid: {
            if ((row.nr == SYS_getpgid || row.nr == SYS_getsid) && !self(0)) return std::nullopt;
            std::string stat = husk_proc("stat", stat_fd_);
            auto close = stat.rfind(')');
            if (close == std::string::npos) return std::nullopt;
            std::istringstream f(stat.substr(close + 2));
            char state;
            long ppid, pgrp, sid;
            if (!(f >> state >> ppid >> pgrp >> sid)) return std::nullopt;
            res.ret = row.nr == SYS_getppid ? ppid : row.nr == SYS_getsid ? sid : pgrp;
            return res;
        }
        case arch::kSysGetuid:
        case arch::kSysGeteuid:
        case arch::kSysGetgid:
        case arch::kSysGetegid: {
            std::string status = husk_proc("status", status_fd_);
            bool uid = row.nr == arch::kSysGetuid || row.nr == arch::kSysGeteuid;
            auto at = status.find(uid ? "\nUid:" : "\nGid:");
            if (at == std::string::npos) return std::nullopt;
            std::istringstream f(status.substr(at + 5));
            long real, effective;
            if (!(f >> real >> effective)) return std::nullopt;
            res.ret = row.nr == arch::kSysGetuid || row.nr == arch::kSysGetgid ? real : effective;
            return res;
        }
        default: return std::nullopt;
    }
}

ForwardedResult Deputy::execute(const SyscallInfo& row, const ForwardedCall& call) {
    if (auto who = try_identity(row, call)) {
        ++fast_calls_;
        return *who;
    }
    if (auto fast = try_fast(row, call)) return *fast;
    ForwardedResult res = execute_in_husk(row, call);
    forget_fds(row, call, res.ret);
    return res;
}

ForwardedResult Deputy::execute_in_husk(const SyscallInfo& row, const ForwardedCall& call) {
    size_t total = 0;
    for (int i = 0; i < 6; ++i) {
        size_t in = call.in.count(i) ? call.in.at(i).size() : 0;
        size_t out = call.out_size.count(i) ? call.out_size.at(i) : 0;
        total += ((std::max(in, out) + 15) & ~size_t(15));
    }
    uint64_t base = scratch(total), at = base;
    uint64_t args[6];
    std::copy(call.args, call.args + 6, args);
    std::map<int, uint64_t> placed;
    for (int i = 0; i < 6; ++i) {
        size_t in = call.in.count(i) ? call.in.at(i).size() : 0;
        size_t out = call.out_size.count(i) ? call.out_size.at(i) : 0;
        if (!in && !out) continue;
        if (in) husk_.write_memory(at, call.in.at(i));
        args[i] = at;
        placed[i] = at;
        at += (std::max(in, out) + 15) & ~size_t(15);
    }
    ForwardedResult res;
    res.ret = husk_.inject(row.nr, args[0], args[1], args[2], args[3], args[4], args[5]);
    if (res.ret < 0 && res.ret > -4096) return res;
    for (const auto& [i, size] : call.out_size) {
        ArgSpec a = row.args[size_t(i)];
        // Variable-size outputs (read, getcwd...) hold as many bytes as the call returned.
        uint64_t n = a.kind == Arg::Out ? std::min<uint64_t>(uint64_t(std::max(res.ret, 0L)), size) : size;
        std::vector<uint8_t> bytes(n);
        if (n) husk_.read_memory(placed.at(i), bytes);
        res.out[i] = std::move(bytes);
    }
    return res;
}

void Deputy::release_body() {
    // The kernel writes into a registered rseq area on every return to user space: with
    // the memory gone that would be a SIGSEGV. The process keeps its rseq where it runs.
    RseqConfig rseq = husk_.rseq();
    if (rseq.address)
        husk_.inject_checked("rseq unregister", SYS_rseq, rseq.address, rseq.size, 1 /* RSEQ_FLAG_UNREGISTER */,
                             rseq.signature);
    husk_.set_signal_mask(0);
    for (const auto& m : read_maps(husk_.pid()))
        if (!m.kernel_special() && !(scratch_ && m.start == scratch_))
            husk_.inject(SYS_munmap, m.start, m.size());
}

uint64_t Deputy::default_action() {
    uint64_t dfl[4] = {0, 0, 0, 0};   // struct sigaction with SIG_DFL
    uint64_t at = scratch(sizeof dfl);
    husk_.write_memory(at, {reinterpret_cast<const uint8_t*>(dfl), sizeof dfl});
    return at;
}

std::vector<int> Deputy::pending_signals() {
    std::string status = husk_proc("status", status_fd_);
    if (omx::status_mask(status, "SigPnd:") | omx::status_mask(status, "ShdPnd:"))
        husk_.inject(SYS_getppid);   // returning from it, the husk meets its signals: we take them
    return husk_.take_signals();
}

bool Deputy::stop_husk(int sig) {
    if (sig != SIGSTOP && sig != SIGTSTP && sig != SIGTTIN && sig != SIGTTOU) return true;
    // The husk's own handler for it (from before it left) must not run: its memory is gone.
    // Its handlers are the image's again when it comes home.
    if (sig != SIGSTOP) husk_.inject(SYS_rt_sigaction, uint64_t(sig), default_action(), 0, 8);
    return husk_.stop_with(sig);
}

void Deputy::after_exec(const std::string& comm) {
    std::vector<int> cloexec;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(fmt::format("/proc/{}/fdinfo", husk_.pid()), ec)) {
        std::ifstream in(e.path());
        std::string key, flags;
        while (in >> key)
            if (key == "flags:" && in >> flags) break;
        char* end = nullptr;
        unsigned long f = std::strtoul(flags.c_str(), &end, 8);
        if (!flags.empty() && *end == '\0' && (f & O_CLOEXEC)) cloexec.push_back(std::atoi(e.path().filename().c_str()));
    }
    for (int fd : cloexec) {
        husk_.inject(SYS_close, uint64_t(fd));
        fd_copies_.erase(fd);
    }
    uint64_t caught = omx::status_mask(husk_proc("status", status_fd_), "SigCgt:");
    uint64_t dfl = default_action();
    for (int sig = 1; sig <= 64; ++sig)
        if (caught & (uint64_t(1) << (sig - 1))) husk_.inject(SYS_rt_sigaction, uint64_t(sig), dfl, 0, 8);
    std::string name = comm.substr(0, 15);
    std::vector<uint8_t> bytes(name.begin(), name.end());
    bytes.push_back(0);
    husk_.write_memory(dfl + 32, bytes);   // beside the sigaction, in the same scratch
    husk_.inject(SYS_prctl, PR_SET_NAME, dfl + 32);
}

bool Deputy::husk_alive() const {
    std::ifstream in(fmt::format("/proc/{}/stat", husk_.pid()));
    std::string line;
    if (husk_.pid() <= 0 || !std::getline(in, line)) return false;
    auto close = line.rfind(')');
    return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z' && line[close + 2] != 'X';
}

void Deputy::finish(int wait_status) {
    if (WIFEXITED(wait_status)) {
        try {
            husk_.inject(SYS_exit_group, uint64_t(WEXITSTATUS(wait_status)));
        } catch (const std::runtime_error&) {
            // It ended inside the call, as it should: its parent now reaps it.
        }
        return;
    }
    int sig = WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : SIGKILL;
    // Die of the same signal: default action, unblocked, sent to itself.
    husk_.inject(SYS_rt_sigaction, uint64_t(sig), default_action(), 0, 8);
    husk_.set_signal_mask(0);
    husk_.inject(SYS_kill, uint64_t(husk_.pid()), uint64_t(sig));
    husk_.detach();
}

}  // namespace omx::mig
