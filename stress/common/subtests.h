#pragma once
// A program made of lettered sub-tests (acceptance: the HOWTO's small programs): which to
// run (--only a,c or by name), each one's line, and the program's verdict from theirs.
#include <string>
#include <vector>

#include "program.h"

namespace omx::stress {

struct SubtestName {
    char letter;
    std::string name;
};

// The sub-tests `only` picks ("a,c", "pipe,awk"; "" = all), in their own order; throws
// std::invalid_argument naming what is not one of them.
std::vector<SubtestName> select_subtests(const std::string& only, const std::vector<SubtestName>& all);

struct SubtestOutcome {
    SubtestName which;
    Outcome outcome;
};

// "[a] busyloop   PASS  detail".
std::string subtest_line(const SubtestOutcome& s);

// Any FAIL fails; all skipped (or none run) skips; otherwise PASS. The detail names the
// failed ones (with the first one's reason) or counts the passed and skipped.
Outcome combine_subtests(const std::vector<SubtestOutcome>& results);

}  // namespace omx::stress
