#pragma once
// vcluster-guestd: the host's hand inside a VM node (UML, QEMU). It runs as the node's init
// (PID 1, so it also reaps every orphan) or as a plain daemon, and serves the requests of
// guest_link.h, each connection in a process of its own.
#include "common/cluster_key.h"

namespace vcluster::guest {

// Serves one authenticated request on `sock`; errors go back to the host as one line.
void handle_connection(int sock, const omx::ClusterKey& key);

}  // namespace vcluster::guest
