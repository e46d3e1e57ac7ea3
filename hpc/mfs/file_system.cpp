#define FUSE_USE_VERSION 35
#include "file_system.h"

#include <fmt/format.h>
#include <fuse3/fuse_lowlevel.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <iostream>
#include <set>

namespace omx::mfs {

FileSystem::FileSystem(ClusterView& view, const ClusterKey& key, FileSystemOptions opt)
    : view_(view), key_(key), opt_(std::move(opt)), own_(opt_.mount) {}

std::optional<FileSystem::Remote> FileSystem::remote(uint64_t ino) {
    std::lock_guard lock(mu_);
    auto it = inodes_.find(ino);
    if (it == inodes_.end()) return std::nullopt;
    return it->second.first;
}

uint64_t FileSystem::learn(uint16_t node, uint64_t server_inode) {
    std::lock_guard lock(mu_);
    auto [it, fresh] = by_remote_.try_emplace({node, server_inode}, 0);
    if (fresh) {
        it->second = next_ino_++;
        inodes_[it->second] = {Remote{node, server_inode}, 0};
    }
    ++inodes_[it->second].second;
    return it->second;
}

void FileSystem::forget(uint64_t ino, uint64_t n) {
    Remote r;
    {
        std::lock_guard lock(mu_);
        auto it = inodes_.find(ino);
        if (it == inodes_.end()) return;
        r = it->second.first;
        n = std::min(n, it->second.second);
        it->second.second -= n;
        if (it->second.second == 0) {
            by_remote_.erase({r.node, r.inode});
            inodes_.erase(it);
        }
    }
    Request q;
    q.op = Op::Forget;
    q.inode = r.inode;
    q.offset = n;
    call(r.node, q);   // a dead node forgets everything anyway
}

std::optional<uint64_t> FileSystem::root_of(uint16_t node, const FsCredentials& who) {
    {
        std::lock_guard lock(mu_);
        if (auto it = roots_.find(node); it != roots_.end()) return it->second;
    }
    if (node != view_.self() && !view_.nodes().count(node)) return std::nullopt;
    Request q;
    q.op = Op::Root;
    q.who = who;
    Reply r = call(node, q);
    if (r.result < 0) return std::nullopt;
    std::lock_guard lock(mu_);
    return roots_.try_emplace(node, r.inode).first->second;
}

void FileSystem::root_lost(uint16_t node) {
    std::lock_guard lock(mu_);
    roots_.erase(node);
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

Reply FileSystem::call(uint16_t node, const Request& q) {
    if (node == view_.self()) {
        if (view_.nomfs() && q.op != Op::Forget) return result_only(-EACCES);
        return own_.serve(q);
    }
    return client(node).call(q);
}

std::vector<Reply> FileSystem::call_many(uint16_t node, const std::vector<Request>& qs, bool spread) {
    if (node != view_.self()) return client(node).call_many(qs, spread);
    std::vector<Reply> out;
    for (const auto& q : qs) out.push_back(call(node, q));
    return out;
}

uint16_t FileSystem::magic_node(pid_t caller, bool creating) {
    uint16_t here = view_.places(caller).here;
    if (creating) return here;
    std::lock_guard lock(mu_);
    auto it = last_magic_.find(process_of(caller));
    return it == last_magic_.end() ? here : it->second;
}

void FileSystem::created_magic(pid_t caller, uint16_t node) {
    std::lock_guard lock(mu_);
    if (last_magic_.size() > 65536) last_magic_.clear();   // pids of long-gone processes
    last_magic_[process_of(caller)] = node;
}

uint16_t FileSystem::link_node(uint64_t link_ino, pid_t caller) {
    ProcessPlaces where = view_.places(caller);
    switch (link_ino) {
        case kHere: return where.here;
        case kHome: return where.home;
        case kLastexec: return where.lastexec;
        default: return where.selected;
    }
}

namespace {

// Big reads and writes travel as pieces of this size, several in flight at once.
constexpr size_t kPiece = 256 << 10;
const time_t g_mounted_at = ::time(nullptr);

FileSystem& fs_of(fuse_req_t req) { return *static_cast<FileSystem*>(fuse_req_userdata(req)); }

FsCredentials who(fuse_req_t req) {
    const fuse_ctx* ctx = fuse_req_ctx(req);
    FsCredentials c{ctx->uid, ctx->gid, {}};
    gid_t groups[256];
    int n = fuse_req_getgroups(req, 256, groups);
    if (n > 0) c.groups.assign(groups, groups + std::min(n, 256));
    return c;
}

pid_t caller(fuse_req_t req) { return fuse_req_ctx(req)->pid; }

Request request(fuse_req_t req, Op op) {
    Request q;
    q.op = op;
    q.who = who(req);
    return q;
}

bool is_magic_link(uint64_t ino) { return ino >= FileSystem::kHere && ino <= FileSystem::kSelected; }

struct stat synthetic(uint64_t ino, mode_t mode, off_t size = 0) {
    struct stat st {};
    st.st_ino = ino;
    st.st_mode = mode;
    st.st_nlink = S_ISDIR(mode) ? 2 : 1;
    st.st_size = size;
    st.st_atime = st.st_mtime = st.st_ctime = g_mounted_at;
    return st;
}

struct stat link_attr(FileSystem& fs, uint64_t ino, pid_t pid) {
    return synthetic(ino, S_IFLNK | 0777, off_t(std::to_string(fs.link_node(ino, pid)).size()));
}

// A directory a call names something in: a node's directory or one of its subdirectories,
// or the magic directory (the node the caller's call goes to there).
struct Dir {
    uint16_t node = 0;
    uint64_t inode = 0;
    int error = 0;
};

Dir dir_of(fuse_req_t req, uint64_t parent, bool creating) {
    FileSystem& fs = fs_of(req);
    if (parent == FileSystem::kMagicDir) {
        uint16_t node = fs.magic_node(caller(req), creating);
        auto root = fs.root_of(node, who(req));
        if (!root) return {0, 0, -EIO};
        return {node, *root, 0};
    }
    if (parent < FileSystem::kFirstDynamic) return {0, 0, -EPERM};   // the mount's own names
    auto r = fs.remote(parent);
    if (!r) return {0, 0, -ESTALE};
    return {r->node, r->inode, 0};
}

void reply_entry(fuse_req_t req, uint64_t ino, struct stat st) {
    fuse_entry_param e{};
    e.ino = ino;
    st.st_ino = ino;
    e.attr = st;
    e.attr_timeout = 0;
    e.entry_timeout = 0;
    fuse_reply_entry(req, &e);
}

// A reply naming a server inode the kernel now learns (lookup, mkdir, symlink, link).
void reply_learned(fuse_req_t req, uint16_t node, const Reply& r) {
    if (r.result < 0) {
        fuse_reply_err(req, -r.result);
        return;
    }
    struct stat st {};
    r.attr.to(st);
    reply_entry(req, fs_of(req).learn(node, r.inode), st);
}

void stale_root(fuse_req_t req, const Dir& d, const Reply& r) {
    if (r.result == -ESTALE) fs_of(req).root_lost(d.node);   // that node's server restarted
}

void mfs_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
    FileSystem& fs = fs_of(req);
    const std::string n = name;
    if (parent == FileSystem::kRoot) {
        if (auto m = parse_magic(n)) {
            uint64_t ino = *m == Magic::Here ? FileSystem::kHere : *m == Magic::Home ? FileSystem::kHome
                         : *m == Magic::Lastexec ? FileSystem::kLastexec : *m == Magic::Selected ? FileSystem::kSelected
                         : FileSystem::kMagicDir;
            reply_entry(req, ino, ino == FileSystem::kMagicDir ? synthetic(ino, S_IFDIR | 0755)
                                                               : link_attr(fs, ino, caller(req)));
            return;
        }
        auto id = parse_node_id(n);
        if (!id || (*id != fs.view().self() && !fs.view().nodes().count(*id))) {
            fuse_reply_err(req, ENOENT);
            return;
        }
        Request q = request(req, Op::Root);
        Reply r = fs.call(*id, q);
        reply_learned(req, *id, r);
        return;
    }
    Dir d = dir_of(req, parent, false);
    if (d.error) {
        fuse_reply_err(req, -d.error);
        return;
    }
    Request q = request(req, Op::Lookup);
    q.inode = d.inode;
    q.name = n;
    Reply r = fs.call(d.node, q);
    stale_root(req, d, r);
    reply_learned(req, d.node, r);
}

void mfs_forget(fuse_req_t req, fuse_ino_t ino, uint64_t n) {
    fs_of(req).forget(ino, n);
    fuse_reply_none(req);
}

void mfs_forget_multi(fuse_req_t req, size_t count, fuse_forget_data* list) {
    for (size_t i = 0; i < count; ++i) fs_of(req).forget(list[i].ino, list[i].nlookup);
    fuse_reply_none(req);
}

struct OpenFile {
    uint16_t node;
    uint64_t handle;
    bool append;   // its writes land in the order they are made: never spread
};
OpenFile& open_file(fuse_file_info* fi) { return *reinterpret_cast<OpenFile*>(fi->fh); }

// A request about inode `ino` of a node, or false (and the error replied) when `ino` is
// one of the mount's own names (`own_error`) or no longer known (ESTALE).
bool about_inode(fuse_req_t req, fuse_ino_t ino, Op op, int own_error, uint16_t& node, Request& q) {
    auto r = fs_of(req).remote(ino);
    if (!r) {
        fuse_reply_err(req, ino < FileSystem::kFirstDynamic ? own_error : ESTALE);
        return false;
    }
    node = r->node;
    q = request(req, op);
    q.inode = r->inode;
    return true;
}

void reply_attr(fuse_req_t req, uint64_t ino, const Reply& r) {
    if (r.result < 0) {
        fuse_reply_err(req, -r.result);
        return;
    }
    struct stat st {};
    r.attr.to(st);
    st.st_ino = ino;
    fuse_reply_attr(req, &st, 0);
}

void mfs_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    FileSystem& fs = fs_of(req);
    if (ino == FileSystem::kRoot || ino == FileSystem::kMagicDir) {
        struct stat st = synthetic(ino, S_IFDIR | 0755);
        fuse_reply_attr(req, &st, 0);
        return;
    }
    if (is_magic_link(ino)) {
        struct stat st = link_attr(fs, ino, caller(req));
        fuse_reply_attr(req, &st, 0);
        return;
    }
    if (fi) {   // the open file itself, whatever its name is now
        auto& f = open_file(fi);
        Request q = request(req, Op::Fgetattr);
        q.handle = f.handle;
        reply_attr(req, ino, fs.call(f.node, q));
        return;
    }
    uint16_t node;
    Request q;
    if (about_inode(req, ino, Op::Getattr, ESTALE, node, q)) reply_attr(req, ino, fs.call(node, q));
}

void mfs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info* fi) {
    uint16_t node;
    Request q;
    if (!about_inode(req, ino, Op::Setattr, EPERM, node, q)) return;
    if (fi) q.handle = open_file(fi).handle;
    if (to_set & FUSE_SET_ATTR_MODE) q.flags |= kSetMode, q.mode = attr->st_mode & 07777;
    if (to_set & FUSE_SET_ATTR_UID) q.flags |= kSetOwner, q.owner = attr->st_uid;
    if (to_set & FUSE_SET_ATTR_GID) q.flags |= kSetGroup, q.group = attr->st_gid;
    if (to_set & FUSE_SET_ATTR_SIZE) q.flags |= kSetSize, q.offset = uint64_t(attr->st_size);
    if (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_ATIME_NOW)) {
        q.flags |= kSetAtime;
        q.times[0] = attr->st_atim.tv_sec;
        q.times[1] = (to_set & FUSE_SET_ATTR_ATIME_NOW) ? UTIME_NOW : attr->st_atim.tv_nsec;
    }
    if (to_set & (FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW)) {
        q.flags |= kSetMtime;
        q.times[2] = attr->st_mtim.tv_sec;
        q.times[3] = (to_set & FUSE_SET_ATTR_MTIME_NOW) ? UTIME_NOW : attr->st_mtim.tv_nsec;
    }
    reply_attr(req, ino, fs_of(req).call(node, q));
}

