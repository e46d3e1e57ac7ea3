#include "dfsa.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/openat2.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "arch/arch.h"
#include "common/fd.h"
#include "mfs_path.h"
#include "remote_part.h"
#include "state_file.h"

namespace omx::mig {

namespace fs = std::filesystem;

namespace {

constexpr const char* kNativeCalls[] = {
    "read", "write", "pread64", "pwrite64", "readv", "writev", "preadv", "pwritev", "preadv2", "pwritev2",
    "lseek", "_llseek", "fstat", "fstat64", "newfstatat", "fstatat64", "statx", "getdents", "getdents64",
    "fsync", "fdatasync", "ftruncate", "ftruncate64", "fchmod", "fchown", "fchown32", "fadvise64",
    "fadvise64_64", "readahead", "fstatfs", "fstatfs64", "flock", "close",
};
constexpr int kNativeFcntl[] = {F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETLK, F_SETLK, F_SETLKW,
                                F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW};

int64_t as_dirfd(uint64_t arg) { return int64_t(int32_t(uint32_t(arg))); }

// Opens `path` without following any symbolic link on the way (a link may lead off this
// node's files: it is resolved at home, like oMFS resolves it). ELOOP: there was one.
UniqueFd open_no_links(const std::string& path, uint64_t flags, uint64_t mode) {
    open_how how{};
    how.flags = flags | O_CLOEXEC;
    how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
    how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    return UniqueFd(int(::syscall(SYS_openat2, AT_FDCWD, path.c_str(), &how, sizeof how)));
}

struct Parent {
    UniqueFd dir;
    std::string last;   // "." for the root
    int error = 0;      // -errno to answer; ELOOP: go home
};

Parent open_parent(const std::string& local) {
    Parent p;
    auto slash = local.rfind('/');
    std::string dir = slash == 0 ? "/" : local.substr(0, slash);
    p.last = local.substr(slash + 1);
    if (p.last.empty()) p.last = ".";
    p.dir = open_no_links(dir, O_PATH | O_DIRECTORY, 0);
    if (!p.dir) p.error = -errno;
    return p;
}

bool shown(mode_t m) { return S_ISREG(m) || S_ISDIR(m) || S_ISLNK(m); }

}  // namespace

std::span<const char* const> dfsa_native_calls() { return kNativeCalls; }
std::span<const int> dfsa_native_fcntl_commands() { return kNativeFcntl; }

std::optional<DfsaConfig> dfsa_config(const std::string& home_mfs) {
    auto here = omx::mfs::read_state();
    if (home_mfs.empty() || !here || !here->dfsa || here->mount != home_mfs || !here->self) return std::nullopt;
    return DfsaConfig{here->mount, here->self};
}

Dfsa::Dfsa(DfsaConfig cfg, pid_t process) : cfg_(std::move(cfg)), pid_(process) {
    // Our numbers must be below the process's own limit on open files.
    std::ifstream in(fmt::format("/proc/{}/limits", pid_));
    for (std::string line; std::getline(in, line);)
        if (line.rfind("Max open files", 0) == 0) {
            std::istringstream f(line.substr(14));
            std::string soft;
            f >> soft;
            room_ = soft == "unlimited" || std::strtoull(soft.c_str(), nullptr, 10) >= uint64_t(kDfsaEndFd);
        }
}

bool Dfsa::is_open(int fd) const {
    struct stat st {};
    return ::lstat(fmt::format("/proc/{}/fd/{}", pid_, fd).c_str(), &st) == 0;
}

int Dfsa::free_number(int at_least) const {
    for (int n = std::max(at_least, kDfsaFirstFd); n < kDfsaEndFd; ++n)
        if (!is_open(n)) return n;
    return -1;
}

std::optional<std::string> Dfsa::local_path(int64_t dirfd, const std::string& path) const {
    if (!path.empty() && path[0] == '/') return omx::mfs::direct_path(path, cfg_.mount, cfg_.self);
    // Relative to a directory opened directly: that directory's path here.
    if (path.empty() || !dfsa_number(uint64_t(dirfd)) || !is_open(int(dirfd))) return std::nullopt;
    std::error_code ec;
    auto base = fs::read_symlink(fmt::format("/proc/{}/fd/{}", pid_, dirfd), ec);
    if (ec) return std::nullopt;
    auto clean = omx::mfs::clean_absolute(base.string() + "/" + path);
    if (!clean || omx::mfs::excluded(*clean, cfg_.mount)) return std::nullopt;
    return clean;
}

bool Dfsa::install(int listener, uint64_t id, int local_fd, int number, bool cloexec) {
    seccomp_notif_addfd add{};
    add.id = id;
    add.flags = SECCOMP_ADDFD_FLAG_SETFD | SECCOMP_ADDFD_FLAG_SEND;   // installed and answered at once
    add.srcfd = uint32_t(local_fd);
    add.newfd = uint32_t(number);
    add.newfd_flags = cloexec ? O_CLOEXEC : 0;
    if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add) >= 0) return true;
    if (errno != EINVAL) return errno == ENOENT;   // ENOENT: interrupted; it makes the call again
    add.flags = SECCOMP_ADDFD_FLAG_SETFD;          // before Linux 5.14: install, then answer
    if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add) < 0) return errno == ENOENT;
    answer(listener, id, number);
    return true;
}

