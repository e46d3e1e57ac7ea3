#include "node_table.h"

#include <algorithm>

namespace omx {

NodeTable::NodeTable(std::chrono::milliseconds down_timeout, uint32_t seed)
    : down_timeout_(down_timeout), rng_(seed) {}

void NodeTable::configure(const NodeSet& set, uint16_t self) {
    std::map<uint16_t, NodeRecord> next;
    for (const auto& [id, n] : set) {
        NodeRecord r;
        if (auto old = nodes_.find(id); old != nodes_.end()) r = old->second;
        r.id = id;
        r.ipv4 = n.ipv4;
        r.host = n.host;
        next[id] = std::move(r);
    }
    nodes_ = std::move(next);
    self_ = self;
}

bool NodeTable::add_node(uint16_t id, uint32_t ipv4) {
    if (nodes_.count(id)) return false;
    NodeRecord r;
    r.id = id;
    r.ipv4 = {ipv4};
    nodes_[id] = r;
    return true;
}

void NodeTable::clear() {
    nodes_.clear();
    self_ = 0;
}

bool NodeTable::knows_address(uint16_t id, uint32_t ipv4) const {
    auto it = nodes_.find(id);
    return it != nodes_.end() &&
           std::find(it->second.ipv4.begin(), it->second.ipv4.end(), ipv4) != it->second.ipv4.end();
}

const NodeRecord* NodeTable::find(uint16_t id) const {
    auto it = nodes_.find(id);
    return it == nodes_.end() ? nullptr : &it->second;
}

void NodeTable::set_self(const LoadEntry& e, Clock::time_point now) {
    auto it = nodes_.find(self_);
    if (it == nodes_.end()) return;
    it->second.latest = e;
    it->second.heard_at = now;
    it->second.up = true;
}

bool NodeTable::merge(const LoadEntry& e, Clock::time_point now) {
    if (e.id == self_) return false;
    auto it = nodes_.find(e.id);
    if (it == nodes_.end()) return false;
    auto& r = it->second;
    if (r.latest && !e.fresher_than(*r.latest)) return false;
    auto heard = now - std::chrono::milliseconds(e.age_ms);
    // A relayed copy can be newer by counter yet estimate an older age (clock skew of the
    // relays' holding times); never move heard_at backwards.
    if (r.latest && heard < r.heard_at) heard = r.heard_at;
    r.latest = e;
    r.heard_at = heard;
    return true;
}

std::vector<Transition> NodeTable::update_liveness(Clock::time_point now) {
    std::vector<Transition> changes;
    for (auto& [id, r] : nodes_) {
        if (id == self_) continue;
        bool up = r.latest && now - r.heard_at < down_timeout_;
        if (up != r.up) {
            double silent = r.latest ? std::chrono::duration<double>(now - r.heard_at).count() : 0;
            changes.push_back({id, up, silent});
            r.up = up;
        }
    }
    return changes;
}

std::vector<uint16_t> NodeTable::pick_gossip_targets(size_t fanout) {
    std::vector<uint16_t> peers;
    for (const auto& [id, r] : nodes_)
        if (id != self_) peers.push_back(id);
    std::shuffle(peers.begin(), peers.end(), rng_);
    if (peers.size() > fanout) peers.resize(fanout);
    return peers;
}

std::vector<LoadEntry> NodeTable::gossip_entries(Clock::time_point now, size_t max_entries) {
    std::vector<LoadEntry> out;
    auto self = nodes_.find(self_);
    if (self == nodes_.end() || !self->second.latest) return out;
    out.push_back(*self->second.latest);
    out.back().age_ms = 0;
    std::vector<LoadEntry> others;
    for (const auto& [id, r] : nodes_) {
        if (id == self_ || !r.latest || !r.up) continue;  // only relay what is alive
        LoadEntry e = *r.latest;
        auto age = std::chrono::duration_cast<std::chrono::milliseconds>(now - r.heard_at).count();
        e.age_ms = uint32_t(std::clamp<long long>(age, 0, 0xffffffffLL));
        others.push_back(e);
    }
    if (others.size() + 1 > max_entries) {
        std::shuffle(others.begin(), others.end(), rng_);
        others.resize(max_entries - 1);
    }
    out.insert(out.end(), others.begin(), others.end());
    return out;
}

size_t NodeTable::up_count() const {
    return size_t(std::count_if(nodes_.begin(), nodes_.end(),
                                [](const auto& kv) { return kv.second.up; }));
}

}  // namespace omx