void mfs_readlink(fuse_req_t req, fuse_ino_t ino) {
    FileSystem& fs = fs_of(req);
    if (is_magic_link(ino)) {   // relative: /mfs/here -> /mfs/<node>
        fuse_reply_readlink(req, std::to_string(fs.link_node(ino, caller(req))).c_str());
        return;
    }
    uint16_t node;
    Request q;
    if (!about_inode(req, ino, Op::Readlink, EINVAL, node, q)) return;
    Reply a = fs.call(node, q);
    if (a.result < 0) fuse_reply_err(req, -a.result);
    else fuse_reply_readlink(req, a.text.c_str());
}

// Calls that make a name in a directory and answer with its entry.
void make_entry(fuse_req_t req, fuse_ino_t parent, Op op, const char* name, const std::function<void(Request&)>& fill) {
    Dir d = dir_of(req, parent, true);
    if (d.error) {
        fuse_reply_err(req, -d.error);
        return;
    }
    Request q = request(req, op);
    q.inode = d.inode;
    q.name = name;
    fill(q);
    Reply r = fs_of(req).call(d.node, q);
    stale_root(req, d, r);
    if (r.result >= 0 && parent == FileSystem::kMagicDir) fs_of(req).created_magic(caller(req), d.node);
    reply_learned(req, d.node, r);
}

