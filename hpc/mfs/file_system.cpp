#define FUSE_USE_VERSION 35
#include "file_system.h"

#include <fmt/format.h>
#include <fuse3/fuse.h>
#include <fuse3/fuse_lowlevel.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <iostream>
#include <set>

namespace omx::mfs {

FileSystem::FileSystem(ClusterView& view, const ClusterKey& key, FileSystemOptions opt)
    : view_(view), key_(key), opt_(std::move(opt)), own_(opt_.mount) {}

std::optional<FileSystem::Place> FileSystem::place(const std::string& path, pid_t caller, bool creating) {
    auto p = parse(path);
    if (!p) return std::nullopt;
    Place out;
    out.rest = p->rest;
    if (p->kind == MfsPath::Root) return out;
    if (p->kind == MfsPath::Node) {
        if (p->node != view_.self() && !view_.nodes().count(p->node)) return std::nullopt;
        out.node = p->node;
        return out;
    }
    if (p->magic != Magic::Magic && p->rest == "/") {
        out.link = p->magic;
        return out;
    }
    ProcessPlaces where = view_.places(caller);
    switch (p->magic) {
        case Magic::Here: out.node = where.here; break;
        case Magic::Home: out.node = where.home; break;
        case Magic::Lastexec: out.node = where.lastexec; break;
        case Magic::Selected: out.node = where.selected; break;
        case Magic::Magic: {
            out.node = where.here;
            if (!creating) {
                std::lock_guard lock(mu_);
                if (auto it = last_magic_.find(process_of(caller)); it != last_magic_.end()) out.node = it->second;
            }
            break;
        }
    }
    return out;
}

void FileSystem::created_magic(pid_t caller, uint16_t node) {
    std::lock_guard lock(mu_);
    if (last_magic_.size() > 65536) last_magic_.clear();   // pids of long-gone processes
    last_magic_[process_of(caller)] = node;
}

std::string FileSystem::link_target(Magic m, pid_t caller) {
    ProcessPlaces where = view_.places(caller);
    uint16_t node = m == Magic::Here ? where.here : m == Magic::Home ? where.home
                  : m == Magic::Lastexec ? where.lastexec : where.selected;
    return std::to_string(node);   // relative: /mfs/here -> /mfs/<node>
}

NodeClient& FileSystem::client(uint16_t node) {
    std::lock_guard lock(mu_);
    auto& c = clients_[node];
    if (!c)
        c = std::make_unique<NodeClient>(
            node, view_.self(), key_,
            [this, node] {
                auto a = view_.address(node);
                if (!a) {   // just up? ask omxd again before saying EIO
                    view_.refresh_soon();
                    a = view_.address(node);
                }
                return a;
            },
            opt_.client);
    return *c;
}

Reply FileSystem::call(uint16_t node, Request q) {
    if (node == view_.self()) {
        if (view_.nomfs()) return result_only(-EACCES);
        return own_.serve(q);
    }
    return client(node).call(q);
}

std::vector<Reply> FileSystem::call_many(uint16_t node, const std::vector<Request>& qs) {
    if (node != view_.self()) return client(node).call_many(qs);
    std::vector<Reply> out;
    for (const auto& q : qs) out.push_back(call(node, q));
    return out;
}

namespace {

// Big reads and writes travel as pieces of this size, several in flight at once.
constexpr size_t kPiece = 256 << 10;

FileSystem& fs() { return *static_cast<FileSystem*>(fuse_get_context()->private_data); }

FsCredentials caller_credentials() {
    auto* ctx = fuse_get_context();
    FsCredentials who{ctx->uid, ctx->gid, {}};
    gid_t groups[256];
    int n = fuse_getgroups(256, groups);
    if (n > 0) who.groups.assign(groups, groups + std::min(n, 256));
    return who;
}

pid_t caller_pid() { return fuse_get_context()->pid; }

struct OpenFile {
    uint16_t node;
    uint64_t handle;
};
OpenFile& open_file(fuse_file_info* fi) { return *reinterpret_cast<OpenFile*>(fi->fh); }

Request request(Op op, const std::string& rest) {
    Request q;
    q.op = op;
    q.who = caller_credentials();
    q.path = rest;
    return q;
}

const time_t g_mounted_at = ::time(nullptr);

void root_attr(struct stat* st) {
    *st = {};
    st->st_mode = S_IFDIR | 0755;
    st->st_nlink = 2;
    st->st_atime = st->st_mtime = st->st_ctime = g_mounted_at;
}

// A call on one path of one node: ENOENT for unknown names, EPERM for the mount's own
// names (the root, the magic links), else the node's answer.
template <typename Fill>
int on_node(const char* path, Op op, Fill fill, bool creating = false) {
    auto p = fs().place(path, caller_pid(), creating);
    if (!p) return -ENOENT;
    if (!p->node) return -EPERM;
    Request q = request(op, p->rest);
    fill(q);
    Reply r = fs().call(p->node, std::move(q));
    if (r.result >= 0 && creating && std::string_view(path).substr(0, 7) == "/magic/") fs().created_magic(caller_pid(), p->node);
    return r.result < 0 ? r.result : 0;
}

int mfs_getattr(const char* path, struct stat* st, fuse_file_info* fi) {
    if (fi) {
        auto& f = open_file(fi);
        Request q = request(Op::Fgetattr, "");
        q.handle = f.handle;
        Reply r = fs().call(f.node, q);
        if (r.result < 0) return r.result;
        r.attr.to(*st);
        return 0;
    }
    auto p = fs().place(path, caller_pid());
    if (!p) return -ENOENT;
    if (p->link) {
        root_attr(st);
        st->st_mode = S_IFLNK | 0777;
        st->st_nlink = 1;
        st->st_size = off_t(fs().link_target(*p->link, caller_pid()).size());
        return 0;
    }
    if (!p->node) {
        root_attr(st);
        return 0;
    }
    Reply r = fs().call(p->node, request(Op::Getattr, p->rest));
    if (r.result < 0) return r.result;
    r.attr.to(*st);
    return 0;
}

int mfs_readlink(const char* path, char* buf, size_t size) {
    auto p = fs().place(path, caller_pid());
    if (!p) return -ENOENT;
    std::string target;
    if (p->link) {
        target = fs().link_target(*p->link, caller_pid());
    } else {
        if (!p->node) return -EINVAL;
        Reply r = fs().call(p->node, request(Op::Readlink, p->rest));
        if (r.result < 0) return r.result;
        target = r.text;
    }
    if (size == 0) return -EINVAL;
    size_t n = std::min(size - 1, target.size());
    std::memcpy(buf, target.data(), n);
    buf[n] = 0;
    return 0;
}

int mfs_readdir(const char* path, void* buf, fuse_fill_dir_t fill, off_t, fuse_file_info*, fuse_readdir_flags) {
    auto p = fs().place(path, caller_pid());
    if (!p || p->link) return -ENOENT;
    struct stat st {};
    auto add = [&](const std::string& name, uint32_t mode) {
        st.st_mode = mode;
        fill(buf, name.c_str(), &st, 0, fuse_fill_dir_flags(0));
    };
    add(".", S_IFDIR);
    add("..", S_IFDIR);
    if (!p->node) {
        std::set<uint16_t> ids{fs().view().self()};
        for (const auto& [id, info] : fs().view().nodes()) ids.insert(id);
        for (uint16_t id : ids)
            if (id) add(std::to_string(id), S_IFDIR);
        for (Magic m : {Magic::Here, Magic::Home, Magic::Lastexec, Magic::Selected}) add(magic_name(m), S_IFLNK);
        add(magic_name(Magic::Magic), S_IFDIR);
        return 0;
    }
    Reply r = fs().call(p->node, request(Op::Readdir, p->rest));
    if (r.result < 0) return r.result;
    for (const auto& e : r.entries) add(e.name, e.mode);
    return 0;
}

int open_or_create(const char* path, fuse_file_info* fi, bool create, mode_t mode) {
    auto p = fs().place(path, caller_pid(), create);
    if (!p) return -ENOENT;
    if (!p->node) return create ? -EPERM : -EISDIR;
    Request q = request(create ? Op::Create : Op::Open, p->rest);
    q.flags = uint32_t(fi->flags);
    q.mode = mode;
    Reply r = fs().call(p->node, q);
    if (r.result < 0) return r.result;
    if (create && std::string_view(path).substr(0, 7) == "/magic/") fs().created_magic(caller_pid(), p->node);
    fi->fh = reinterpret_cast<uint64_t>(new OpenFile{p->node, r.handle});
    fi->direct_io = 1;   // no page cache: every read sees the file as it is now
    fi->keep_cache = 0;
    return 0;
}

int mfs_open(const char* path, fuse_file_info* fi) { return open_or_create(path, fi, false, 0); }
int mfs_create(const char* path, mode_t mode, fuse_file_info* fi) { return open_or_create(path, fi, true, mode); }

int mfs_read(const char*, char* buf, size_t size, off_t off, fuse_file_info* fi) {
    auto& f = open_file(fi);
    std::vector<Request> pieces;
    for (size_t at = 0; at < size; at += kPiece) {
        Request q = request(Op::Read, "");
        q.handle = f.handle;
        q.offset = uint64_t(off) + at;
        q.size = uint32_t(std::min(size - at, kPiece));
        pieces.push_back(std::move(q));
    }
    auto replies = fs().call_many(f.node, pieces);
    size_t done = 0;
    for (size_t i = 0; i < replies.size(); ++i) {
        const Reply& r = replies[i];
        if (r.result < 0) return done ? int(done) : r.result;
        std::memcpy(buf + done, r.data.data(), r.data.size());
        done += r.data.size();
        if (r.data.size() < pieces[i].size) break;   // end of file
    }
    return int(done);
}

int mfs_write(const char*, const char* buf, size_t size, off_t off, fuse_file_info* fi) {
    auto& f = open_file(fi);
    std::vector<Request> pieces;
    for (size_t at = 0; at < size; at += kPiece) {
        Request q = request(Op::Write, "");
        q.handle = f.handle;
        q.offset = uint64_t(off) + at;
        q.data.assign(buf + at, buf + at + std::min(size - at, kPiece));
        pieces.push_back(std::move(q));
    }
    auto replies = fs().call_many(f.node, pieces);
    size_t done = 0;
    for (size_t i = 0; i < replies.size(); ++i) {
        if (replies[i].result < 0) return done ? int(done) : replies[i].result;
        done += size_t(replies[i].result);
        if (size_t(replies[i].result) < pieces[i].data.size()) break;
    }
    return int(done);
}

int mfs_release(const char*, fuse_file_info* fi) {
    std::unique_ptr<OpenFile> f(&open_file(fi));
    Request q = request(Op::Release, "");
    q.handle = f->handle;
    fs().call(f->node, std::move(q));
    return 0;
}

int mfs_fsync(const char*, int datasync, fuse_file_info* fi) {
    auto& f = open_file(fi);
    Request q = request(Op::Fsync, "");
    q.handle = f.handle;
    q.flags = uint32_t(datasync);
    return fs().call(f.node, std::move(q)).result;
}

int mfs_truncate(const char* path, off_t size, fuse_file_info* fi) {
    if (fi) {
        auto& f = open_file(fi);
        Request q = request(Op::Ftruncate, "");
        q.handle = f.handle;
        q.offset = uint64_t(size);
        return fs().call(f.node, std::move(q)).result;
    }
    return on_node(path, Op::Truncate, [&](Request& q) { q.offset = uint64_t(size); });
}

int mfs_mkdir(const char* path, mode_t mode) {
    return on_node(path, Op::Mkdir, [&](Request& q) { q.mode = mode; }, true);
}
int mfs_unlink(const char* path) { return on_node(path, Op::Unlink, [](Request&) {}); }
int mfs_rmdir(const char* path) { return on_node(path, Op::Rmdir, [](Request&) {}); }
int mfs_symlink(const char* target, const char* path) {
    return on_node(path, Op::Symlink, [&](Request& q) { q.path2 = target; }, true);
}
int mfs_chmod(const char* path, mode_t mode, fuse_file_info*) {
    return on_node(path, Op::Chmod, [&](Request& q) { q.mode = mode; });
}
int mfs_chown(const char* path, uid_t uid, gid_t gid, fuse_file_info*) {
    return on_node(path, Op::Chown, [&](Request& q) { q.owner = uid, q.group = gid; });
}
int mfs_utimens(const char* path, const timespec ts[2], fuse_file_info*) {
    return on_node(path, Op::Utimens, [&](Request& q) {
        q.times[0] = ts[0].tv_sec, q.times[1] = ts[0].tv_nsec, q.times[2] = ts[1].tv_sec, q.times[3] = ts[1].tv_nsec;
    });
}
int mfs_access(const char* path, int mask) {
    auto p = fs().place(path, caller_pid());
    if (!p) return -ENOENT;
    if (!p->node) return (mask & W_OK) ? -EACCES : 0;
    return on_node(path, Op::Access, [&](Request& q) { q.flags = uint32_t(mask); });
}

// rename and link stay on one node: across nodes it is a copy (EXDEV, as between mounts).
int two_paths(const char* from, const char* to, Op op, unsigned flags) {
    auto a = fs().place(from, caller_pid());
    auto b = fs().place(to, caller_pid(), true);
    if (!a || !b) return -ENOENT;
    if (!a->node || !b->node) return -EPERM;
    if (a->node != b->node) return -EXDEV;
    Request q = request(op, a->rest);
    q.path2 = b->rest;
    q.flags = flags;
    return fs().call(a->node, std::move(q)).result;
}
int mfs_rename(const char* from, const char* to, unsigned flags) { return two_paths(from, to, Op::Rename, flags); }
int mfs_link(const char* from, const char* to) { return two_paths(from, to, Op::Link, 0); }

// df: a node's own figures under its directory; for the whole mount, every up node's
// file system counted once (nodes that share one, as namespaces on one host do, count once).
int mfs_statfs(const char* path, struct statvfs* out) {
    auto p = fs().place(path, caller_pid());
    if (!p) return -ENOENT;
    std::vector<uint16_t> nodes;
    if (p->node) {
        nodes.push_back(p->node);
    } else {
        nodes.push_back(fs().view().self());
        for (const auto& [id, info] : fs().view().nodes())
            if (info.up && id != fs().view().self()) nodes.push_back(id);
    }
    *out = {};
    std::set<uint64_t> seen;
    bool any = false;
    for (uint16_t node : nodes) {
        Reply r = fs().call(node, request(Op::Statfs, p->node ? p->rest : "/"));
        if (r.result < 0) {
            if (p->node) return r.result;
            continue;
        }
        if (!seen.insert(r.fs.fsid).second) continue;
        const double scale = any && out->f_frsize ? double(r.fs.frsize) / double(out->f_frsize) : 1.0;
        if (!any) {
            out->f_bsize = r.fs.bsize, out->f_frsize = r.fs.frsize, out->f_namemax = r.fs.namemax;
            any = true;
        }
        out->f_blocks += fsblkcnt_t(double(r.fs.blocks) * scale);
        out->f_bfree += fsblkcnt_t(double(r.fs.bfree) * scale);
        out->f_bavail += fsblkcnt_t(double(r.fs.bavail) * scale);
        out->f_files += r.fs.files;
        out->f_ffree += r.fs.ffree;
    }
    return any ? 0 : -EIO;
}

void* mfs_init(fuse_conn_info* conn, fuse_config* cfg) {
    cfg->direct_io = 1;
    cfg->kernel_cache = 0;
    cfg->attr_timeout = 0;
    cfg->entry_timeout = 0;
    cfg->negative_timeout = 0;
    cfg->hard_remove = 1;   // the server holds open files: unlink them for real
    cfg->use_ino = 0;       // node-local inode numbers collide across nodes (find sees loops)
    conn->max_write = kMaxIo;
    conn->max_read = kMaxIo;   // as the max_read mount option says
    conn->want &= ~unsigned(FUSE_CAP_ASYNC_READ);
    return fuse_get_context()->private_data;
}

fuse_operations operations() {
    fuse_operations ops{};
    ops.init = mfs_init;
    ops.getattr = mfs_getattr;
    ops.readlink = mfs_readlink;
    ops.readdir = mfs_readdir;
    ops.open = mfs_open;
    ops.create = mfs_create;
    ops.read = mfs_read;
    ops.write = mfs_write;
    ops.release = mfs_release;
    ops.fsync = mfs_fsync;
    ops.truncate = mfs_truncate;
    ops.mkdir = mfs_mkdir;
    ops.unlink = mfs_unlink;
    ops.rmdir = mfs_rmdir;
    ops.symlink = mfs_symlink;
    ops.rename = mfs_rename;
    ops.link = mfs_link;
    ops.chmod = mfs_chmod;
    ops.chown = mfs_chown;
    ops.utimens = mfs_utimens;
    ops.access = mfs_access;
    ops.statfs = mfs_statfs;
    return ops;
}

}  // namespace

int serve_mount(FileSystem& fs, const std::string& fsname, const std::function<void()>& ready) {
    std::string options = fmt::format("allow_other,fsname={},subtype=mfs,max_read={}", fsname, kMaxIo);
    std::vector<std::string> argv = {"omx-mfs", "-o", options};
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    fuse_args args = FUSE_ARGS_INIT(int(cargv.size()), cargv.data());
    fuse_operations ops = operations();
    fuse* f = fuse_new(&args, &ops, sizeof ops, &fs);
    if (!f) {
        std::cerr << "omx-mfs: cannot set up the file system\n";
        return 1;
    }
    if (fuse_mount(f, fs.options().mount.c_str()) != 0) {
        std::cerr << fmt::format("omx-mfs: cannot mount {}\n", fs.options().mount);
        fuse_destroy(f);
        return 1;
    }
    fuse_set_signal_handlers(fuse_get_session(f));
    ready();
    fuse_loop_config config{};
    config.clone_fd = 0;
    config.max_idle_threads = 16;
    int rc = fuse_loop_mt(f, &config);
    fuse_remove_signal_handlers(fuse_get_session(f));
    fuse_unmount(f);
    fuse_destroy(f);
    return rc == 0 ? 0 : 1;
}

}  // namespace omx::mfs
