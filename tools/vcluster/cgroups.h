#pragma once
// Per-node cgroups: a CPU quota (so nodes can have different speeds) and an optional
// memory limit. cgroup v1 (this machine: cpu, cpuacct, memory hierarchies) and v2 (most
// real hosts) are both handled; node groups are created under vcluster's own group in v1
// (so outer limits still apply) and under the v2 root (the only place v2 lets a group with
// processes of its own be the parent of controlled groups).
#include <optional>
#include <string>
#include <vector>

#include "common/fd.h"

namespace vcluster {

struct CgroupHierarchy {
    std::string mount;                     // e.g. /sys/fs/cgroup/cpu
    std::string own_path;                  // vcluster's group in it, e.g. / or /user.slice
    std::vector<std::string> controllers;  // cpu, cpuacct, memory (v1) or the v2 list
    bool v2 = false;
    bool has(const std::string& controller) const;
};

// The hierarchies we use, from /proc/self/mountinfo and /proc/self/cgroup (or given texts,
// for the unit tests).
std::vector<CgroupHierarchy> detect_cgroups();
std::vector<CgroupHierarchy> parse_cgroups(const std::string& mountinfo, const std::string& self_cgroup);

struct NodeCgroups {
    std::vector<std::string> dirs;      // the node's groups, one per hierarchy
    std::vector<std::string> parents;   // the "vcluster" groups they live in
};

// "vcluster" for the default state dir, "vcluster-<hash>" for another one.
std::string cgroup_group_name();

// Creates node `id`'s groups (and the vcluster parents when missing).
NodeCgroups create_node_cgroups(const std::vector<CgroupHierarchy>& hs, int id);

// Applies a CPU share (cores; 0 = unlimited) and a memory limit (MiB; 0 = unlimited).
void set_cpu_share(const std::vector<std::string>& dirs, double cores);
void set_memory_limit(const std::vector<std::string>& dirs, long mib);

// Opens cgroup.procs of every dir; writing "0" to them moves the writer in (used by a
// forked child just before exec, so whatever runs in a node is accounted to the node).
std::vector<omx::UniqueFd> open_procs_files(const std::vector<std::string>& dirs);
void move_pid(const std::vector<omx::UniqueFd>& procs, int pid);   // 0 = the caller

// rmdir with retries (a group stays busy for a moment after its last task exits).
// Returns the dirs that could not be removed.
std::vector<std::string> remove_cgroups(const std::vector<std::string>& dirs);

}  // namespace vcluster