void mfs_mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
    make_entry(req, parent, Op::Mkdir, name, [&](Request& q) { q.mode = mode; });
}

void mfs_symlink(fuse_req_t req, const char* target, fuse_ino_t parent, const char* name) {
    make_entry(req, parent, Op::Symlink, name, [&](Request& q) { q.name2 = target; });
}

void mfs_mknod(fuse_req_t req, fuse_ino_t, const char*, mode_t, dev_t) {
    fuse_reply_err(req, EPERM);   // special files are not oMFS's (HOWTO 4.3.3); create makes regular ones
}

void remove_name(fuse_req_t req, fuse_ino_t parent, const char* name, Op op) {
    Dir d = dir_of(req, parent, false);
    if (d.error) {
        fuse_reply_err(req, -d.error);
        return;
    }
    Request q = request(req, op);
    q.inode = d.inode;
    q.name = name;
    Reply r = fs_of(req).call(d.node, q);
    stale_root(req, d, r);
    fuse_reply_err(req, -r.result);
}

void mfs_unlink(fuse_req_t req, fuse_ino_t parent, const char* name) { remove_name(req, parent, name, Op::Unlink); }
void mfs_rmdir(fuse_req_t req, fuse_ino_t parent, const char* name) { remove_name(req, parent, name, Op::Rmdir); }

