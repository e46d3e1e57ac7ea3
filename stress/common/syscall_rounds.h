#pragma once
// syscalls' rounds: every group run once per round, round 0 at home as the reference; a
// later round passes when each group's record equals the reference's.
#include <functional>
#include <string>
#include <vector>

#include "syscall_groups.h"

namespace omx::stress {

struct GroupOutcome {
    std::string group;
    int node = 0;         // where the process was when the group started
    int node_after = 0;   // and when it ended (a call made at home may bring it there)
    std::string record;   // what the group saw; empty when it failed
    std::string error;    // why the group failed its own check
    double ms = 0;
};

struct Round {
    int index = 0;
    int node = 0;         // where the round was meant to run
    std::vector<GroupOutcome> groups;
    double ms = 0;
};

// Runs `groups` once; where_am_i() says which node the process is on (asked before and
// after each group).
Round run_round(int index, const std::vector<SyscallGroup>& groups, GroupContext& ctx, const std::function<int()>& where_am_i);

// Why `round` is wrong: "" when every group passed its own checks and its record equals
// the reference's; else e.g. "pipes differs in round 3 on node 2: got '...', expected '...'".
std::string compare_round(const Round& reference, const Round& round);

}  // namespace omx::stress