bool Dfsa::open_direct(int listener, const seccomp_notif& req, ProcessMemory& mem) {
    const auto* a = reinterpret_cast<const uint64_t*>(req.data.args);
    int64_t dirfd = AT_FDCWD;
    uint64_t path_arg, flags, mode;
    if (req.data.nr == SYS_openat) dirfd = as_dirfd(a[0]), path_arg = a[1], flags = a[2], mode = a[3];
#ifdef SYS_open
    else if (req.data.nr == SYS_open) path_arg = a[0], flags = a[1], mode = a[2];
#endif
#ifdef SYS_creat
    else if (req.data.nr == SYS_creat) path_arg = a[0], flags = O_CREAT | O_WRONLY | O_TRUNC, mode = a[1];
#endif
    else return false;
    if (!room_ || !path_arg) return false;
    std::string path = mem.read_string(path_arg, PATH_MAX);
    if (!path.empty() && path.back() == '\0') path.pop_back();
    auto local = local_path(dirfd, path);
    if (!local) return false;
    int number = free_number(kDfsaFirstFd);
    if (number < 0) return false;
    UniqueFd fd = open_no_links(*local, flags & ~uint64_t(O_CLOEXEC), mode);
    if (!fd) {
        if (errno == ELOOP || errno == EXDEV) return false;   // a link: home resolves it
        answer(listener, req.id, -errno);
        ++direct_;
        return true;
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !shown(st.st_mode)) return false;   // devices, FIFOs: not oMFS
    if (!install(listener, req.id, fd.get(), number, flags & O_CLOEXEC)) return false;
    ++direct_;
    return true;
}

