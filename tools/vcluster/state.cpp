#include "state.h"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace vcluster {

// Start time of a living process; nullopt for no process or a zombie (a dead holder whose
// parent, often an init that is slow to reap, has not collected it yet).
static std::optional<uint64_t> read_start_time(int pid) {
    std::ifstream in(fmt::format("/proc/{}/stat", pid));
    std::string line;
    if (pid <= 0 || !std::getline(in, line)) return std::nullopt;
    // The command name may hold spaces and parentheses: fields resume after the last ')'.
    auto close = line.rfind(')');
    if (close == std::string::npos || close + 2 >= line.size()) return std::nullopt;
    std::istringstream fields(line.substr(close + 2));
    std::string field;
    for (int i = 3; i <= 22 && fields >> field; ++i) {
        if (i == 3 && (field == "Z" || field == "X")) return std::nullopt;
        if (i == 22) return std::stoull(field);
    }
    return std::nullopt;
}

ProcessRef ProcessRef::of(int pid) {
    return ProcessRef{pid, read_start_time(pid).value_or(0)};
}

bool ProcessRef::alive() const {
    auto now = read_start_time(pid);
    return now && *now == start_time;
}

NodeRecord* ClusterState::node(int id) {
    for (auto& n : nodes)
        if (n.id == id) return &n;
    return nullptr;
}

static nlohmann::json ref_json(const ProcessRef& r) { return {{"pid", r.pid}, {"start_time", r.start_time}}; }
static ProcessRef ref_from(const nlohmann::json& j) {
    return ProcessRef{j.at("pid").get<int>(), j.at("start_time").get<uint64_t>()};
}

void to_json(nlohmann::json& j, const ClusterState& s) {
    j = {{"backend", s.backend},
         {"size", s.size},
         {"autodiscovery", s.autodiscovery},
         {"bin_dir", s.bin_dir},
         {"omxd_args", s.omxd_args},
         {"guest_memory_mb", s.guest_memory_mb},
         {"guest_root", s.guest_root},
         {"switch", ref_json(s.switch_holder)},
         {"libvirt", ref_json(s.libvirt_holder)},
         {"cgroup_parents", s.cgroup_parents},
         {"host_dirs_created", s.host_dirs_created},
         {"host_files_created", s.host_files_created},
         {"nodes", nlohmann::json::array()}};
    for (const auto& n : s.nodes)
        j["nodes"].push_back({{"id", n.id},
                              {"holder", ref_json(n.holder)},
                              {"cgroups", n.cgroups},
                              {"cpu_share", n.cpu_share},
                              {"memory_limit_mb", n.memory_limit_mb},
                              {"partitioned", n.partitioned},
                              {"crashed", n.crashed}});
}

void from_json(const nlohmann::json& j, ClusterState& s) {
    s.backend = j.at("backend").get<std::string>();
    s.size = j.at("size").get<int>();
    s.autodiscovery = j.at("autodiscovery").get<bool>();
    s.bin_dir = j.at("bin_dir").get<std::string>();
    s.omxd_args = j.at("omxd_args").get<std::vector<std::string>>();
    s.guest_memory_mb = j.value("guest_memory_mb", 0L);
    s.guest_root = j.value("guest_root", std::string());
    s.switch_holder = ref_from(j.at("switch"));
    if (j.contains("libvirt")) s.libvirt_holder = ref_from(j.at("libvirt"));
    s.cgroup_parents = j.at("cgroup_parents").get<std::vector<std::string>>();
    s.host_dirs_created = j.at("host_dirs_created").get<std::vector<std::string>>();
    s.host_files_created = j.value("host_files_created", std::vector<std::string>{});
    s.nodes.clear();
    for (const auto& n : j.at("nodes")) {
        NodeRecord r;
        r.id = n.at("id").get<int>();
        r.holder = ref_from(n.at("holder"));
        r.cgroups = n.at("cgroups").get<std::vector<std::string>>();
        r.cpu_share = n.at("cpu_share").get<double>();
        r.memory_limit_mb = n.at("memory_limit_mb").get<long>();
        r.partitioned = n.at("partitioned").get<bool>();
        r.crashed = n.value("crashed", false);
        s.nodes.push_back(std::move(r));
    }
}

std::string state_dir() {
    const char* env = std::getenv("VCLUSTER_DIR");
    return env && *env ? env : "/run/vcluster";
}
std::string state_file() { return state_dir() + "/cluster.json"; }
std::string own_bin_dir() { return std::filesystem::read_symlink("/proc/self/exe").parent_path().string(); }
std::string node_dir(int id) { return fmt::format("{}/node{}", state_dir(), id); }

std::optional<ClusterState> load_state() {
    std::ifstream in(state_file());
    if (!in) return std::nullopt;
    try {
        return nlohmann::json::parse(in).get<ClusterState>();
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(fmt::format("{} is corrupt ({}); remove it and clean up by hand", state_file(), e.what()));
    }
}

void save_state(const ClusterState& s) {
    fs::create_directories(state_dir());
    std::string tmp = state_file() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << nlohmann::json(s).dump(2) << "\n";
        if (!out.flush()) throw std::runtime_error("cannot write " + tmp);
    }
    fs::rename(tmp, state_file());
}

}  // namespace vcluster
