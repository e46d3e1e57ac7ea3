#include "subtests.h"

#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace omx::stress {

std::vector<SubtestName> select_subtests(const std::string& only, const std::vector<SubtestName>& all) {
    if (only.empty()) return all;
    std::vector<std::string> wanted;
    std::istringstream in(only);
    for (std::string item; std::getline(in, item, ',');)
        if (!item.empty()) wanted.push_back(item);
    std::vector<bool> picked(all.size(), false);
    for (const auto& w : wanted) {
        bool known = false;
        for (size_t i = 0; i < all.size(); ++i)
            if (w == all[i].name || (w.size() == 1 && w[0] == all[i].letter)) picked[i] = known = true;
        if (!known) throw std::invalid_argument("no sub-test '" + w + "'");
    }
    std::vector<SubtestName> out;
    for (size_t i = 0; i < all.size(); ++i)
        if (picked[i]) out.push_back(all[i]);
    return out;
}

std::string subtest_line(const SubtestOutcome& s) {
    char head[64];
    std::snprintf(head, sizeof head, "[%c] %-10s %s", s.which.letter, s.which.name.c_str(), verdict_word(s.outcome.verdict));
    return std::string(head) + (s.outcome.detail.empty() ? "" : "  " + s.outcome.detail);
}

Outcome combine_subtests(const std::vector<SubtestOutcome>& results) {
    std::string failed, first_reason;
    int passed = 0, skipped = 0;
    for (const auto& r : results) {
        if (r.outcome.verdict == Verdict::fail) {
            failed += (failed.empty() ? "" : ",") + r.which.name;
            if (first_reason.empty()) first_reason = r.which.name + ": " + r.outcome.detail;
        }
        passed += r.outcome.verdict == Verdict::pass;
        skipped += r.outcome.verdict == Verdict::skip;
    }
    if (!failed.empty()) return Outcome::fail("failed: " + failed + " (" + first_reason + ")");
    std::string counts = std::to_string(passed) + " passed, " + std::to_string(skipped) + " skipped";
    if (passed == 0) return Outcome::skip(results.empty() ? "no sub-test run" : "every sub-test skipped: " + results.front().outcome.detail);
    return Outcome::pass(counts);
}

}  // namespace omx::stress
