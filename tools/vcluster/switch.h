#pragma once
// The cluster's switch: a bridge in a network namespace of its own, held by a process, so
// no node traffic ever reaches the host's interfaces. Every backend plugs its nodes into
// it by a port named switch_port_name(id) (a veth end for netns nodes, a TAP for VMs), and
// breaks and mends the network by acting on those ports.
#include <string>
#include <vector>

#include "state.h"

namespace vcluster {

inline constexpr const char* kSwitchBridge = "br0";   // the main bridge every port joins

// Starts the switch holder and its bridge (with the switch address); recorded in `state`.
void create_switch(ClusterState& state);

// The node's port goes dead (peers see silence) or comes back.
void set_port_up(const ClusterState& state, int node, bool up);

// Moves `nodes`' ports onto a second bridge of their own; heal_ports moves them back.
void partition_ports(ClusterState& state, const std::vector<int>& nodes);
void heal_ports(ClusterState& state);

// A fresh TAP port for node `id` on the main bridge (a VM's network card plugs into it).
void add_tap_port(const ClusterState& state, int id);

}  // namespace vcluster