// rename and link stay on one node: across nodes it is a copy (EXDEV, as between mounts).
void mfs_rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent, const char* newname,
                unsigned flags) {
    Dir a = dir_of(req, parent, false), b = dir_of(req, newparent, true);
    if (a.error || b.error) {
        fuse_reply_err(req, -(a.error ? a.error : b.error));
        return;
    }
    if (a.node != b.node) {
        fuse_reply_err(req, EXDEV);
        return;
    }
    Request q = request(req, Op::Rename);
    q.inode = a.inode, q.name = name, q.inode2 = b.inode, q.name2 = newname, q.flags = flags;
    fuse_reply_err(req, -fs_of(req).call(a.node, q).result);
}

void mfs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char* newname) {
    FileSystem& fs = fs_of(req);
    auto r = fs.remote(ino);
    Dir b = dir_of(req, newparent, true);
    if (!r || b.error) {
        fuse_reply_err(req, !r ? EPERM : -b.error);
        return;
    }
    if (r->node != b.node) {
        fuse_reply_err(req, EXDEV);
        return;
    }
    Request q = request(req, Op::Link);
    q.inode = r->inode, q.inode2 = b.inode, q.name2 = newname;
    reply_learned(req, b.node, fs.call(b.node, q));
}

void mfs_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    FileSystem& fs = fs_of(req);
    uint16_t node;
    Request q;
    if (!about_inode(req, ino, Op::Open, EISDIR, node, q)) return;
    q.flags = uint32_t(fi->flags);
    Reply a = fs.call(node, q);
    if (a.result < 0) {
        fuse_reply_err(req, -a.result);
        return;
    }
    fi->fh = reinterpret_cast<uint64_t>(new OpenFile{node, a.handle, bool(fi->flags & O_APPEND)});
    fi->direct_io = 1;   // no page cache: every read sees the file as it is now
    fi->keep_cache = 0;
    if (fuse_reply_open(req, fi) == -ENOENT) {   // the caller was interrupted meanwhile
        Request rel = request(req, Op::Release);
        rel.handle = a.handle;
        fs.call(node, rel);
        delete &open_file(fi);
    }
}

