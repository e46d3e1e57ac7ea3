#pragma once
// The figures every report shows alike (counts, status words, per-node load and moves), so
// the text, JUnit and HTML writers never disagree. Internal to harness/report.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>

#include "common/run_record.h"

namespace omx::harness::figures {

struct Counts {
    int passed = 0, failed = 0, broken = 0, skipped = 0;
};

inline Counts count(const RunRecord& r) {
    Counts c;
    for (const auto& t : r.tests) {
        if (t.status == Status::Pass) ++c.passed;
        if (t.status == Status::Fail) ++c.failed;
        if (t.status == Status::Broken) ++c.broken;
        if (t.status == Status::Skip) ++c.skipped;
    }
    return c;
}

inline const char* status_word(Status s) {
    switch (s) {
        case Status::Pass:
            return "PASSED";
        case Status::Fail:
            return "FAILED";
        case Status::Broken:
            return "BROKEN";
        case Status::Skip:
            return "SKIPPED";
    }
    return "?";
}

struct NodeFigures {
    double load_sum = 0, load_max = 0, mem_max = 0;
    int samples = 0, in = 0, out = 0;
    double mean_load() const { return samples ? load_sum / samples : 0.0; }
};

// Per node: its load and memory over the run, and the processes that came and left.
inline std::map<uint16_t, NodeFigures> node_figures(const RunRecord& r) {
    std::map<uint16_t, NodeFigures> f;
    for (const auto& n : r.nodes) f[n.id];
    for (const auto& s : r.samples) {
        if (!std::isfinite(s.load) || !std::isfinite(s.mem_used_mb)) continue;   // a sample that could not be read
        auto& x = f[s.node];
        x.load_sum += s.load;
        x.load_max = std::max(x.load_max, s.load);
        x.mem_max = std::max(x.mem_max, s.mem_used_mb);
        ++x.samples;
    }
    for (const auto& m : r.migrations)
        if (m.outcome == "arrived" || m.outcome == "home") {
            ++f[m.to].in;
            ++f[m.from].out;
        }
    return f;
}

// omxd's load is 100 per CPU-bound process; people read "processes".
inline double processes(double load) { return load / 100.0; }

inline std::string lost_text(const NodeInfo& n) {
    return fmt::format("LOST at {:.0f} s: {}", n.lost_at, n.lost_reason);
}

}  // namespace omx::harness::figures
