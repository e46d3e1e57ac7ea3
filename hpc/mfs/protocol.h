#pragma once
// The oMFS protocol between a node's file system (the client) and another node's oMFS
// server. It rides on the migration link's framing and handshake (hpc/mig/link.h): both
// ends prove the cluster key first; then each request is one Call message and its answer
// one Result message, in order, on that connection.
//
//   request = data (write's bytes), u8 op, credentials (u32 uid, u32 gid, u16 n,
//             n × u32 groups), str16 name, str16 name2, u64 inode, u64 inode2,
//             u64 handle, u64 offset, u32 size, u32 flags, u32 mode, u32 owner,
//             u32 group, 4 × i64 times, u32 length of the data
//   reply   = data (read's bytes), i32 result (-errno on failure), Attr, u32 n × Dirent
//             (readdir), str16 (readlink), u64 handle (open, create), u64 inode (root,
//             lookup, create, mkdir, symlink, link), Statfs (statfs), u32 length of data
//
// Files are named as NFS names them, by handle rather than by path: the server gives an
// inode number of its own for every file the client looked up (root, lookup; dropped with
// forget), and a request names a file by that number, or by a directory's number and a
// name in it. A file keeps its identity when it is renamed or unlinked on its node.
//
// The data comes first and its length last, so neither end copies it: the sender sends
// it from where it is, the receiver keeps the message's buffer as the data.
//
// Every field is bounds-checked when read (common/bytes.h): a malformed message is a
// WireError, never a crash.
#include <sys/stat.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/fs_credentials.h"

namespace omx::mfs {

inline constexpr uint16_t kDefaultPort = 4661;
inline constexpr uint32_t kMaxIo = 1u << 20;   // bytes of one read or write

enum class Op : uint8_t {
    Root = 1, Lookup, Forget, Getattr, Setattr, Readlink, Readdir, Mkdir, Unlink, Rmdir, Symlink,
    Rename, Link, Open, Create, Read, Write, Release, Fsync, Statfs, Access, Fgetattr,
};
inline constexpr uint8_t kLastOp = uint8_t(Op::Fgetattr);

// Setattr's flags: what to change.
inline constexpr uint32_t kSetMode = 1, kSetOwner = 2, kSetGroup = 4, kSetSize = 8, kSetAtime = 16,
                          kSetMtime = 32;
const char* op_name(Op op);

struct Request {
    Op op = Op::Getattr;
    FsCredentials who;
    std::string name, name2;   // a name in `inode` (a directory); name2: in inode2, or symlink's contents
    uint64_t inode = 0, inode2 = 0;   // the server's inode numbers (inode2: rename's and link's target dir)
    uint64_t handle = 0;       // an open file
    uint64_t offset = 0;       // read/write offset, new size (setattr), forget's count
    uint32_t size = 0;         // read length
    uint32_t flags = 0;        // open flags, rename flags, access mask, fsync datasync, setattr's kSet*
    uint32_t mode = 0;
    uint32_t owner = uint32_t(-1), group = uint32_t(-1);
    int64_t times[4] = {0, UTIME_OMIT, 0, UTIME_OMIT};   // atime s, ns, mtime s, ns
    std::vector<uint8_t> data;  // write
    // Write's bytes where they already are (the client sends from the kernel's buffer);
    // when set it is sent instead of `data`. Never decoded into.
    std::span<const uint8_t> data_ref;
    std::span<const uint8_t> payload() const { return data_ref.empty() ? std::span<const uint8_t>(data) : data_ref; }
};

struct Attr {
    uint64_t ino = 0, size = 0, blocks = 0;
    uint32_t mode = 0, nlink = 0, uid = 0, gid = 0, blksize = 0;
    int64_t atime = 0, atime_ns = 0, mtime = 0, mtime_ns = 0, ctime = 0, ctime_ns = 0;
    static Attr from(const struct stat& st);
    void to(struct stat& st) const;
};

struct Dirent {
    std::string name;
    uint32_t mode = 0;   // type bits only
    uint64_t ino = 0;
};

struct Statfs {
    uint64_t bsize = 0, frsize = 0, blocks = 0, bfree = 0, bavail = 0, files = 0, ffree = 0, namemax = 0;
    uint64_t fsid = 0;   // tells file systems apart: df of /mfs counts each one once
};

struct Reply {
    int32_t result = 0;
    Attr attr;
    std::vector<Dirent> entries;
    std::string text;
    std::vector<uint8_t> data;
    uint64_t handle = 0;
    uint64_t inode = 0;
    Statfs fs;
};

// A reply that is only a result (an error, or success with nothing to say).
inline Reply result_only(int32_t result) {
    Reply r;
    r.result = result;
    return r;
}

// Everything after the data; a message is the data followed by these.
std::vector<uint8_t> encode_fields(const Request& r);
std::vector<uint8_t> encode_fields(const Reply& r);
std::vector<uint8_t> encode(const Request& r);   // data + fields, in one buffer
std::vector<uint8_t> encode(const Reply& r);
// The message's buffer becomes the data.
Request decode_request(std::vector<uint8_t> message);
Reply decode_reply(std::vector<uint8_t> message);
inline Request decode_request(std::span<const uint8_t> b) { return decode_request(std::vector<uint8_t>(b.begin(), b.end())); }
inline Reply decode_reply(std::span<const uint8_t> b) { return decode_reply(std::vector<uint8_t>(b.begin(), b.end())); }

}  // namespace omx::mfs
