#pragma once
// What the node's cgroup allows: CPU quota and memory limit, and CPU time used.
// Understands cgroup v1 (per-controller hierarchies) and v2 (unified). On a real node
// the daemon usually sits in the root group and everything here is "no limit".
#include <cstdint>
#include <optional>
#include <string>

namespace omx {

class CgroupView {
public:
    // Reads /proc/self/cgroup and /proc/self/mountinfo once.
    static CgroupView detect();

    // Cores the CPU quota allows (e.g. 0.25), or nullopt when unlimited.
    std::optional<double> cpu_quota_cores() const;
    // Total CPU time used by the group in ns, or nullopt outside a group.
    std::optional<uint64_t> cpu_usage_ns() const;
    std::optional<uint64_t> memory_limit_bytes() const;
    std::optional<uint64_t> memory_usage_bytes() const;

    bool in_group() const { return !cpu_dir_.empty() || !acct_dir_.empty(); }

private:
    bool v2_ = false;
    std::string cpu_dir_;   // v1 cpu controller dir or v2 group dir
    std::string acct_dir_;  // v1 cpuacct dir or v2 group dir
    std::string mem_dir_;   // v1 memory dir or v2 group dir
};

std::optional<uint64_t> read_u64_file(const std::string& path);

}  // namespace omx
