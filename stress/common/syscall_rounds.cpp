#include "syscall_rounds.h"

#include <chrono>

namespace omx::stress {

namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

std::string where_text(const GroupOutcome& g) {
    std::string s = "on node " + std::to_string(g.node);
    if (g.node_after != g.node) s += " (then node " + std::to_string(g.node_after) + ")";
    return s;
}

}  // namespace

Round run_round(int index, const std::vector<SyscallGroup>& groups, GroupContext& ctx, const std::function<int()>& where_am_i) {
    Round round;
    round.index = index;
    round.node = where_am_i();
    auto t0 = std::chrono::steady_clock::now();
    int node = round.node;
    for (const auto& g : groups) {
        GroupOutcome out;
        out.group = g.name;
        out.node = node;
        auto g0 = std::chrono::steady_clock::now();
        try {
            out.record = g.run(ctx);
        } catch (const std::exception& e) {
            out.error = e.what();
        }
        out.ms = ms_since(g0);
        out.node_after = node = where_am_i();
        round.groups.push_back(std::move(out));
    }
    round.ms = ms_since(t0);
    return round;
}

std::string compare_round(const Round& reference, const Round& round) {
    for (const auto& g : round.groups) {
        std::string at = " in round " + std::to_string(round.index) + " " + where_text(g);
        if (!g.error.empty()) return g.group + " failed" + at + ": " + g.error;
        if (&round == &reference) continue;
        const GroupOutcome* ref = nullptr;
        for (const auto& r : reference.groups)
            if (r.group == g.group) ref = &r;
        if (!ref) return g.group + " has no reference record" + at;
        if (!ref->error.empty()) return g.group + " failed in the reference round: " + ref->error;
        if (g.record != ref->record) return g.group + " differs" + at + ": got '" + g.record + "', expected '" + ref->record + "'";
    }
    return "";
}

}  // namespace omx::stress
