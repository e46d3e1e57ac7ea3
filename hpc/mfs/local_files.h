#pragma once
// One node's files as oMFS serves them: every request runs here with the access checks
// of the user who made it (common/fs_credentials.h), on absolute paths of this node.
// /proc, the oMFS mount itself and special files (devices, FIFOs, sockets) are never
// shown or opened (HOWTO 4.3.3). The server keeps one of these per client node; the file
// system uses one for the node's own directory (/mfs/<self>).
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "common/fd.h"
#include "mfs_path.h"
#include "protocol.h"

namespace omx::mfs {

class LocalFiles {
public:
    explicit LocalFiles(std::string mount = kDefaultMount) : mount_(std::move(mount)) {}
    Reply serve(const Request& q);
    size_t open_handles() const;

private:
    Reply serve_as_user(const Request& q);
    Reply open(const Request& q, bool create);
    Reply readdir(const std::string& path);
    int with_handle(uint64_t h);   // the fd, or -1
    std::string mount_;
    mutable std::mutex mu_;
    std::map<uint64_t, UniqueFd> handles_;
    uint64_t next_handle_ = 1;
};

// Whether a file of this mode may be seen through oMFS: regular files, directories and
// symbolic links only.
bool shown_type(uint32_t mode);

}  // namespace omx::mfs
