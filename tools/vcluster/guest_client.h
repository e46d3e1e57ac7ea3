#pragma once
// The host's side of guest_link.h: reaches `vcluster-guestd` in a VM node through the
// cluster's switch and asks it to run things there.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "common/fd.h"
#include "state.h"

namespace vcluster::guest {

class GuestClient {
public:
    // The node's address on the switch; the key is the cluster's (in the state dir).
    GuestClient(const ClusterState& state, int node);

    // Is guestd there and does it take our key? (a booting node is not, yet)
    bool answers(int timeout_ms = 1000) const;
    // A one-line request (spawn, control, pids, kill): returns the reply, whose "ok" may be
    // false (the caller decides); throws when the node cannot be reached.
    nlohmann::json call(const nlohmann::json& request, int timeout_ms = 5000) const;
    // Runs argv in the node with our stdin/stdout/stderr, our environment and directory;
    // returns its exit status as a shell reports it.
    int exec(const std::vector<std::string>& argv) const;

private:
    omx::UniqueFd open(const nlohmann::json& request, int timeout_ms) const;
    const ClusterState& state_;
    int node_;
};

// Our environment as a JSON object (what an exec'd or spawned command gets), with
// `path_prefix` put in front of PATH.
nlohmann::json environment_with_path(const std::string& path_prefix);

}  // namespace vcluster::guest
