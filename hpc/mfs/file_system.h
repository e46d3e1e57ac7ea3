#pragma once
// The oMFS file system a node mounts at /mfs (libfuse3, low-level API): /mfs/<id>/path is
// `path` on node <id> (served by its oMFS server, or from here for this node's own id),
// and the per-process magic names: here, home, lastexec and selected are symbolic links
// to the caller's node directory; magic is a directory that creates on the node the
// caller runs on and otherwise leads to where the caller last created a file through it.
//
// Every file is known to the kernel by an inode number of ours that stands for the
// server's inode number on its node (protocol.h): files keep their identity through
// renames and unlinks on their node, hard links are one inode, and inode numbers never
// collide across nodes (find and du see no loops).
//
// Nothing is cached (HOWTO: unlike NFS, cache, time stamp and link consistency): every
// file is opened for direct I/O and no attribute or name is kept, so a write on one node
// is seen by a read on any node as soon as it returned.
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "client.h"
#include "cluster_view.h"
#include "local_files.h"
#include "mfs_path.h"

namespace omx::mfs {

struct FileSystemOptions {
    std::string mount = kDefaultMount;
    ClientOptions client;
};

class FileSystem {
public:
    FileSystem(ClusterView& view, const ClusterKey& key, FileSystemOptions opt);

    // Inode numbers the kernel knows. 1 is the mount's root; then the magic names.
    static constexpr uint64_t kRoot = 1, kHere = 2, kHome = 3, kLastexec = 4, kSelected = 5, kMagicDir = 6;
    static constexpr uint64_t kFirstDynamic = 16;
    struct Remote {
        uint16_t node = 0;
        uint64_t inode = 0;   // the server's
    };
    std::optional<Remote> remote(uint64_t ino);
    // A server inode the kernel is about to learn (one more lookup of it): its number here.
    uint64_t learn(uint16_t node, uint64_t server_inode);
    // The kernel forgot `n` lookups of `ino`: so does the server.
    void forget(uint64_t ino, uint64_t n);

    // The server inode of a node's root, held by us for good; nullopt: unknown node.
    std::optional<uint64_t> root_of(uint16_t node, const FsCredentials& who);
    void root_lost(uint16_t node);

    // Sends a request to a node (this node's own files are served here, as the caller).
    Reply call(uint16_t node, const Request& q);
    std::vector<Reply> call_many(uint16_t node, const std::vector<Request>& qs, bool spread);

    uint16_t magic_node(pid_t caller, bool creating);
    void created_magic(pid_t caller, uint16_t node);
    uint16_t link_node(uint64_t link_ino, pid_t caller);
    ClusterView& view() { return view_; }
    const FileSystemOptions& options() const { return opt_; }

private:
    NodeClient& client(uint16_t node);

    ClusterView& view_;
    const ClusterKey& key_;
    FileSystemOptions opt_;
    LocalFiles own_;
    std::mutex mu_;
    std::map<uint16_t, std::unique_ptr<NodeClient>> clients_;
    std::map<uint16_t, uint64_t> roots_;                       // node -> its root's server inode
    std::map<uint64_t, std::pair<Remote, uint64_t>> inodes_;   // ours -> server's, lookups
    std::map<std::pair<uint16_t, uint64_t>, uint64_t> by_remote_;
    uint64_t next_ino_ = kFirstDynamic;
    std::map<pid_t, uint16_t> last_magic_;   // per process: node of its last create under magic
};

// Mounts `fs` at opt.mount and serves it until unmounted or signalled (SIGTERM/SIGINT/
// SIGHUP). `fsname` is what mount tables show as the source (mfs_mnt). Returns an exit
// code. `ready` runs once the mount is in place.
int serve_mount(FileSystem& fs, const std::string& fsname, const std::function<void()>& ready);

}  // namespace omx::mfs
