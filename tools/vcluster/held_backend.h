#pragma once
// What every backend whose nodes are held by a holder process (a PID namespace in the node's
// cgroups, plugged into the cluster's switch) does the same way, netns and UML alike:
// finding a node's record, whether it lives, the switch's partition and heal, CPU shares,
// logs and teardown.
#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "backend.h"
#include "cgroups.h"
#include "host_changes.h"
#include "plan.h"
#include "switch.h"

namespace vcluster {

class HeldBackend : public Backend {
public:
    std::vector<std::string> down(ClusterState& state) override { return tear_down(state); }
    bool node_alive(const ClusterState& state, int node) override { return record(state, node).holder.alive(); }
    void partition(ClusterState& state, const std::vector<int>& nodes) override { partition_ports(state, nodes); }
    void heal(ClusterState& state) override { heal_ports(state); }

    void set_cpu_share(ClusterState& state, int node, double cores) override {
        auto* n = state.node(node);
        vcluster::set_cpu_share(n->cgroups, cores);
        n->cpu_share = cores;
    }

    std::string log_path(int node) const override { return node_dir(node) + "/omxd.log"; }

protected:
    // Node `id`'s cgroups made and recorded (with their parents) and its record saved, so
    // that from here on `down` removes the groups even if the rest of `up` fails.
    static NodeRecord add_node_record(ClusterState& state, const std::vector<CgroupHierarchy>& hierarchies, int id) {
        NodeRecord rec;
        rec.id = id;
        auto groups = create_node_cgroups(hierarchies, id);
        rec.cgroups = groups.dirs;
        for (const auto& p : groups.parents)
            if (std::find(state.cgroup_parents.begin(), state.cgroup_parents.end(), p) == state.cgroup_parents.end())
                state.cgroup_parents.push_back(p);
        state.nodes.push_back(rec);
        save_state(state);
        return rec;
    }

    static const NodeRecord& record(const ClusterState& state, int node) {
        for (const auto& n : state.nodes)
            if (n.id == node) return n;
        throw std::invalid_argument(fmt::format("no node {} in this cluster", node));
    }
};

}  // namespace vcluster
