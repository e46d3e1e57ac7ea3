#pragma once
// One node's files as oMFS serves them to one client node. Every request runs with the
// access checks of the user who made it (common/fs_credentials.h).
//
// Files are known by inode numbers of ours: each stands for an O_PATH descriptor of the
// file (one per file, however many names lead to it), so a file keeps its identity when
// it is renamed or unlinked here — what a local file system and NFS give. Numbers live
// until the client forgets them, open files until it releases them. Descriptors are kept
// for the most recently used inodes only (a walk of a big tree knows more inodes than a
// process may have files); an older one is found again by its name, and is ESTALE if
// that name now leads to another file.
//
// /proc, the oMFS mount itself and special files (devices, FIFOs, sockets) are never
// shown or opened (HOWTO 4.3.3).
#include <sys/types.h>

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "common/fd.h"
#include "mfs_path.h"
#include "protocol.h"

namespace omx::mfs {

class LocalFiles {
public:
    // `max_descriptors`: inodes that keep a descriptor (0: half the open-file limit).
    explicit LocalFiles(std::string mount = kDefaultMount, size_t max_descriptors = 0);
    Reply serve(const Request& q);
    size_t open_handles() const;

private:
    using SharedFd = std::shared_ptr<UniqueFd>;   // held by a request while it uses it
    struct Inode {
        SharedFd fd;        // O_PATH; null while evicted
        std::string path;   // the name it was first found under (exclusions, finding it again)
        uint64_t refs = 0;  // lookups the client has not forgotten
        dev_t dev = 0;
        ino_t ino = 0;
        std::list<uint64_t>::iterator recent;   // in recent_ while it has a descriptor
    };
    Reply serve_as_user(const Request& q);
    // The O_PATH fd of a known inode (null: unknown or gone: ESTALE); its path when asked.
    SharedFd inode_fd(uint64_t id, std::string* path = nullptr);
    void keep_descriptor(uint64_t id, Inode& n, SharedFd fd);   // with mu_ held
    // rename's and link's target directory (inode2, where name2 goes): its fd, kept in
    // `held`, or -errno.
    int target_dir(const Request& q, SharedFd& held);
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
    std::list<uint64_t> recent_;   // inodes with a descriptor, most recently used first
    size_t max_descriptors_;
    std::map<std::pair<dev_t, ino_t>, uint64_t> by_file_;
    std::map<uint64_t, UniqueFd> handles_;
    uint64_t next_inode_ = 1, next_handle_ = 1;
};

// Whether a file of this mode may be seen through oMFS: regular files, directories and
// symbolic links only.
bool shown_type(uint32_t mode);

}  // namespace omx::mfs