void mfs_create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi) {
    Dir d = dir_of(req, parent, true);
    if (d.error) {
        fuse_reply_err(req, -d.error);
        return;
    }
    FileSystem& fs = fs_of(req);
    Request q = request(req, Op::Create);
    q.inode = d.inode, q.name = name, q.flags = uint32_t(fi->flags), q.mode = mode;
    Reply r = fs.call(d.node, q);
    stale_root(req, d, r);
    if (r.result < 0) {
        fuse_reply_err(req, -r.result);
        return;
    }
    if (parent == FileSystem::kMagicDir) fs.created_magic(caller(req), d.node);
    fi->fh = reinterpret_cast<uint64_t>(new OpenFile{d.node, r.handle, bool(fi->flags & O_APPEND)});
    fi->direct_io = 1;
    fi->keep_cache = 0;
    fuse_entry_param e{};
    e.ino = fs.learn(d.node, r.inode);
    r.attr.to(e.attr);
    e.attr.st_ino = e.ino;
    fuse_reply_create(req, &e, fi);
}

void mfs_read(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
    auto& f = open_file(fi);
    std::vector<Request> pieces;
    for (size_t at = 0; at < size; at += kPiece) {
        Request q = request(req, Op::Read);
        q.handle = f.handle;
        q.offset = uint64_t(off) + at;
        q.size = uint32_t(std::min(size - at, kPiece));
        pieces.push_back(std::move(q));
    }
    auto replies = fs_of(req).call_many(f.node, pieces, true);
    std::vector<iovec> iov;
    for (size_t i = 0; i < replies.size(); ++i) {
        const Reply& r = replies[i];
        if (r.result < 0) {
            if (iov.empty()) {
                fuse_reply_err(req, -r.result);
                return;
            }
            break;   // what came before the error
        }
        iov.push_back({const_cast<uint8_t*>(r.data.data()), r.data.size()});
        if (r.data.size() < pieces[i].size) break;   // end of file
    }
    fuse_reply_iov(req, iov.data(), int(iov.size()));
}

void mfs_write(fuse_req_t req, fuse_ino_t, const char* buf, size_t size, off_t off, fuse_file_info* fi) {
    auto& f = open_file(fi);
    std::vector<Request> pieces;
    for (size_t at = 0; at < size; at += kPiece) {
        Request q = request(req, Op::Write);
        q.handle = f.handle;
        q.offset = uint64_t(off) + at;
        q.data_ref = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(buf) + at, std::min(size - at, kPiece));
        pieces.push_back(std::move(q));
    }
    auto replies = fs_of(req).call_many(f.node, pieces, !f.append);
    size_t written = 0;
    for (size_t i = 0; i < replies.size(); ++i) {
        if (replies[i].result < 0) {
            if (!written) {
                fuse_reply_err(req, -replies[i].result);
                return;
            }
            break;
        }
        written += size_t(replies[i].result);
        if (size_t(replies[i].result) < pieces[i].data_ref.size()) break;
    }
    fuse_reply_write(req, written);
}

void mfs_flush(fuse_req_t req, fuse_ino_t, fuse_file_info*) { fuse_reply_err(req, 0); }

void mfs_release(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
    std::unique_ptr<OpenFile> f(&open_file(fi));
    Request q = request(req, Op::Release);
    q.handle = f->handle;
    fs_of(req).call(f->node, q);
    fuse_reply_err(req, 0);
}

void mfs_fsync(fuse_req_t req, fuse_ino_t, int datasync, fuse_file_info* fi) {
    auto& f = open_file(fi);
    Request q = request(req, Op::Fsync);
    q.handle = f.handle;
    q.flags = uint32_t(datasync);
    fuse_reply_err(req, -fs_of(req).call(f.node, q).result);
}

// A directory's entries, read when it is opened (and again when read from the start, as
// after rewinddir) and handed out by offset.
struct Listing {
    uint64_t ino = 0;
    std::vector<Dirent> entries;
};