// Path calls with no file descriptor in their result.
bool Dfsa::path_call(int listener, const seccomp_notif& req, ProcessMemory& mem) {
    const auto* a = reinterpret_cast<const uint64_t*>(req.data.args);
    const long nr = req.data.nr;
    int64_t dirfd = AT_FDCWD;
    int path_index = 0;
    switch (nr) {
#ifdef __x86_64__
        case SYS_stat: case SYS_lstat:
#endif
#ifdef SYS_access
        case SYS_access:
#endif
#ifdef SYS_readlink
        case SYS_readlink:
#endif
#ifdef SYS_mkdir
        case SYS_mkdir: case SYS_unlink: case SYS_rmdir: case SYS_chmod:
#endif
        case SYS_truncate:
            break;
#ifdef __x86_64__
        case SYS_newfstatat: case SYS_statx:
#endif
        case SYS_faccessat: case SYS_faccessat2: case SYS_readlinkat: case SYS_mkdirat: case SYS_unlinkat:
        case SYS_fchmodat:
            dirfd = as_dirfd(a[0]), path_index = 1;
            break;
        default: return false;
    }
    if (!a[path_index]) return false;
    std::string path = mem.read_string(a[path_index], PATH_MAX);
    if (!path.empty() && path.back() == '\0') path.pop_back();
    auto local = local_path(dirfd, path);
    if (!local) return false;
    Parent p = open_parent(*local);
    if (p.error == -ELOOP || p.error == -EXDEV) return false;
    long ret = 0;
    auto done = [&](long r) {
        answer(listener, req.id, r);
        ++direct_;
        return true;
    };
    if (p.error) return done(p.error);
    struct stat st {};
    bool exists = ::fstatat(p.dir.get(), p.last.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (exists && !shown(st.st_mode)) return false;   // home says what oMFS says of it
    // Calls that follow a final symbolic link leave that to home.
    bool follows = true;
#ifdef __x86_64__
    if (nr == SYS_lstat) follows = false;
    if (nr == SYS_newfstatat && (a[3] & AT_SYMLINK_NOFOLLOW)) follows = false;
    if (nr == SYS_statx && (a[2] & AT_SYMLINK_NOFOLLOW)) follows = false;
#endif
#ifdef SYS_readlink
    if (nr == SYS_readlink) follows = false;
#endif
#ifdef SYS_unlink
    if (nr == SYS_unlink || nr == SYS_rmdir || nr == SYS_mkdir) follows = false;
#endif
    if (nr == SYS_readlinkat || nr == SYS_unlinkat || nr == SYS_mkdirat) follows = false;
    if (exists && S_ISLNK(st.st_mode) && follows) return false;
    const int d = p.dir.get();
    const char* last = p.last.c_str();
    switch (nr) {
#ifdef __x86_64__
        case SYS_stat: case SYS_lstat: case SYS_newfstatat: {
            if (!exists) return done(-ENOENT);
            std::vector<uint8_t> out(sizeof st);
            std::memcpy(out.data(), &st, sizeof st);
            mem.write(nr == SYS_newfstatat ? a[2] : a[1], out);
            return done(0);
        }
        case SYS_statx: {
            struct statx sx {};
            if (::statx(d, last, int(a[2] | AT_SYMLINK_NOFOLLOW), unsigned(a[3]), &sx) != 0) return done(-errno);
            std::vector<uint8_t> out(sizeof sx);
            std::memcpy(out.data(), &sx, sizeof sx);
            mem.write(a[4], out);
            return done(0);
        }
#endif
#ifdef SYS_access
        case SYS_access: ret = ::faccessat(d, last, int(a[1]), 0); break;
#endif
        case SYS_faccessat: ret = ::faccessat(d, last, int(a[2]), 0); break;
        case SYS_faccessat2: ret = ::faccessat(d, last, int(a[2]), int(a[3] & AT_EACCESS)); break;
#ifdef SYS_readlink
        case SYS_readlink:
#endif
        case SYS_readlinkat: {
            uint64_t buf = nr == SYS_readlinkat ? a[2] : a[1], size = nr == SYS_readlinkat ? a[3] : a[2];
            if (int64_t(size) <= 0) return done(-EINVAL);
            std::vector<uint8_t> out(std::min<uint64_t>(size, PATH_MAX));
            ssize_t n = ::readlinkat(d, last, reinterpret_cast<char*>(out.data()), out.size());
            if (n < 0) return done(-errno);
            out.resize(size_t(n));
            mem.write(buf, out);
            return done(n);
        }
#ifdef SYS_mkdir
        case SYS_mkdir: ret = ::mkdirat(d, last, mode_t(a[1])); break;
        case SYS_unlink: ret = ::unlinkat(d, last, 0); break;
        case SYS_rmdir: ret = ::unlinkat(d, last, AT_REMOVEDIR); break;
        case SYS_chmod: ret = ::fchmodat(d, last, mode_t(a[1]), 0); break;
#endif
        case SYS_mkdirat: ret = ::mkdirat(d, last, mode_t(a[2])); break;
        case SYS_unlinkat: ret = ::unlinkat(d, last, int(a[2] & AT_REMOVEDIR)); break;
        case SYS_fchmodat: ret = ::fchmodat(d, last, mode_t(a[2]), 0); break;
        case SYS_truncate: {
            UniqueFd f(::openat(d, last, O_WRONLY | O_NOFOLLOW | O_CLOEXEC));
            ret = f ? ::ftruncate(f.get(), off_t(a[1])) : -1;
            break;
        }
        default: return false;
    }
    return done(ret == 0 ? 0 : -errno);
}

// dup, dup2, dup3 and fcntl(F_DUPFD*) of a direct file: the copy is a direct file too.
Dfsa::Action Dfsa::dup_direct(int listener, const seccomp_notif& req) {
    const auto* a = reinterpret_cast<const uint64_t*>(req.data.args);
    const long nr = req.data.nr;
    int target = -1;
    bool cloexec = false;
    if (nr == SYS_dup) target = free_number(kDfsaFirstFd);
#ifdef SYS_dup2
    else if (nr == SYS_dup2) target = int(a[1]);
#endif
    else if (nr == SYS_dup3) target = int(a[1]), cloexec = a[2] & O_CLOEXEC;
    else if (nr == arch::kSysFcntl && (a[1] == F_DUPFD || a[1] == F_DUPFD_CLOEXEC))
        target = free_number(int(a[2])), cloexec = a[1] == F_DUPFD_CLOEXEC;
    else return Action::NotMine;
    // A copy under a number of home's (dup2 onto stdout): only home can hold it, once the
    // direct files are open there too.
    if (target < kDfsaFirstFd || target >= kDfsaEndFd) return Action::NeedsHome;
    UniqueFd pidfd(int(::syscall(SYS_pidfd_open, pid_, 0)));
    UniqueFd ours(pidfd ? int(::syscall(SYS_pidfd_getfd, pidfd.get(), int(a[0]), 0)) : -1);
    if (!ours || !install(listener, req.id, ours.get(), target, cloexec)) return Action::NeedsHome;
    ++direct_;
    return Action::Done;
}

Dfsa::Action Dfsa::handle(int listener, const seccomp_notif& req, ProcessMemory& mem) {
    const auto* a = reinterpret_cast<const uint64_t*>(req.data.args);
    const long nr = req.data.nr;
    auto done = [](bool handled) { return handled ? Action::Done : Action::NotMine; };
    if (dfsa_number(a[0]) && is_open(int(a[0]))) {
        bool dup_call = nr == SYS_dup || nr == SYS_dup3 ||
#ifdef SYS_dup2
                        nr == SYS_dup2 ||
#endif
                        (nr == arch::kSysFcntl && (a[1] == F_DUPFD || a[1] == F_DUPFD_CLOEXEC));
        if (dup_call) return dup_direct(listener, req);
        if (nr == SYS_openat) return done(open_direct(listener, req, mem));
        if (nr == SYS_openat2) return Action::NeedsHome;
        continue_call(listener, req.id);   // anything else on a direct file runs on it
        ++direct_;
        return Action::Done;
    }
    // mmap of a direct file maps the file here.
    if (nr == arch::kSysMmap && !(a[3] & MAP_ANONYMOUS) && dfsa_number(a[4]) && is_open(int(a[4]))) {
        continue_call(listener, req.id);
        ++direct_;
        return Action::Done;
    }
    try {
        if (open_direct(listener, req, mem)) return Action::Done;
        return done(path_call(listener, req, mem));
    } catch (const std::exception&) {
        return Action::NotMine;   // the process's memory could not be read: home deals with it
    }
}

void Dfsa::hand_back(Home& home) {
    auto openat_row = find_syscall(SYS_openat), dup3_row = find_syscall(SYS_dup3), close_row = find_syscall(SYS_close),
         lseek_row = find_syscall(SYS_lseek);
    if (!openat_row || !dup3_row || !close_row || !lseek_row) return;
    for (int n = kDfsaFirstFd; n < kDfsaEndFd; ++n) {
        std::error_code ec;
        auto path = fs::read_symlink(fmt::format("/proc/{}/fd/{}", pid_, n), ec);
        if (ec) continue;
        uint64_t flags = 0, pos = 0;
        std::ifstream info(fmt::format("/proc/{}/fdinfo/{}", pid_, n));
        for (std::string key; info >> key;) {
            if (key == "pos:") info >> pos;
            else if (key == "flags:") info >> std::oct >> flags >> std::dec;
        }
        std::string at_home = cfg_.mount + "/" + std::to_string(cfg_.self) + path.string();
        ForwardedCall open;
        open.nr = SYS_openat;
        open.args[0] = uint64_t(int64_t(AT_FDCWD));
        open.args[2] = flags & ~uint64_t(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY | O_CLOEXEC);
        open.in[1].assign(at_home.begin(), at_home.end());
        open.in[1].push_back(0);
        open.args[1] = 1;   // a pointer: the deputy puts the path in the husk's scratch
        long k = home.execute(*openat_row, open).ret;
        if (k < 0) {
            std::cerr << fmt::format("omx-remote: DFSA file {} (fd {}) cannot be opened at home: {}\n", at_home, n,
                                     std::strerror(int(-k)));
            continue;
        }
        ForwardedCall dup;
        dup.nr = SYS_dup3;
        dup.args[0] = uint64_t(k), dup.args[1] = uint64_t(n), dup.args[2] = flags & O_CLOEXEC;
        home.execute(*dup3_row, dup);
        ForwardedCall close;
        close.nr = SYS_close;
        close.args[0] = uint64_t(k);
        home.execute(*close_row, close);
        ForwardedCall seek;
        seek.nr = SYS_lseek;
        seek.args[0] = uint64_t(n), seek.args[1] = pos, seek.args[2] = SEEK_SET;
        home.execute(*lseek_row, seek);
    }
}

}  // namespace omx::mig
