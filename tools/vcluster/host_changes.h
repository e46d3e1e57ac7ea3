#pragma once
// What every backend leaves on the host while a cluster is up — holder processes (which
// take their nodes and VMs with them), cgroups, directories — and how `down` undoes it.
#include <string>
#include <vector>

#include "state.h"

namespace vcluster {

// Creates `dir` on the host if missing and records it, so `down` removes it (when empty).
// The nodes mount their own dirs over it: while the cluster is up a marker file of this
// cluster keeps it non-empty, because removing it on the host (another cluster's `down`)
// would detach those mounts in our nodes and their writes would land on the host.
void ensure_host_dir(ClusterState& state, const std::string& dir);

// Kills the nodes' holders and the switch's, removes the cgroups and the recorded dirs.
// Idempotent; returns what could not be removed.
std::vector<std::string> tear_down(ClusterState& state);

}  // namespace vcluster
