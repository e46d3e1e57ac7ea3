#include "balancer.h"

#include <algorithm>
#include <map>

namespace omx {

double process_rate(const BalanceNode& n, double runq) {
    double share = runq <= n.cpus ? 1.0 : n.cpus / runq;
    return n.speed / 100.0 * share;
}

namespace {

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

}  // namespace

std::optional<BalanceMove> choose_move(uint16_t self, const std::vector<BalanceNode>& nodes,
                                       const std::vector<BalanceProcess>& processes, const BalanceTuning& tuning,
                                       std::mt19937& rng) {
    std::map<uint16_t, const BalanceNode*> by_id;
    for (const auto& n : nodes) by_id[n.id] = &n;
    std::vector<BalanceMove> options;
    double best = 0;
    for (const auto& p : processes) {
        auto here = by_id.find(p.on);
        if (here == by_id.end() || !worth_moving(p, tuning)) continue;
        double rate_now = process_rate(*here->second, here->second->runq);
        for (const auto& t : nodes) {
            if (t.id == p.on || (!t.accepts && t.id != self)) continue;   // home always takes its own back
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

}  // namespace omx
