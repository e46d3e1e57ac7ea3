#include "protocol.h"

#include "common/bytes.h"

#include <cstring>

namespace omx::mfs {

const char* op_name(Op op) {
    static const char* names[] = {"?", "root", "lookup", "forget", "getattr", "setattr", "readlink", "readdir",
                                  "mkdir", "unlink", "rmdir", "symlink", "rename", "link", "open", "create",
                                  "read", "write", "release", "fsync", "statfs", "access", "fgetattr"};
    auto i = size_t(op);
    return i < std::size(names) ? names[i] : "?";
}

namespace {

constexpr size_t kMaxGroups = 65536;
constexpr size_t kMaxEntries = 1u << 20;

void put(ByteWriter& w, const Attr& a) {
    for (uint64_t v : {a.ino, a.size, a.blocks}) w.u64(v);
    for (uint32_t v : {a.mode, a.nlink, a.uid, a.gid, a.blksize}) w.u32(v);
    for (int64_t v : {a.atime, a.atime_ns, a.mtime, a.mtime_ns, a.ctime, a.ctime_ns}) w.u64(uint64_t(v));
}

Attr get_attr(ByteReader& r) {
    Attr a;
    a.ino = r.u64(), a.size = r.u64(), a.blocks = r.u64();
    a.mode = r.u32(), a.nlink = r.u32(), a.uid = r.u32(), a.gid = r.u32(), a.blksize = r.u32();
    for (int64_t* v : {&a.atime, &a.atime_ns, &a.mtime, &a.mtime_ns, &a.ctime, &a.ctime_ns}) *v = int64_t(r.u64());
    return a;
}

// The fields between the data and the trailing length; the data is left in `message`.
std::span<const uint8_t> split(std::vector<uint8_t>& message, size_t& data_len) {
    if (message.size() < 4) throw WireError("oMFS: short message");
    uint32_t n;
    std::memcpy(&n, message.data() + message.size() - 4, 4);
    if (n > kMaxIo || n > message.size() - 4) throw WireError("oMFS: bad data length");
    data_len = n;
    return std::span<const uint8_t>(message).subspan(n, message.size() - 4 - n);
}

}  // namespace

Attr Attr::from(const struct stat& st) {
    Attr a;
    a.ino = st.st_ino, a.size = uint64_t(st.st_size), a.blocks = uint64_t(st.st_blocks);
    a.mode = st.st_mode, a.nlink = uint32_t(st.st_nlink), a.uid = st.st_uid, a.gid = st.st_gid;
    a.blksize = uint32_t(st.st_blksize);
    a.atime = st.st_atim.tv_sec, a.atime_ns = st.st_atim.tv_nsec;
    a.mtime = st.st_mtim.tv_sec, a.mtime_ns = st.st_mtim.tv_nsec;
    a.ctime = st.st_ctim.tv_sec, a.ctime_ns = st.st_ctim.tv_nsec;
    return a;
}

void Attr::to(struct stat& st) const {
    st = {};
    st.st_ino = ino, st.st_size = off_t(size), st.st_blocks = blkcnt_t(blocks);
    st.st_mode = mode, st.st_nlink = nlink, st.st_uid = uid, st.st_gid = gid, st.st_blksize = blksize_t(blksize);
    st.st_atim = {time_t(atime), long(atime_ns)};
    st.st_mtim = {time_t(mtime), long(mtime_ns)};
    st.st_ctim = {time_t(ctime), long(ctime_ns)};
}

std::vector<uint8_t> encode_fields(const Request& q) {
    ByteWriter w;
    w.u8(uint8_t(q.op));
    w.u32(q.who.uid);
    w.u32(q.who.gid);
    w.u16(uint16_t(q.who.groups.size()));
    for (gid_t g : q.who.groups) w.u32(g);
    w.str16(q.name);
    w.str16(q.name2);
    w.u64(q.inode);
    w.u64(q.inode2);
    w.u64(q.handle);
    w.u64(q.offset);
    w.u32(q.size);
    w.u32(q.flags);
    w.u32(q.mode);
    w.u32(q.owner);
    w.u32(q.group);
    for (int64_t t : q.times) w.u64(uint64_t(t));
    w.u32(uint32_t(q.payload().size()));
    return std::move(w.data());
}

std::vector<uint8_t> encode(const Request& q) {
    std::vector<uint8_t> out(q.payload().begin(), q.payload().end());
    auto f = encode_fields(q);
    out.insert(out.end(), f.begin(), f.end());
    return out;
}

Request decode_request(std::vector<uint8_t> message) {
    size_t data_len = 0;
    ByteReader r(split(message, data_len));
    Request q;
    uint8_t op = r.u8();
    if (op < uint8_t(Op::Root) || op > kLastOp) throw WireError("oMFS: unknown operation");
    q.op = Op(op);
    q.who.uid = r.u32();
    q.who.gid = r.u32();
    size_t n = r.u16();
    if (n > kMaxGroups) throw WireError("oMFS: too many groups");
    for (size_t i = 0; i < n; ++i) q.who.groups.push_back(r.u32());
    q.name = r.str16();
    q.name2 = r.str16();
    q.inode = r.u64();
    q.inode2 = r.u64();
    q.handle = r.u64();
    q.offset = r.u64();
    q.size = r.u32();
    q.flags = r.u32();
    q.mode = r.u32();
    q.owner = r.u32();
    q.group = r.u32();
    for (auto& t : q.times) t = int64_t(r.u64());
    r.expect_end();
    message.resize(data_len);
    q.data = std::move(message);
    return q;
}

std::vector<uint8_t> encode_fields(const Reply& p) {
    ByteWriter w;
    w.u32(uint32_t(p.result));
    put(w, p.attr);
    w.u32(uint32_t(p.entries.size()));
    for (const auto& e : p.entries) {
        w.str16(e.name);
        w.u32(e.mode);
        w.u64(e.ino);
    }
    w.str16(p.text);
    w.u64(p.handle);
    w.u64(p.inode);
    for (uint64_t v : {p.fs.bsize, p.fs.frsize, p.fs.blocks, p.fs.bfree, p.fs.bavail, p.fs.files, p.fs.ffree, p.fs.namemax,
                       p.fs.fsid})
        w.u64(v);
    w.u32(uint32_t(p.data.size()));
    return std::move(w.data());
}

std::vector<uint8_t> encode(const Reply& p) {
    std::vector<uint8_t> out = p.data;
    auto f = encode_fields(p);
    out.insert(out.end(), f.begin(), f.end());
    return out;
}

Reply decode_reply(std::vector<uint8_t> message) {
    size_t data_len = 0;
    ByteReader r(split(message, data_len));
    Reply p;
    p.result = int32_t(r.u32());
    p.attr = get_attr(r);
    uint32_t n = r.u32();
    if (n > kMaxEntries) throw WireError("oMFS: too many directory entries");
    for (uint32_t i = 0; i < n; ++i) {
        Dirent e;
        e.name = r.str16();
        e.mode = r.u32();
        e.ino = r.u64();
        p.entries.push_back(std::move(e));
    }
    p.text = r.str16();
    p.handle = r.u64();
    p.inode = r.u64();
    for (uint64_t* v : {&p.fs.bsize, &p.fs.frsize, &p.fs.blocks, &p.fs.bfree, &p.fs.bavail, &p.fs.files, &p.fs.ffree,
                        &p.fs.namemax, &p.fs.fsid})
        *v = r.u64();
    r.expect_end();
    message.resize(data_len);
    p.data = std::move(message);
    return p;
}

}  // namespace omx::mfs
