#pragma once
// The oMFS file system a node mounts at /mfs (libfuse3): /mfs/<id>/path is `path` on
// node <id> (served by its oMFS server, or from here for this node's own id), and the
// per-process magic names: here, home, lastexec and selected are symbolic links to the
// caller's node directory; magic is a directory that creates on the node the caller runs
// on and otherwise leads to where the caller last created a file through it.
//
// Nothing is cached (HOWTO: unlike NFS, cache, time stamp and link consistency): every
// file is opened for direct I/O and no attribute or name is kept, so a write on one node
// is seen by a read on any node as soon as it returned.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

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

    // Where a request for `path` (relative to the mount) goes. `creating`: the call makes
    // a file (magic's rule). nullopt: ENOENT.
    struct Place {
        uint16_t node = 0;       // 0: the root of the mount, or a magic link itself
        std::string rest;        // the path on that node
        std::optional<Magic> link;   // the path is this magic symbolic link
    };
    std::optional<Place> place(const std::string& path, pid_t caller, bool creating = false);

    // Sends a request to a node (this node's own files are served here, as the caller).
    Reply call(uint16_t node, Request q);
    std::vector<Reply> call_many(uint16_t node, const std::vector<Request>& qs);
    void created_magic(pid_t caller, uint16_t node);
    std::string link_target(Magic m, pid_t caller);
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
    std::map<pid_t, uint16_t> last_magic_;   // per process: node of its last create under magic
};

// Mounts `fs` at opt.mount and serves it until unmounted or signalled (SIGTERM/SIGINT/
// SIGHUP). `fsname` is what mount tables show as the source (mfs_mnt). Returns an exit
// code. `ready` runs once the mount is in place.
int serve_mount(FileSystem& fs, const std::string& fsname, const std::function<void()>& ready);

}  // namespace omx::mfs
