#include "local_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <random>

namespace omx::mfs {

namespace {

int neg_errno() { return -errno; }
Reply done(int rc) { return result_only(rc == 0 ? 0 : neg_errno()); }

// The file an O_PATH descriptor stands for, as a path the kernel follows to it (and only
// to it) from any thread: what reopens it, and what the calls without an *at form take.
std::string magic_path(int fd) { return fmt::format("/proc/self/fd/{}", fd); }

bool valid_name(const std::string& n) {
    return !n.empty() && n != "." && n != ".." && n.find('/') == std::string::npos;   // too long: the kernel says
}

std::string child_path(const std::string& dir, const std::string& name) { return (dir == "/" ? "" : dir) + "/" + name; }

// Half the open-file limit (the other half: open files, connections), for each client node.
size_t default_descriptors() {
    rlimit r{};
    if (::getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur == RLIM_INFINITY) return 4096;
    return std::max<size_t>(64, size_t(r.rlim_cur) / 2);
}

struct DirCloser {
    void operator()(DIR* d) const { ::closedir(d); }
};

}  // namespace

LocalFiles::LocalFiles(std::string mount, size_t max_descriptors)
    : mount_(std::move(mount)), max_descriptors_(max_descriptors ? max_descriptors : default_descriptors()) {
    // Numbers of an earlier server (before a restart) must not name our files: start ours
    // at a random place in the 64-bit space.
    std::random_device rd;
    next_inode_ = (uint64_t(rd()) << 32) | 1;
    next_handle_ = (uint64_t(rd()) << 32) | 1;
}

bool shown_type(uint32_t mode) { return S_ISREG(mode) || S_ISDIR(mode) || S_ISLNK(mode); }

size_t LocalFiles::open_handles() const {
    std::lock_guard lock(mu_);
    return handles_.size();
}

void LocalFiles::keep_descriptor(uint64_t id, Inode& n, SharedFd fd) {
    n.fd = std::move(fd);
    recent_.push_front(id);
    n.recent = recent_.begin();
    while (recent_.size() > max_descriptors_) {   // the least recently used let go of theirs
        Inode& old = inodes_.at(recent_.back());
        old.fd.reset();
        recent_.pop_back();
    }
}

int LocalFiles::target_dir(const Request& q, SharedFd& held) {
    std::string to_path;
    held = inode_fd(q.inode2, &to_path);
    if (!held) return -ESTALE;
    if (!valid_name(q.name2)) return -EINVAL;
    if (excluded(child_path(to_path, q.name2), mount_)) return -EPERM;
    return held->get();
}

LocalFiles::SharedFd LocalFiles::inode_fd(uint64_t id, std::string* path) {
    std::string name;
    {
        std::lock_guard lock(mu_);
        auto it = inodes_.find(id);
        if (it == inodes_.end()) return nullptr;
        if (path) *path = it->second.path;
        if (it->second.fd) {
            recent_.splice(recent_.begin(), recent_, it->second.recent);
            return it->second.fd;
        }
        name = it->second.path;
    }
    // Evicted: found again by its name, if that still leads to the same file.
    auto fd = std::make_shared<UniqueFd>(::open(name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    struct stat st {};
    if (!*fd || ::fstat(fd->get(), &st) != 0) return nullptr;
    std::lock_guard lock(mu_);
    auto it = inodes_.find(id);
    if (it == inodes_.end() || it->second.dev != st.st_dev || it->second.ino != st.st_ino) return nullptr;
    if (!it->second.fd) keep_descriptor(id, it->second, fd);
    return it->second.fd;
}

int LocalFiles::with_handle(uint64_t h) const {
    std::lock_guard lock(mu_);
    auto it = handles_.find(h);
    return it == handles_.end() ? -1 : it->second.get();
}

uint64_t LocalFiles::keep_open(UniqueFd fd) {
    std::lock_guard lock(mu_);
    uint64_t h = next_handle_++;
    handles_.emplace(h, std::move(fd));
    return h;
}

Reply LocalFiles::remember(UniqueFd fd, const std::string& path) {
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return result_only(neg_errno());
    if (!shown_type(st.st_mode)) return result_only(-ENOENT);
    Reply r;
    r.attr = Attr::from(st);
    std::lock_guard lock(mu_);
    auto [it, fresh] = by_file_.try_emplace({st.st_dev, st.st_ino}, 0);
    if (fresh) {
        it->second = next_inode_++;
        Inode& n = inodes_[it->second];
        n.path = path, n.dev = st.st_dev, n.ino = st.st_ino;
        keep_descriptor(it->second, n, std::make_shared<UniqueFd>(std::move(fd)));
    } else if (!inodes_[it->second].fd) {
        keep_descriptor(it->second, inodes_[it->second], std::make_shared<UniqueFd>(std::move(fd)));
    }
    ++inodes_[it->second].refs;
    r.inode = it->second;
    return r;
}

void LocalFiles::forget(uint64_t id, uint64_t n) {
    std::lock_guard lock(mu_);
    auto it = inodes_.find(id);
    if (it == inodes_.end()) return;
    if (it->second.refs > n) {
        it->second.refs -= n;
        return;
    }
    by_file_.erase({it->second.dev, it->second.ino});
    if (it->second.fd) recent_.erase(it->second.recent);
    inodes_.erase(it);
}

Reply LocalFiles::lookup(uint64_t dir, const std::string& name) {
    std::string dir_path;
    auto held = inode_fd(dir, &dir_path);
    if (!held) return result_only(-ESTALE);
    int d = held->get();
    if (name == "." || name == "..") return result_only(-EINVAL);   // the client never asks for them
    if (!valid_name(name)) return result_only(-ENOENT);
    std::string path = child_path(dir_path, name);
    if (excluded(path, mount_)) return result_only(-ENOENT);
    UniqueFd fd(::openat(d, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return result_only(neg_errno());
    return remember(std::move(fd), path);
}

Reply LocalFiles::serve(const Request& q) {
    if (q.op == Op::Forget) {   // bookkeeping: not an access of the user's
        forget(q.inode, q.offset);
        return result_only(0);
    }
    ActAs as(q.who);
    return serve_as_user(q);
}

Reply LocalFiles::open(const Request& q) {
    auto held = inode_fd(q.inode);
    if (!held) return result_only(-ESTALE);
    int f = held->get();
    // O_DIRECT is the client's business (oMFS never caches there); here the file is read
    // into buffers of any alignment. A FIFO cannot be reached (no inode of ours is one).
    // O_NOFOLLOW was the kernel's to apply (it did, at its end): here the name is a link
    // to the inode by construction.
    int flags = int(q.flags & ~uint32_t(O_CREAT | O_EXCL | O_NOCTTY | O_DIRECT | O_NOFOLLOW)) | O_CLOEXEC;
    UniqueFd fd(::open(magic_path(f).c_str(), flags));
    if (!fd) return result_only(neg_errno());
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return result_only(neg_errno());
    Reply r;
    r.attr = Attr::from(st);
    r.handle = keep_open(std::move(fd));
    return r;
}

Reply LocalFiles::create(const Request& q) {
    std::string dir_path;
    auto held = inode_fd(q.inode, &dir_path);
    if (!held) return result_only(-ESTALE);
    int d = held->get();
    if (!valid_name(q.name)) return result_only(-EINVAL);
    std::string path = child_path(dir_path, q.name);
    if (excluded(path, mount_)) return result_only(-EPERM);
    int flags = int(q.flags & ~uint32_t(O_NOCTTY | O_DIRECT)) | O_CREAT | O_NOFOLLOW | O_CLOEXEC;
    UniqueFd fd(::openat(d, q.name.c_str(), flags, mode_t(q.mode)));
    if (!fd) return result_only(neg_errno());
    UniqueFd node(::openat(d, q.name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!node) return result_only(neg_errno());
    Reply r = remember(std::move(node), path);
    if (r.result < 0) return r;
    r.handle = keep_open(std::move(fd));
    return r;
}

Reply LocalFiles::readdir(uint64_t dir) {
    std::string dir_path;
    auto held = inode_fd(dir, &dir_path);
    if (!held) return result_only(-ESTALE);
    int d = held->get();
    int fd = ::openat(d, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return result_only(neg_errno());
    std::unique_ptr<DIR, DirCloser> listing(::fdopendir(fd));
    if (!listing) {
        int e = errno;
        ::close(fd);
        return result_only(-e);
    }
    Reply r;
    while (dirent* e = ::readdir(listing.get())) {
        std::string name = e->d_name;
        if (name == "." || name == "..") continue;
        if (excluded(child_path(dir_path, name), mount_)) continue;
        uint32_t mode;
        switch (e->d_type) {
            case DT_REG: mode = S_IFREG; break;
            case DT_DIR: mode = S_IFDIR; break;
            case DT_LNK: mode = S_IFLNK; break;
            case DT_UNKNOWN: {
                struct stat st {};
                if (::fstatat(::dirfd(listing.get()), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
                mode = st.st_mode & S_IFMT;
                break;
            }
            default: continue;   // devices, FIFOs, sockets: not in oMFS
        }
        if (!shown_type(mode)) continue;
        r.entries.push_back({std::move(name), mode, e->d_ino});
    }
    return r;
}

Reply LocalFiles::setattr(const Request& q) {
    auto held = inode_fd(q.inode);
    if (!held) return result_only(-ESTALE);
    int f = held->get();
    struct stat st {};
    if (::fstat(f, &st) != 0) return result_only(neg_errno());
    const std::string path = magic_path(f);
    if (q.flags & kSetMode) {
        if (S_ISLNK(st.st_mode)) return result_only(-EOPNOTSUPP);   // Linux has no lchmod
        if (::chmod(path.c_str(), mode_t(q.mode)) != 0) return result_only(neg_errno());
    }
    if (q.flags & (kSetOwner | kSetGroup)) {
        uid_t u = (q.flags & kSetOwner) ? uid_t(q.owner) : uid_t(-1);
        gid_t g = (q.flags & kSetGroup) ? gid_t(q.group) : gid_t(-1);
        if (::fchownat(f, "", u, g, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0) return result_only(neg_errno());
    }
    if (q.flags & kSetSize) {
        int open_fd = q.handle ? with_handle(q.handle) : -1;
        if (open_fd >= 0) {
            if (::ftruncate(open_fd, off_t(q.offset)) != 0) return result_only(neg_errno());
        } else if (::truncate(path.c_str(), off_t(q.offset)) != 0) {
            return result_only(neg_errno());
        }
    }
    if (q.flags & (kSetAtime | kSetMtime)) {
        timespec ts[2] = {{time_t(q.times[0]), long(q.times[1])}, {time_t(q.times[2]), long(q.times[3])}};
        if (!(q.flags & kSetAtime)) ts[0].tv_nsec = UTIME_OMIT;
        if (!(q.flags & kSetMtime)) ts[1].tv_nsec = UTIME_OMIT;
        int rc = S_ISLNK(st.st_mode) ? ::utimensat(f, "", ts, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)
                                     : ::utimensat(AT_FDCWD, path.c_str(), ts, 0);
        if (rc != 0) return result_only(neg_errno());
    }
    Reply r;
    if (::fstat(f, &st) != 0) return result_only(neg_errno());
    r.attr = Attr::from(st);
    return r;
}

Reply LocalFiles::serve_as_user(const Request& q) {
    Reply r;
    switch (q.op) {
        // Open files.
        case Op::Read: {
            int fd = with_handle(q.handle);
            if (fd < 0) return result_only(-EBADF);
            size_t want = std::min<size_t>(q.size, kMaxIo);
            r.data.resize(want);   // (zeroing 1 MiB costs ~2% of sending it)
            size_t got = 0;
            while (got < want) {
                ssize_t n = ::pread(fd, r.data.data() + got, want - got, off_t(q.offset + got));
                if (n < 0 && errno == EINTR) continue;
                if (n < 0) return result_only(neg_errno());
                if (n == 0) break;
                got += size_t(n);
            }
            r.data.resize(got);
            r.result = int32_t(got);
            return r;
        }
        case Op::Write: {
            int fd = with_handle(q.handle);
            if (fd < 0) return result_only(-EBADF);
            const auto data = q.payload();
            size_t written = 0;
            while (written < data.size()) {
                ssize_t n = ::pwrite(fd, data.data() + written, data.size() - written, off_t(q.offset + written));
                if (n < 0 && errno == EINTR) continue;
                if (n < 0) return result_only(written ? int32_t(written) : neg_errno());
                written += size_t(n);
            }
            r.result = int32_t(written);
            return r;
        }
        case Op::Release: {
            std::lock_guard lock(mu_);
            return result_only(handles_.erase(q.handle) ? 0 : -EBADF);
        }
        case Op::Fsync: {
            int fd = with_handle(q.handle);
            if (fd < 0) return result_only(-EBADF);
            return done(q.flags ? ::fdatasync(fd) : ::fsync(fd));
        }
        case Op::Fgetattr: {
            int fd = with_handle(q.handle);
            if (fd < 0) return result_only(-EBADF);
            struct stat st {};
            if (::fstat(fd, &st) != 0) return result_only(neg_errno());
            r.attr = Attr::from(st);
            return r;
        }
        case Op::Root: {
            UniqueFd fd(::open("/", O_PATH | O_CLOEXEC));
            if (!fd) return result_only(neg_errno());
            return remember(std::move(fd), "/");
        }
        case Op::Lookup: return lookup(q.inode, q.name);
        case Op::Open: return open(q);
        case Op::Create: return create(q);
        case Op::Readdir: return readdir(q.inode);
        case Op::Setattr: return setattr(q);
        default: break;
    }
    // Calls on a known inode, or on a name in a known directory.
    std::string dir_path;
    auto held = inode_fd(q.inode, &dir_path);
    if (!held) return result_only(-ESTALE);
    int f = held->get();
    const bool named = q.op == Op::Mkdir || q.op == Op::Unlink || q.op == Op::Rmdir || q.op == Op::Symlink ||
                       q.op == Op::Rename;
    if (named && !valid_name(q.name)) return result_only(-EINVAL);
    if ((q.op == Op::Mkdir || q.op == Op::Symlink) && excluded(child_path(dir_path, q.name), mount_))
        return result_only(-EPERM);
    const char* name = q.name.c_str();
    auto made = [&](int rc) {   // a call that makes a name: its inode comes back
        if (rc != 0) return result_only(neg_errno());
        return lookup(q.inode, q.name);
    };
    switch (q.op) {
        case Op::Getattr: {
            struct stat st {};
            if (::fstat(f, &st) != 0) return result_only(neg_errno());
            r.attr = Attr::from(st);
            return r;
        }
        case Op::Readlink: {
            char buf[4096];
            ssize_t n = ::readlinkat(f, "", buf, sizeof buf);
            if (n < 0) return result_only(neg_errno());
            r.text.assign(buf, size_t(n));
            return r;
        }
        case Op::Mkdir: return made(::mkdirat(f, name, mode_t(q.mode)));
        case Op::Symlink: return made(::symlinkat(q.name2.c_str(), f, name));
        case Op::Unlink: return done(::unlinkat(f, name, 0));
        case Op::Rmdir: return done(::unlinkat(f, name, AT_REMOVEDIR));
        case Op::Statfs: {
            struct statvfs s {};
            if (::fstatvfs(f, &s) != 0) return result_only(neg_errno());
            r.fs = {s.f_bsize, s.f_frsize, s.f_blocks, s.f_bfree, s.f_bavail, s.f_files, s.f_ffree, s.f_namemax, s.f_fsid};
            return r;
        }
        case Op::Access: return done(::faccessat(AT_FDCWD, magic_path(f).c_str(), int(q.flags), AT_EACCESS));
        case Op::Rename: {
            SharedFd held_to;
            int to = target_dir(q, held_to);
            if (to < 0) return result_only(to);
            return done(::renameat2(f, name, to, q.name2.c_str(), q.flags));
        }
        case Op::Link: {   // inode `inode` gets the name name2 in directory inode2
            SharedFd held_to;
            int to = target_dir(q, held_to);
            if (to < 0) return result_only(to);
            // Through /proc/self/fd: linkat(AT_EMPTY_PATH) would need CAP_DAC_READ_SEARCH.
            if (::linkat(AT_FDCWD, magic_path(f).c_str(), to, q.name2.c_str(), AT_SYMLINK_FOLLOW) != 0)
                return result_only(neg_errno());
            return lookup(q.inode2, q.name2);
        }
        default: return result_only(-ENOSYS);
    }
}

}  // namespace omx::mfs
