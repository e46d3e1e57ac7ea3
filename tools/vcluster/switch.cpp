#include "switch.h"

#include <fmt/format.h>

#include <algorithm>

#include "namespaces.h"
#include "plan.h"

namespace vcluster {
namespace {
constexpr const char* kBridge = kSwitchBridge;
constexpr const char* kPartitionBridge = "br1";
}  // namespace

void create_switch(ClusterState& state) {
    state.switch_holder = spawn_holder(CLONE_NEWNET | CLONE_NEWNS, "vcluster-switch", {}, [] {});
    save_state(state);
    run_in_netns(state.switch_holder, {"ip", "-batch", "-"},
                 fmt::format("link set lo up\n"
                             "link add {0} type bridge mcast_snooping 0\n"
                             "link set {0} up\n"
                             "addr add {1}/{2} dev {0}\n",
                             kBridge, kSwitchAddress, kPrefixLength));
}

void set_port_up(const ClusterState& state, int node, bool up) {
    run_in_netns(state.switch_holder, {"ip", "link", "set", switch_port_name(node), up ? "up" : "down"});
}

void partition_ports(ClusterState& state, const std::vector<int>& nodes) {
    std::string batch;
    if (!std::any_of(state.nodes.begin(), state.nodes.end(), [](auto& n) { return n.partitioned; }))
        batch += fmt::format("link add {0} type bridge mcast_snooping 0\nlink set {0} up\n", kPartitionBridge);
    for (int id : nodes) batch += fmt::format("link set {} master {}\n", switch_port_name(id), kPartitionBridge);
    run_in_netns(state.switch_holder, {"ip", "-batch", "-"}, batch);
    for (int id : nodes) state.node(id)->partitioned = true;
}

void heal_ports(ClusterState& state) {
    std::string batch;
    for (const auto& n : state.nodes)
        if (n.partitioned) batch += fmt::format("link set {} master {}\n", switch_port_name(n.id), kBridge);
    if (batch.empty()) return;
    batch += fmt::format("link del {}\n", kPartitionBridge);
    run_in_netns(state.switch_holder, {"ip", "-batch", "-"}, batch);
    for (auto& n : state.nodes) n.partitioned = false;
}

void add_tap_port(const ClusterState& state, int id) {
    // Always a new TAP: one reused from an earlier guest keeps its offload settings and
    // TCP through it then stalls (VCLUSTER-PROBE).
    try {
        run_in_netns(state.switch_holder, {"ip", "link", "del", switch_port_name(id)});
    } catch (const std::exception&) {
        // there was none
    }
    run_in_netns(state.switch_holder, {"ip", "-batch", "-"},
                 fmt::format("tuntap add dev {0} mode tap\n"
                             "link set {0} master {1}\n"
                             "link set {0} up\n",
                             switch_port_name(id), kBridge));
}

}  // namespace vcluster
