#pragma once
// What a virtual cluster looks like on paper: node names, addresses, link names and the
// files each node gets in its /etc. Pure functions, so every backend (netns today, UML and
// QEMU later) lays nodes out the same way and the unit tests can check it without root.
#include <optional>
#include <string>
#include <vector>

namespace vcluster {

// Nodes live on 10.210.0.0/24: node i is 10.210.0.i, so its autodiscovery id (the low 16
// bits of its address) is i as well; the switch (bridge) is .254.
inline constexpr int kMaxNodes = 250;
inline constexpr const char* kSubnetPrefix = "10.210.0.";
inline constexpr const char* kSwitchAddress = "10.210.0.254";
inline constexpr int kPrefixLength = 24;

std::string node_address(int id);    // "10.210.0.<id>"
std::string node_hostname(int id);   // "node<id>"
std::string switch_port_name(int id);  // the bridge side of node id's veth: "vc<id>"

// /etc/hosts of every node: localhost, the switch and all nodes by name.
std::string hosts_file(int nodes);
// /etc/openmosix.map of every node in map mode: one range line.
std::string map_file(int nodes);

// The files a node gets in its /etc, whatever the backend: hostname, hosts, the map (when
// `with_map`) and the cluster key (root-only; none when key_hex is empty: a bare node).
struct EtcFile {
    std::string path;   // relative to /etc
    std::string text;
    unsigned mode = 0644;
};
std::vector<EtcFile> node_etc_files(int id, int nodes, bool with_map, const std::string& key_hex);

// Parses a node id argument against a cluster of `nodes` nodes ("3", "node3").
// Throws std::invalid_argument naming the bad value and the valid range.
int parse_node_id(const std::string& text, int nodes);

// CPU share of a node in cores ("0.5" = half of one core, "0" = no limit).
// Throws std::invalid_argument on a negative, non-numeric or absurd value.
double parse_cpu_share(const std::string& text);

// CFS quota for a share, in microseconds per 100 ms period; nullopt = unlimited.
inline constexpr long kCfsPeriodUs = 100000;
std::optional<long> cfs_quota_us(double cores);

}  // namespace vcluster