// The entries of directory `ino`, with . and ..; false with `error` set when it cannot be read.
bool list_directory(fuse_req_t req, uint64_t ino, Listing& list, int& error) {
    FileSystem& fs = fs_of(req);
    list.ino = ino;
    list.entries.clear();
    list.entries.push_back({".", S_IFDIR, ino});
    list.entries.push_back({"..", S_IFDIR, FileSystem::kRoot});
    if (ino == FileSystem::kRoot) {
        std::set<uint16_t> ids{fs.view().self()};
        for (const auto& [id, info] : fs.view().nodes()) ids.insert(id);
        for (uint16_t id : ids)
            if (id) list.entries.push_back({std::to_string(id), S_IFDIR, 0});
        for (Magic m : {Magic::Here, Magic::Home, Magic::Lastexec, Magic::Selected})
            list.entries.push_back({magic_name(m), S_IFLNK, 0});
        list.entries.push_back({magic_name(Magic::Magic), S_IFDIR, FileSystem::kMagicDir});
        return true;
    }
    Dir d;
    if (ino == FileSystem::kMagicDir) {
        d = dir_of(req, ino, false);
    } else if (auto r = fs.remote(ino)) {
        d = {r->node, r->inode, 0};
    } else {
        d.error = ino < FileSystem::kFirstDynamic ? -ENOTDIR : -ESTALE;
    }
    if (d.error) {
        error = -d.error;
        return false;
    }
    Request q = request(req, Op::Readdir);
    q.inode = d.inode;
    Reply r = fs.call(d.node, q);
    if (r.result < 0) {
        error = -r.result;
        return false;
    }
    for (auto& e : r.entries) list.entries.push_back(std::move(e));
    return true;
}

void mfs_opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    auto list = std::make_unique<Listing>();
    int error = 0;
    if (!list_directory(req, ino, *list, error)) {
        fuse_reply_err(req, error);
        return;
    }
    fi->fh = reinterpret_cast<uint64_t>(list.get());
    if (fuse_reply_open(req, fi) == 0) list.release();
}

void mfs_readdir(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
    auto* list = reinterpret_cast<Listing*>(fi->fh);
    int error = 0;
    // From the start (also right after opendir: the directory may have changed since the
    // open, as a listing of an fd opened earlier must show): as it is now.
    if (off == 0 && !list_directory(req, list->ino, *list, error)) {
        fuse_reply_err(req, error);
        return;
    }
    std::vector<char> buf(size);
    size_t used = 0;
    for (size_t i = size_t(off); i < list->entries.size(); ++i) {
        const Dirent& e = list->entries[i];
        struct stat st {};
        st.st_mode = e.mode;
        // Not the inode number stat gives (that one is ours, known at lookup): a nonzero
        // one, as readdir users need.
        st.st_ino = e.ino ? e.ino : 0xffffffff;
        size_t need = fuse_add_direntry(req, buf.data() + used, size - used, e.name.c_str(), &st, off_t(i + 1));
        if (need > size - used) break;
        used += need;
    }
    fuse_reply_buf(req, buf.data(), used);
}

void mfs_releasedir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
    delete reinterpret_cast<Listing*>(fi->fh);
    fuse_reply_err(req, 0);
}

void mfs_access(fuse_req_t req, fuse_ino_t ino, int mask) {
    uint16_t node;
    Request q;
    // The mount's own names: readable, not writable.
    if (!about_inode(req, ino, Op::Access, (mask & W_OK) ? EACCES : 0, node, q)) return;
    q.flags = uint32_t(mask);
    fuse_reply_err(req, -fs_of(req).call(node, q).result);
}

