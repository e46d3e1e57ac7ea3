#include "cgroup.h"

#include <fstream>
#include <map>
#include <sstream>
#include <vector>

namespace omx {

std::optional<uint64_t> read_u64_file(const std::string& path) {
    std::ifstream in(path);
    std::string s;
    if (!(in >> s)) return std::nullopt;
    try {
        size_t used = 0;
        long long v = std::stoll(s, &used);
        if (used != s.size() || v < 0) return std::nullopt;
        return uint64_t(v);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::string cur;
    std::istringstream in(s);
    while (std::getline(in, cur, sep)) out.push_back(cur);
    return out;
}

// Mount points of cgroup hierarchies: v1 controller name -> mount dir, "" -> v2 mount.
std::map<std::string, std::string> cgroup_mounts() {
    std::map<std::string, std::string> out;
    std::ifstream in("/proc/self/mountinfo");
    std::string line;
    while (std::getline(in, line)) {
        auto dash = line.find(" - ");
        if (dash == std::string::npos) continue;
        std::istringstream pre(line.substr(0, dash)), post(line.substr(dash + 3));
        std::string id, parent, devno, root, mnt, fstype, source, opts;
        pre >> id >> parent >> devno >> root >> mnt;
        post >> fstype >> source >> opts;
        if (root != "/") continue;  // a bind of a sub-group: not the hierarchy root
        if (fstype == "cgroup2") out.emplace("", mnt);
        if (fstype == "cgroup")
            for (const auto& o : split(opts, ','))
                if (o == "cpu" || o == "cpuacct" || o == "memory") out.emplace(o, mnt);
    }
    return out;
}

}  // namespace

CgroupView CgroupView::detect() {
    CgroupView v;
    auto mounts = cgroup_mounts();
    std::ifstream in("/proc/self/cgroup");
    std::string line;
    std::string v2_path;
    while (std::getline(in, line)) {
        auto c1 = line.find(':'), c2 = line.find(':', c1 + 1);
        if (c1 == std::string::npos || c2 == std::string::npos) continue;
        std::string ctrls = line.substr(c1 + 1, c2 - c1 - 1), path = line.substr(c2 + 1);
        if (ctrls.empty()) {
            v2_path = path;
            continue;
        }
        for (const auto& c : split(ctrls, ',')) {
            auto m = mounts.find(c);
            if (m == mounts.end() || path == "/") continue;
            std::string dir = m->second + path;
            if (c == "cpu") v.cpu_dir_ = dir;
            if (c == "cpuacct") v.acct_dir_ = dir;
            if (c == "memory") v.mem_dir_ = dir;
        }
    }
    if (v.cpu_dir_.empty() && v.acct_dir_.empty() && mounts.count("") && !v2_path.empty() &&
        v2_path != "/") {
        v.v2_ = true;
        v.cpu_dir_ = v.acct_dir_ = v.mem_dir_ = mounts.at("") + v2_path;
    }
    return v;
}

std::optional<double> CgroupView::cpu_quota_cores() const {
    if (cpu_dir_.empty()) return std::nullopt;
    if (v2_) {
        std::ifstream in(cpu_dir_ + "/cpu.max");
        std::string quota, period;
        if (!(in >> quota >> period) || quota == "max") return std::nullopt;
        try {
            double q = std::stod(quota), p = std::stod(period);
            if (q > 0 && p > 0) return q / p;
        } catch (const std::exception&) {
        }
        return std::nullopt;
    }
    std::ifstream qf(cpu_dir_ + "/cpu.cfs_quota_us");
    long long quota = -1;
    if (!(qf >> quota) || quota <= 0) return std::nullopt;
    auto period = read_u64_file(cpu_dir_ + "/cpu.cfs_period_us");
    if (!period || *period == 0) return std::nullopt;
    return double(quota) / double(*period);
}

std::optional<uint64_t> CgroupView::cpu_usage_ns() const {
    if (acct_dir_.empty()) return std::nullopt;
    if (!v2_) return read_u64_file(acct_dir_ + "/cpuacct.usage");
    std::ifstream in(acct_dir_ + "/cpu.stat");
    std::string key;
    uint64_t val;
    while (in >> key >> val)
        if (key == "usage_usec") return val * 1000;
    return std::nullopt;
}

std::optional<uint64_t> CgroupView::memory_limit_bytes() const {
    if (mem_dir_.empty()) return std::nullopt;
    auto v = read_u64_file(mem_dir_ + (v2_ ? "/memory.max" : "/memory.limit_in_bytes"));
    // v1 reports "no limit" as a huge page-rounded number.
    if (v && *v >= (uint64_t(1) << 60)) return std::nullopt;
    return v;
}

std::optional<uint64_t> CgroupView::memory_usage_bytes() const {
    if (mem_dir_.empty()) return std::nullopt;
    return read_u64_file(mem_dir_ + (v2_ ? "/memory.current" : "/memory.usage_in_bytes"));
}

}  // namespace omx
