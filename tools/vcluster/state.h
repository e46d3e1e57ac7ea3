#pragma once
// The record of a running virtual cluster, kept at <state dir>/cluster.json so that every
// later `vcluster` command (and `down` after a crash halfway through `up`) knows exactly
// what exists: holder processes, cgroups, links, and what was created on the host.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vcluster {

// A process we started, identified by pid and start time so a recycled pid is never
// mistaken for ours.
struct ProcessRef {
    int pid = 0;
    uint64_t start_time = 0;   // field 22 of /proc/<pid>/stat
    bool alive() const;
    static ProcessRef of(int pid);
};

struct NodeRecord {
    int id = 0;
    ProcessRef holder;                  // PID 1 of the node's namespaces
    std::vector<std::string> cgroups;   // directories we created, deepest first
    double cpu_share = 0;               // cores; 0 = unlimited
    long memory_limit_mb = 0;           // 0 = unlimited
    bool partitioned = false;
    bool crashed = false;               // `vcluster crash`: link down, every process killed
};

struct ClusterState {
    std::string backend = "netns";
    int size = 0;                    // nodes asked for
    bool autodiscovery = false;
    std::string bin_dir;             // where omxd and the tools are
    std::vector<std::string> omxd_args;   // extra options every node's omxd gets
    long guest_memory_mb = 0;        // VM backends: each guest's RAM
    std::string guest_root;          // QEMU backends: the host directory that is the guests' root
    ProcessRef switch_holder;        // owns the bridge's network namespace
    ProcessRef libvirt_holder;       // libvirt backend: the libvirtd vcluster started (none when 0)
    std::vector<std::string> cgroup_parents;  // vcluster's own cgroup dirs, removed last
    std::vector<std::string> host_dirs_created;  // e.g. /var/lib/omxd, removed when empty
    std::vector<std::string> host_files_created;  // markers in shared host dirs (host_changes.h)
    std::vector<NodeRecord> nodes;

    NodeRecord* node(int id);
};

void to_json(nlohmann::json& j, const ClusterState& s);
void from_json(const nlohmann::json& j, ClusterState& s);

// $VCLUSTER_DIR, else /run/vcluster.
std::string state_dir();
std::string state_file();
std::string node_dir(int id);   // <state dir>/node<id>
// Where this vcluster binary is: its build's bin dir (omxd and the helper scripts beside it).
std::string own_bin_dir();

// nullopt when no cluster is recorded. Throws std::runtime_error on a corrupt record.
std::optional<ClusterState> load_state();
// Written atomically (temp file + rename): a crash never leaves half a record.
void save_state(const ClusterState& s);

}  // namespace vcluster