// df: a node's own figures under its directory; for the whole mount, every up node's
// file system counted once (nodes that share one, as namespaces on one host do, count once).
void mfs_statfs(fuse_req_t req, fuse_ino_t ino) {
    FileSystem& fs = fs_of(req);
    std::vector<std::pair<uint16_t, uint64_t>> targets;
    if (auto r = fs.remote(ino)) {
        targets.push_back({r->node, r->inode});
    } else {
        std::vector<uint16_t> nodes{fs.view().self()};
        for (const auto& [id, info] : fs.view().nodes())
            if (info.up && id != fs.view().self()) nodes.push_back(id);
        for (uint16_t n : nodes)
            if (auto root = fs.root_of(n, who(req))) targets.push_back({n, *root});
    }
    struct statvfs out {};
    std::set<uint64_t> seen;
    bool any = false;
    for (auto [node, inode] : targets) {
        Request q = request(req, Op::Statfs);
        q.inode = inode;
        Reply r = fs.call(node, q);
        if (r.result < 0) {
            if (targets.size() == 1 && fs.remote(ino)) {
                fuse_reply_err(req, -r.result);
                return;
            }
            continue;
        }
        if (!seen.insert(r.fs.fsid).second) continue;
        const double scale = any && out.f_frsize ? double(r.fs.frsize) / double(out.f_frsize) : 1.0;
        if (!any) {
            out.f_bsize = r.fs.bsize, out.f_frsize = r.fs.frsize, out.f_namemax = r.fs.namemax;
            any = true;
        }
        out.f_blocks += fsblkcnt_t(double(r.fs.blocks) * scale);
        out.f_bfree += fsblkcnt_t(double(r.fs.bfree) * scale);
        out.f_bavail += fsblkcnt_t(double(r.fs.bavail) * scale);
        out.f_files += r.fs.files;
        out.f_ffree += r.fs.ffree;
    }
    if (!any) fuse_reply_err(req, EIO);
    else fuse_reply_statfs(req, &out);
}

void mfs_init(void*, fuse_conn_info* conn) {
    conn->max_write = kMaxIo;
    conn->max_read = kMaxIo;   // as the max_read mount option says
    conn->want &= ~unsigned(FUSE_CAP_ASYNC_READ);
}

fuse_lowlevel_ops operations() {
    fuse_lowlevel_ops ops{};
    ops.init = mfs_init;
    ops.lookup = mfs_lookup;
    ops.forget = mfs_forget;
    ops.forget_multi = mfs_forget_multi;
    ops.getattr = mfs_getattr;
    ops.setattr = mfs_setattr;
    ops.readlink = mfs_readlink;
    ops.mknod = mfs_mknod;
    ops.mkdir = mfs_mkdir;
    ops.unlink = mfs_unlink;
    ops.rmdir = mfs_rmdir;
    ops.symlink = mfs_symlink;
    ops.rename = mfs_rename;
    ops.link = mfs_link;
    ops.open = mfs_open;
    ops.read = mfs_read;
    ops.write = mfs_write;
    ops.flush = mfs_flush;
    ops.release = mfs_release;
    ops.fsync = mfs_fsync;
    ops.opendir = mfs_opendir;
    ops.readdir = mfs_readdir;
    ops.releasedir = mfs_releasedir;
    ops.statfs = mfs_statfs;
    ops.access = mfs_access;
    ops.create = mfs_create;
    return ops;
}

}  // namespace

int serve_mount(FileSystem& fs, const std::string& fsname, const std::function<void()>& ready) {
    std::string options = fmt::format("allow_other,fsname={},subtype=mfs,max_read={}", fsname, kMaxIo);
    std::vector<std::string> argv = {"omx-mfs", "-o", options};
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    fuse_args args = FUSE_ARGS_INIT(int(cargv.size()), cargv.data());
    fuse_lowlevel_ops ops = operations();
    fuse_session* se = fuse_session_new(&args, &ops, sizeof ops, &fs);
    if (!se) {
        std::cerr << "omx-mfs: cannot set up the file system\n";
        return 1;
    }
    if (fuse_session_mount(se, fs.options().mount.c_str()) != 0) {
        std::cerr << fmt::format("omx-mfs: cannot mount {}\n", fs.options().mount);
        fuse_session_destroy(se);
        return 1;
    }
    fuse_set_signal_handlers(se);
    ready();
    fuse_loop_config config{};
    config.clone_fd = 0;
    config.max_idle_threads = 16;
    int rc = fuse_session_loop_mt(se, &config);
    fuse_remove_signal_handlers(se);
    fuse_session_unmount(se);
    fuse_session_destroy(se);
    return rc == 0 ? 0 : 1;
}

}  // namespace omx::mfs
