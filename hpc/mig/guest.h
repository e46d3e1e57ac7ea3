#pragma once
// The remote part's side of one migration link (link.h): receive the process, run it
// under the filter, forward its calls home, send it back when asked, report its end.
// omx-remote (started by omxd on the target node for every incoming connection) is this
// plus argument parsing.
#include <sys/types.h>

#include <functional>
#include <string>

#include "common/cluster_key.h"
#include "link.h"

namespace omx::mig {

struct GuestOptions {
    std::string restorer_path;
    std::string refuse;          // non-empty: refuse every process with this reason (block)
    bool drop_privileges = true; // run the process as its own uid/gid (we start as root)
    int handshake_timeout_ms = 5000;
    // Events for omxd, one line each: arrived, left, ended.
    std::function<void(const std::string& event, const MigrationRequest& who, pid_t local_pid)> report;
    // Runs between the process's calls, at most every 20 ms (finding omxd again after its restart).
    std::function<void()> tick;
};

// Set (from a signal handler) when this node wants its guest gone: expel.
void request_guest_home();

// Serves one link until the process ends, dies with its home or goes home. Returns the
// exit code for omx-remote: 0 when the link ended the way the protocol says.
int serve_guest(Link& link, const ClusterKey& key, const GuestOptions& opt);

}  // namespace omx::mig
