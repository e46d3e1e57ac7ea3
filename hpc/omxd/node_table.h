#pragma once
// The load vector: what this node knows about every node of the cluster, who is up, and
// whom to gossip to next. Pure logic with the clock passed in, so it is unit-tested
// without sockets.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/map.h"
#include "common/wire.h"

namespace omx {

using Clock = std::chrono::steady_clock;

struct NodeRecord {
    uint16_t id = 0;
    std::vector<uint32_t> ipv4;  // [0] = primary
    std::string host;
    std::optional<LoadEntry> latest;  // freshest information from the node itself
    Clock::time_point heard_at{};     // when the node produced `latest` (our clock)
    bool up = false;
};

// Reports a node going up or down (for the log and the metrics).
struct Transition {
    uint16_t id;
    bool up;
    double silent_s;  // for a down transition: how long it had been silent
};

class NodeTable {
public:
    NodeTable(std::chrono::milliseconds down_timeout, uint32_t seed);

    // Replaces the set of configured nodes (a new map, or an autodiscovery change).
    // Keeps what is known about nodes that stay.
    void configure(const NodeSet& nodes, uint16_t self);
    // Autodiscovery / gossip: adds one node; false if it was already known.
    bool add_node(uint16_t id, uint32_t ipv4);
    void clear();

    bool contains(uint16_t id) const { return nodes_.count(id) != 0; }
    bool knows_address(uint16_t id, uint32_t ipv4) const;
    uint16_t self() const { return self_; }
    const std::map<uint16_t, NodeRecord>& nodes() const { return nodes_; }
    const NodeRecord* find(uint16_t id) const;

    // Our own fresh entry (called every interval before gossiping).
    void set_self(const LoadEntry& e, Clock::time_point now);
    // Merges an entry received from the network; false when stale or about an unknown node.
    bool merge(const LoadEntry& e, Clock::time_point now);
    // Re-evaluates who is up; returns the changes since the last call.
    std::vector<Transition> update_liveness(Clock::time_point now);

    // Up to `fanout` random peers (not self); down nodes included so a revived node is
    // heard again.
    std::vector<uint16_t> pick_gossip_targets(size_t fanout);
    // Entries to send: self first, then every known entry with its age now.
    std::vector<LoadEntry> gossip_entries(Clock::time_point now, size_t max_entries);

    size_t configured() const { return nodes_.size(); }
    size_t up_count() const;

private:
    std::chrono::milliseconds down_timeout_;
    std::mt19937 rng_;
    uint16_t self_ = 0;
    std::map<uint16_t, NodeRecord> nodes_;
};

}  // namespace omx
