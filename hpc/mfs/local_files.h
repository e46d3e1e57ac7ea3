#pragma once
// One node's files as oMFS serves them to one client node. Every request runs with the
// access checks of the user who made it (common/fs_credentials.h).
//
// Files are known by inode numbers of ours: each stands for an O_PATH descriptor of the
// file (one per file, however many names lead to it), so a file keeps its identity when
// it is renamed or unlinked here — what a local file system and NFS give. Numbers live
// until the client forgets them, open files until it releases them.
//
// /proc, the oMFS mount itself and special files (devices, FIFOs, sockets) are never
// shown or opened (HOWTO 4.3.3).
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "common/fd.h"
#include "mfs_path.h"
#include "protocol.h"

namespace omx::mfs {

class LocalFiles {
public:
    explicit LocalFiles(std::string mount = kDefaultMount);
    Reply serve(const Request& q);
    size_t open_handles() const;
    size_t known_inodes() const;

private:
    struct Inode {
        UniqueFd fd;        // O_PATH
        std::string path;   // the name it was first found under (for the exclusions)
        uint64_t refs = 0;  // lookups the client has not forgotten
        dev_t dev = 0;
        ino_t ino = 0;
    };
    Reply serve_as_user(const Request& q);
    // The O_PATH fd of a known inode, or -1; its path in `path` when asked.
    int inode_fd(uint64_t id, std::string* path = nullptr) const;
    // A name in a known directory: its new or known inode (refs + 1), attributes in reply.
    Reply lookup(uint64_t dir, const std::string& name);
    Reply remember(UniqueFd fd, const std::string& path);
    void forget(uint64_t id, uint64_t n);
    Reply open(const Request& q);
    Reply create(const Request& q);
    Reply readdir(uint64_t dir);
    Reply setattr(const Request& q);
    int with_handle(uint64_t h) const;   // an open file's fd, or -1
    uint64_t keep_open(UniqueFd fd);

    std::string mount_;
    mutable std::mutex mu_;
    std::map<uint64_t, Inode> inodes_;
    std::map<std::pair<dev_t, ino_t>, uint64_t> by_file_;
    std::map<uint64_t, UniqueFd> handles_;
    uint64_t next_inode_ = 1, next_handle_ = 1;
};

// Whether a file of this mode may be seen through oMFS: regular files, directories and
// symbolic links only.
bool shown_type(uint32_t mode);

}  // namespace omx::mfs
