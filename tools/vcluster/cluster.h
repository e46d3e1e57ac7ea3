#pragma once
// The verbs of `vcluster`, on top of a backend: bring a cluster up and wait until every
// daemon sees every node, show its state, run things in nodes, break and mend it.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "backend.h"
#include "state.h"

namespace vcluster {

// What one node looks like from the host: its holder, its daemon, and (when the daemon
// answers) the daemon's own view of the cluster.
struct NodeView {
    int id = 0;
    std::string address;
    bool alive = false;            // the node (holder / VM) exists
    bool daemon_running = false;
    double cpu_share = 0;
    bool partitioned = false;
    std::optional<nlohmann::json> self;   // this node's entry in its own `nodes` table
    int sees_up = 0;                       // nodes its daemon considers up (itself included)
    std::string error;                     // why the daemon did not answer
};

std::string format_status_table(const ClusterState& state, const std::vector<NodeView>& views);
nlohmann::json status_json(const ClusterState& state, const std::vector<NodeView>& views);
// True when every node's daemon answers and sees all `size` nodes up.
bool converged(const std::vector<NodeView>& views, int size);

class Cluster {
public:
    // Throws when no cluster is up.
    static Cluster current();

    // Refuses when a cluster is already up; on failure removes what it created.
    static void up(const std::string& backend, const UpOptions& opt, const std::string& bin_dir,
                   double converge_timeout_s);
    // Idempotent: with nothing up, says so and succeeds.
    static int down();

    std::vector<NodeView> views();
    int exec(int node, const std::vector<std::string>& argv);
    void kill_daemon(int node);
    void revive(int node);
    void crash(int node);   // the whole node dies (link and processes); revive brings it back
    void partition(const std::vector<int>& nodes);
    void heal();
    void slow(int node, double cores);
    std::string log_path(int node) const { return backend_->log_path(node); }
    const ClusterState& state() const { return state_; }
    // Polls until converged; returns the seconds it took, throws naming the laggards.
    double wait_converged(double timeout_s);

private:
    Cluster(ClusterState s);
    ClusterState state_;
    std::unique_ptr<Backend> backend_;
    NodeView view(int id);
};

}  // namespace vcluster
