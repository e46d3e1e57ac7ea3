#include "cgroups.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "plan.h"
#include "state.h"

namespace fs = std::filesystem;

namespace vcluster {

bool CgroupHierarchy::has(const std::string& c) const {
    return std::find(controllers.begin(), controllers.end(), c) != controllers.end();
}

static std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::string item;
    std::istringstream in(s);
    while (std::getline(in, item, sep)) out.push_back(item);
    return out;
}

static std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

static const std::vector<std::string> kWanted = {"cpu", "cpuacct", "memory"};

std::vector<CgroupHierarchy> parse_cgroups(const std::string& mountinfo, const std::string& self_cgroup) {
    // /proc/self/cgroup: "4:memory:/path", "2:cpu,cpuacct:/", "0::/path" (v2).
    std::vector<std::pair<std::vector<std::string>, std::string>> membership;
    std::string v2_path;
    for (const auto& line : split(self_cgroup, '\n')) {
        auto parts = split(line, ':');
        if (parts.size() < 3) continue;
        std::string path = line.substr(parts[0].size() + parts[1].size() + 2);
        if (parts[1].empty()) v2_path = path;
        else membership.emplace_back(split(parts[1], ','), path);
    }
    std::vector<CgroupHierarchy> v1, v2;
    for (const auto& line : split(mountinfo, '\n')) {
        // "... mountpoint opts ... - fstype source superopts"
        auto dash = line.find(" - ");
        if (dash == std::string::npos) continue;
        std::istringstream pre(line.substr(0, dash)), post(line.substr(dash + 3));
        std::string id, parent, devno, root, mountpoint, fstype, source, superopts;
        pre >> id >> parent >> devno >> root >> mountpoint;
        post >> fstype >> source >> superopts;
        if (fstype == "cgroup2") {
            auto controllers = split(slurp(mountpoint + "/cgroup.controllers"), ' ');
            for (auto& c : controllers) c.erase(std::remove(c.begin(), c.end(), '\n'), c.end());
            v2.push_back({mountpoint, v2_path.empty() ? "/" : v2_path, controllers, true});
        } else if (fstype == "cgroup") {
            std::vector<std::string> controllers;
            for (const auto& opt : split(superopts, ','))
                if (std::find(kWanted.begin(), kWanted.end(), opt) != kWanted.end()) controllers.push_back(opt);
            if (controllers.empty()) continue;
            std::string own = "/";
            for (const auto& [names, path] : membership)
                if (std::find(names.begin(), names.end(), controllers.front()) != names.end()) own = path;
            v1.push_back({mountpoint, own, controllers, false});
        }
    }
    // A v1 controller that is mounted wins: on hybrid hosts the v2 tree has none of ours.
    if (!v1.empty()) return v1;
    for (auto& h : v2) {
        std::vector<std::string> usable;
        for (const auto& c : h.controllers)
            if (c == "cpu" || c == "memory") usable.push_back(c);
        h.controllers = usable;
    }
    v2.erase(std::remove_if(v2.begin(), v2.end(), [](auto& h) { return h.controllers.empty(); }), v2.end());
    return v2;
}

std::vector<CgroupHierarchy> detect_cgroups() {
    return parse_cgroups(slurp("/proc/self/mountinfo"), slurp("/proc/self/cgroup"));
}

static void write_file(const std::string& path, const std::string& value) {
    std::ofstream out(path);
    out << value;
    out.flush();
    if (!out) throw std::runtime_error(fmt::format("cannot write '{}' to {}: {}", value, path, std::strerror(errno)));
}

static void enable_v2_controllers(const std::string& dir, const std::vector<std::string>& controllers) {
    for (const auto& c : controllers) {
        std::ofstream out(dir + "/cgroup.subtree_control");
        out << "+" << c;   // best effort: already enabled or not delegable is fine here
    }
}

std::string cgroup_group_name() {
    // Clusters with different state dirs may run side by side: each gets its own group.
    std::string dir = state_dir();
    if (dir == "/run/vcluster") return "vcluster";
    return fmt::format("vcluster-{:08x}", uint32_t(std::hash<std::string>{}(dir)));
}

NodeCgroups create_node_cgroups(const std::vector<CgroupHierarchy>& hs, int id) {
    NodeCgroups out;
    for (const auto& h : hs) {
        std::string base = h.v2 ? h.mount : h.mount + (h.own_path == "/" ? "" : h.own_path);
        std::string parent = base + "/" + cgroup_group_name();
        if (h.v2) enable_v2_controllers(h.mount, h.controllers);
        fs::create_directories(parent);
        if (h.v2) enable_v2_controllers(parent, h.controllers);
        std::string dir = fmt::format("{}/node{}", parent, id);
        fs::create_directories(dir);
        out.parents.push_back(parent);
        out.dirs.push_back(dir);
    }
    return out;
}

static bool exists(const std::string& p) { return ::access(p.c_str(), F_OK) == 0; }

void set_cpu_share(const std::vector<std::string>& dirs, double cores) {
    auto quota = cfs_quota_us(cores);
    for (const auto& d : dirs) {
        if (exists(d + "/cpu.max")) {
            write_file(d + "/cpu.max", quota ? fmt::format("{} {}", *quota, kCfsPeriodUs)
                                             : fmt::format("max {}", kCfsPeriodUs));
        } else if (exists(d + "/cpu.cfs_quota_us")) {
            write_file(d + "/cpu.cfs_period_us", std::to_string(kCfsPeriodUs));
            write_file(d + "/cpu.cfs_quota_us", quota ? std::to_string(*quota) : "-1");
        }
    }
}

void set_memory_limit(const std::vector<std::string>& dirs, long mib) {
    for (const auto& d : dirs) {
        if (exists(d + "/memory.max"))
            write_file(d + "/memory.max", mib > 0 ? std::to_string(mib << 20) : "max");
        else if (exists(d + "/memory.limit_in_bytes"))
            write_file(d + "/memory.limit_in_bytes", mib > 0 ? std::to_string(mib << 20) : "-1");
    }
}

std::vector<omx::UniqueFd> open_procs_files(const std::vector<std::string>& dirs) {
    std::vector<omx::UniqueFd> fds;
    for (const auto& d : dirs) {
        omx::UniqueFd fd(::open((d + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC));
        if (!fd) throw std::runtime_error(fmt::format("cannot open {}/cgroup.procs: {}", d, std::strerror(errno)));
        fds.push_back(std::move(fd));
    }
    return fds;
}

void move_pid(const std::vector<omx::UniqueFd>& procs, int pid) {
    std::string text = std::to_string(pid);
    for (const auto& fd : procs)
        if (::write(fd.get(), text.data(), text.size()) < 0)
            throw std::runtime_error(fmt::format("cannot move pid {} into its node's cgroup: {}", pid, std::strerror(errno)));
}

std::vector<std::string> remove_cgroups(const std::vector<std::string>& dirs) {
    std::vector<std::string> left;
    for (const auto& d : dirs) {
        bool gone = false;
        for (int attempt = 0; attempt < 50 && !gone; ++attempt) {
            gone = ::rmdir(d.c_str()) == 0 || errno == ENOENT;
            if (!gone && errno != EBUSY) break;
            if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(40));
        }
        if (!gone) left.push_back(d);
    }
    return left;
}

}  // namespace vcluster
