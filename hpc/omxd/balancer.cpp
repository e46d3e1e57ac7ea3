#include "balancer.h"

#include <algorithm>
#include <map>

namespace omx {

double process_rate(const BalanceNode& n, double runq) {
    double share = runq <= n.cpus ? 1.0 : n.cpus / runq;
    return n.speed / 100.0 * share;
}

namespace {

std::optional<BalanceMove> choose_move_excluding(uint16_t self, const std::vector<BalanceNode>& nodes,
                                                 const std::vector<BalanceProcess>& processes,
                                                 const BalanceTuning& tuning, std::mt19937& rng,
                                                 const std::vector<uint16_t>& excluded);

bool worth_moving(const BalanceProcess& p, const BalanceTuning& t) {
    return p.demand >= t.min_demand && p.cpu_seconds >= t.min_cpu_seconds && p.since_move_seconds >= t.cooldown_seconds;
}

// The time a move costs the process against the time it gains: it is expected to run
// about as long again as it has (the older a job, the longer it lasts).
bool pays_off(const BalanceProcess& p, double gain, const BalanceTuning& t) {
    double transfer = double(p.bytes) / std::max(1.0, t.bandwidth);
    double remaining = std::max(p.age_seconds, p.cpu_seconds);
    double saved = remaining * (1.0 - 1.0 / gain);
    return transfer <= t.max_cost_share * saved;
}

bool under_threshold(const BalanceNode& n, uint64_t extra, const BalanceTuning& t) {
    if (n.total_bytes == 0) return false;   // unknown: never the reason to move or refuse
    double left = double(n.free_bytes) - double(extra);
    return left < t.min_free_share * double(n.total_bytes);
}

// What a move does to the view of the cluster, until the next gossip tells.
void apply(const BalanceMove& m, const BalanceProcess& p, std::vector<BalanceNode>& nodes) {
    for (auto& n : nodes) {
        if (n.id == m.from) {
            n.runq = std::max(0.0, n.runq - p.demand);
            if (n.sustained_runq >= 0) n.sustained_runq = std::max(0.0, n.sustained_runq - p.demand);
            n.free_bytes += p.bytes;
        } else if (n.id == m.to) {
            n.runq += p.demand;
            if (n.sustained_runq >= 0) n.sustained_runq += p.demand;
            n.free_bytes = n.free_bytes > p.bytes ? n.free_bytes - p.bytes : 0;
        }
    }
}

}  // namespace

bool may_go(uint16_t self, const BalanceProcess& p, const BalanceNode& t, const BalanceTuning& tuning) {
    if (t.id != self) {   // home always takes its own back, whatever its state or the mask
        if (!t.accepts) return false;
        if (!p.allowed.empty() && std::find(p.allowed.begin(), p.allowed.end(), t.id) == p.allowed.end()) return false;
    }
    return !under_threshold(t, p.bytes, tuning);
}

std::optional<BalanceMove> choose_usher(uint16_t self, const std::vector<BalanceNode>& nodes,
                                        const std::vector<BalanceProcess>& processes, const BalanceTuning& tuning) {
    std::map<uint16_t, const BalanceNode*> by_id;
    for (const auto& n : nodes) by_id[n.id] = &n;
    std::vector<const BalanceProcess*> short_of_memory;
    for (const auto& p : processes) {
        auto here = by_id.find(p.on);
        if (here != by_id.end() && !here->second->keeps && under_threshold(*here->second, 0, tuning))
            short_of_memory.push_back(&p);
    }
    // The biggest that fits somewhere: one move frees the most.
    std::sort(short_of_memory.begin(), short_of_memory.end(), [](auto* a, auto* b) { return a->bytes > b->bytes; });
    for (const BalanceProcess* p : short_of_memory) {
        const BalanceNode* best = nullptr;
        for (const auto& t : nodes) {
            if (t.id == p->on || !may_go(self, *p, t, tuning) || under_threshold(t, p->bytes, tuning)) continue;
            if (!best || t.free_bytes > best->free_bytes) best = &t;
        }
        if (best) return BalanceMove{p->pid, p->on, best->id, 1.0, true};
    }
    return std::nullopt;
}

std::vector<BalanceMove> plan_round(uint16_t self, std::vector<BalanceNode> nodes, std::vector<BalanceProcess> processes,
                                    const BalanceTuning& tuning, std::mt19937& rng, size_t max_moves) {
    std::vector<BalanceMove> moves;
    auto take = [&](const BalanceMove& m) {
        auto it = std::find_if(processes.begin(), processes.end(), [&](const auto& p) { return p.pid == m.pid; });
        apply(m, *it, nodes);
        processes.erase(it);
        moves.push_back(m);
    };
    if (auto m = choose_usher(self, nodes, processes, tuning)) take(*m);
    std::vector<uint16_t> used;   // a target chosen this round is left out: that is the herd
    while (moves.size() < max_moves) {
        auto m = choose_move_excluding(self, nodes, processes, tuning, rng, used);
        if (!m) break;
        used.push_back(m->to);
        take(*m);
    }
    return moves;
}

std::optional<BalanceMove> choose_move(uint16_t self, const std::vector<BalanceNode>& nodes,
                                       const std::vector<BalanceProcess>& processes, const BalanceTuning& tuning,
                                       std::mt19937& rng) {
    return choose_move_excluding(self, nodes, processes, tuning, rng, {});
}

namespace {

std::optional<BalanceMove> choose_move_excluding(uint16_t self, const std::vector<BalanceNode>& nodes,
                                                 const std::vector<BalanceProcess>& processes,
                                                 const BalanceTuning& tuning, std::mt19937& rng,
                                                 const std::vector<uint16_t>& excluded) {
    std::map<uint16_t, const BalanceNode*> by_id;
    for (const auto& n : nodes) by_id[n.id] = &n;
    std::vector<BalanceMove> options;
    double best = 0;
    for (const auto& p : processes) {
        auto here = by_id.find(p.on);
        if (here == by_id.end() || here->second->keeps || !p.cpu_moves || !worth_moving(p, tuning)) continue;
        const BalanceNode& h = *here->second;
        double rate_now = process_rate(h, h.sustained_runq >= 0 ? std::min(h.runq, h.sustained_runq) : h.runq);
        for (const auto& t : nodes) {
            if (t.id == p.on || !may_go(self, p, t, tuning)) continue;
            if (std::find(excluded.begin(), excluded.end(), t.id) != excluded.end()) continue;
            double gain = process_rate(t, t.runq + p.demand) / std::max(rate_now, 1e-9);
            if (gain <= 1.0 + tuning.margin || !pays_off(p, gain, tuning)) continue;
            options.push_back({p.pid, p.on, t.id, gain});
            best = std::max(best, gain);
        }
    }
    if (options.empty()) return std::nullopt;
    std::vector<BalanceMove> near_best;
    for (const auto& o : options)
        if (o.gain >= best * 0.9) near_best.push_back(o);
    return near_best[std::uniform_int_distribution<size_t>(0, near_best.size() - 1)(rng)];
}

}  // namespace

}  // namespace omx
