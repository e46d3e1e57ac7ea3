#include "local_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "mfs_path.h"

namespace omx::mfs {

namespace {

int neg_errno() { return -errno; }

// The path as the request names it, or why not: ENOENT for what oMFS never shows.
int checked(const std::string& raw, std::string& clean, const std::string& mount) {
    auto c = clean_absolute(raw);
    if (!c) return -EINVAL;
    if (excluded(*c, mount)) return -ENOENT;
    clean = *c;
    return 0;
}

struct DirCloser {
    void operator()(DIR* d) const { ::closedir(d); }
};

}  // namespace

bool shown_type(uint32_t mode) { return S_ISREG(mode) || S_ISDIR(mode) || S_ISLNK(mode); }

size_t LocalFiles::open_handles() const {
    std::lock_guard lock(mu_);
    return handles_.size();
}

int LocalFiles::with_handle(uint64_t h) {
    std::lock_guard lock(mu_);
    auto it = handles_.find(h);
    return it == handles_.end() ? -1 : it->second.get();
}

Reply LocalFiles::serve(const Request& q) {
    ActAs as(q.who);
    return serve_as_user(q);
}

Reply LocalFiles::open(const Request& q, bool create) {
    Reply r;
    std::string path;
    if ((r.result = checked(q.path, path, mount_))) return r;
    int flags = int(q.flags) | O_NOFOLLOW | O_CLOEXEC;
    // O_DIRECT is the client's business (oMFS never caches there); here the file is read
    // into buffers of any alignment.
    flags &= ~(O_NOCTTY | O_DIRECT);
    if (create) flags |= O_CREAT;
    // A FIFO would block the server in open: non-blocking, then refused as special below.
    UniqueFd fd(::open(path.c_str(), flags | O_NONBLOCK, mode_t(q.mode)));
    if (!fd) return result_only(neg_errno());
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return result_only(neg_errno());
    if (!shown_type(st.st_mode)) return result_only(-ENOENT);
    if (!(q.flags & O_NONBLOCK)) ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
    r.attr = Attr::from(st);
    std::lock_guard lock(mu_);
    r.handle = next_handle_++;
    handles_.emplace(r.handle, std::move(fd));
    return r;
}

Reply LocalFiles::readdir(const std::string& path) {
    Reply r;
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return result_only(neg_errno());
    std::unique_ptr<DIR, DirCloser> dir(::fdopendir(fd));
    if (!dir) {
        int e = errno;
        ::close(fd);
        return result_only(-e);
    }
    errno = 0;
    while (dirent* d = ::readdir(dir.get())) {
        std::string name = d->d_name;
        if (name == "." || name == "..") continue;
        std::string full = (path == "/" ? "" : path) + "/" + name;
        if (excluded(full, mount_)) continue;
        uint32_t mode;
        switch (d->d_type) {
            case DT_REG: mode = S_IFREG; break;
            case DT_DIR: mode = S_IFDIR; break;
            case DT_LNK: mode = S_IFLNK; break;
            case DT_UNKNOWN: {
                struct stat st {};
                if (::fstatat(::dirfd(dir.get()), d->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
                mode = st.st_mode & S_IFMT;
                break;
            }
            default: continue;   // devices, FIFOs, sockets: not in oMFS
        }
        if (!shown_type(mode)) continue;
        r.entries.push_back({std::move(name), mode, d->d_ino});
    }
    return r;
}

Reply LocalFiles::serve_as_user(const Request& q) {
    Reply r;
    // Calls on an open file.
    switch (q.op) {
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
            size_t done = 0;
            while (done < q.data.size()) {
                ssize_t n = ::pwrite(fd, q.data.data() + done, q.data.size() - done, off_t(q.offset + done));
                if (n < 0 && errno == EINTR) continue;
                if (n < 0) return result_only(done ? int32_t(done) : neg_errno());
                done += size_t(n);
            }
            r.result = int32_t(done);
            return r;
        }
        case Op::Release: {
            std::lock_guard lock(mu_);
            return result_only(handles_.erase(q.handle) ? 0 : -EBADF);
        }
        case Op::Fsync: {
            int fd = with_handle(q.handle);
            if (fd < 0) return result_only(-EBADF);
            return result_only((q.flags ? ::fdatasync(fd) : ::fsync(fd)) == 0 ? 0 : neg_errno());
        }
        case Op::Ftruncate: {
            int fd = with_handle(q.handle);
            if (fd < 0) return result_only(-EBADF);
            return result_only(::ftruncate(fd, off_t(q.offset)) == 0 ? 0 : neg_errno());
        }
        case Op::Fgetattr: {
            int fd = with_handle(q.handle);
            if (fd < 0) return result_only(-EBADF);
            struct stat st {};
            if (::fstat(fd, &st) != 0) return result_only(neg_errno());
            r.attr = Attr::from(st);
            return r;
        }
        case Op::Open: return open(q, false);
        case Op::Create: return open(q, true);
        default: break;
    }
    // Calls on paths.
    std::string path, path2;
    if ((r.result = checked(q.path, path, mount_))) return r;
    const bool two_paths = q.op == Op::Rename || q.op == Op::Link;
    if (two_paths && (r.result = checked(q.path2, path2, mount_))) return r;
    auto done = [](int rc) { return result_only(rc == 0 ? 0 : neg_errno()); };
    switch (q.op) {
        case Op::Getattr: {
            struct stat st {};
            if (::lstat(path.c_str(), &st) != 0) return result_only(neg_errno());
            if (!shown_type(st.st_mode)) return result_only(-ENOENT);
            r.attr = Attr::from(st);
            return r;
        }
        case Op::Readdir: return readdir(path);
        case Op::Readlink: {
            char buf[4096];
            ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
            if (n < 0) return result_only(neg_errno());
            r.text.assign(buf, size_t(n));
            return r;
        }
        case Op::Mkdir: return done(::mkdir(path.c_str(), mode_t(q.mode)));
        case Op::Unlink: return done(::unlink(path.c_str()));
        case Op::Rmdir: return done(::rmdir(path.c_str()));
        case Op::Symlink: return done(::symlink(q.path2.c_str(), path.c_str()));
        case Op::Rename: return done(::renameat2(AT_FDCWD, path.c_str(), AT_FDCWD, path2.c_str(), q.flags));
        case Op::Link: return done(::link(path.c_str(), path2.c_str()));
        case Op::Chmod: return done(::fchmodat(AT_FDCWD, path.c_str(), mode_t(q.mode), 0));
        case Op::Chown: return done(::fchownat(AT_FDCWD, path.c_str(), uid_t(q.owner), gid_t(q.group), AT_SYMLINK_NOFOLLOW));
        case Op::Truncate: return done(::truncate(path.c_str(), off_t(q.offset)));
        case Op::Utimens: {
            timespec ts[2] = {{time_t(q.times[0]), long(q.times[1])}, {time_t(q.times[2]), long(q.times[3])}};
            return done(::utimensat(AT_FDCWD, path.c_str(), ts, AT_SYMLINK_NOFOLLOW));
        }
        case Op::Statfs: {
            struct statvfs s {};
            if (::statvfs(path.c_str(), &s) != 0) return result_only(neg_errno());
            r.fs = {s.f_bsize, s.f_frsize, s.f_blocks, s.f_bfree, s.f_bavail, s.f_files, s.f_ffree, s.f_namemax, s.f_fsid};
            return r;
        }
        case Op::Access: return done(::faccessat(AT_FDCWD, path.c_str(), int(q.flags), AT_EACCESS));
        default: return result_only(-ENOSYS);
    }
}

}  // namespace omx::mfs
