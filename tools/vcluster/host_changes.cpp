#include "host_changes.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>

#include "cgroups.h"
#include "namespaces.h"

namespace fs = std::filesystem;

namespace vcluster {

void ensure_host_dir(ClusterState& state, const std::string& dir) {
    if (!fs::exists(dir)) {
        fs::create_directories(dir);
        state.host_dirs_created.push_back(dir);
    }
    std::string marker = fmt::format("{}/.vcluster-{:08x}", dir, uint32_t(std::hash<std::string>{}(state_dir())));
    std::ofstream(marker) << "a vcluster with state in " << state_dir() << " mounts node dirs over this one\n";
    if (!fs::exists(marker)) throw std::runtime_error(fmt::format("cannot write {}", marker));
    state.host_files_created.push_back(marker);
}

std::vector<std::string> tear_down(ClusterState& state) {
    std::vector<std::string> left;
    for (auto& n : state.nodes) {
        try {
            kill_holder(n.holder);
        } catch (const std::exception& e) {
            left.push_back(fmt::format("node {}: {}", n.id, e.what()));
        }
    }
    try {
        kill_holder(state.switch_holder);
    } catch (const std::exception& e) {
        left.push_back(fmt::format("switch: {}", e.what()));
    }
    for (auto& n : state.nodes)
        for (const auto& d : remove_cgroups(n.cgroups)) left.push_back("cgroup " + d);
    // Parents only go when empty: another cluster (other VCLUSTER_DIR) may use them.
    remove_cgroups(state.cgroup_parents);
    for (const auto& f : state.host_files_created) {
        std::error_code ec;
        fs::remove(f, ec);
    }
    for (const auto& d : state.host_dirs_created) {
        std::error_code ec;
        if (fs::is_empty(d, ec)) fs::remove(d, ec);
    }
    return left;
}

}  // namespace vcluster
