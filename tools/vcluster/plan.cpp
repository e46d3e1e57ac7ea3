#include "plan.h"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

namespace vcluster {

std::string node_address(int id) { return fmt::format("{}{}", kSubnetPrefix, id); }
std::string node_hostname(int id) { return fmt::format("node{}", id); }
std::string switch_port_name(int id) { return fmt::format("vc{}", id); }

std::string hosts_file(int nodes) {
    std::string text =
        "127.0.0.1\tlocalhost\n"
        "::1\tlocalhost ip6-localhost ip6-loopback\n";
    text += fmt::format("{}\tvcluster-switch\n", kSwitchAddress);
    for (int id = 1; id <= nodes; ++id)
        text += fmt::format("{}\t{}\n", node_address(id), node_hostname(id));
    return text;
}

std::string map_file(int nodes) {
    return fmt::format("# written by vcluster: {} nodes on {}0/{}\n1 {} {}\n", nodes,
                       kSubnetPrefix, kPrefixLength, node_address(1), nodes);
}

std::vector<EtcFile> node_etc_files(int id, int nodes, bool with_map, const std::string& key_hex) {
    std::vector<EtcFile> files = {{"hostname", node_hostname(id) + "\n"}, {"hosts", hosts_file(nodes)}};
    if (with_map) files.push_back({"openmosix.map", map_file(nodes)});
    if (!key_hex.empty()) files.push_back({"openmosix/cluster.key", key_hex + "\n", 0600});
    return files;
}

int parse_node_id(const std::string& text, int nodes) {
    std::string digits = text.rfind("node", 0) == 0 ? text.substr(4) : text;
    bool numeric = !digits.empty() && digits.size() <= 4 &&
                   digits.find_first_not_of("0123456789") == std::string::npos;
    int id = numeric ? std::stoi(digits) : 0;
    if (id < 1 || id > nodes)
        throw std::invalid_argument(fmt::format("no node '{}': the cluster has nodes 1..{}", text, nodes));
    return id;
}

double parse_cpu_share(const std::string& text) {
    size_t used = 0;
    double cores = -1;
    try {
        cores = std::stod(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != text.size() || text.empty() || !std::isfinite(cores) || cores < 0 || cores > 1024)
        throw std::invalid_argument(fmt::format(
            "bad CPU share '{}': give cores as a number, e.g. 0.5 for half a core, 0 for no limit", text));
    if (cores > 0 && cores < 0.01)
        throw std::invalid_argument(fmt::format("CPU share '{}' is below the 0.01 core the kernel can enforce", text));
    return cores;
}

std::optional<long> cfs_quota_us(double cores) {
    if (cores <= 0) return std::nullopt;
    return std::lround(cores * kCfsPeriodUs);
}

}  // namespace vcluster
