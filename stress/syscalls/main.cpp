// syscalls (HOWTO 13.3's kernel syscall test, under migration): groups of system calls run
// at home for a reference, then round after round on the next node of the cluster, the
// process asking omxd to move itself before each round; every record must equal home's.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <optional>

#include "cluster.h"
#include "program.h"
#include "syscall_rounds.h"

using namespace omx::stress;

namespace {

struct Options {
    int rounds = 5;
    bool hop = true;
    std::vector<std::string> groups;
    GroupContext ctx;
};

void print_round(const Round& r) {
    for (const auto& g : r.groups) {
        std::string node = g.node ? std::to_string(g.node) : "-";
        if (g.node_after != g.node) node += ">" + (g.node_after ? std::to_string(g.node_after) : "-");
        std::printf("%-5d %-6s %-9s %-4s %8.1f%s%s\n", r.index, node.c_str(), g.group.c_str(), g.error.empty() ? "ok" : "FAIL",
                    g.ms, g.error.empty() ? "" : "  ", g.error.c_str());
    }
    std::printf("round %d: %zu groups in %.1f ms\n", r.index, r.groups.size(), r.ms);
    std::fflush(stdout);
}

// Moves this process to `target` (asked by a helper child) and checks it got there.
std::string hop_to(int target, int self) {
    pid_t me = ::getpid();
    MoveReply reply = request_move_from_helper(me, move_target(target, self));
    if (!reply.ok) return "could not move to node " + std::to_string(target) + ": " + reply.error;
    int now = node_of(me, self);
    if (now != target) return "asked to go to node " + std::to_string(target) + ", runs on node " + std::to_string(now);
    return "";
}

// Which rounds a group ended on another node than it started (a call made at home).
std::string came_home_note(const std::vector<Round>& rounds) {
    std::map<std::string, std::string> where;
    for (const auto& r : rounds)
        for (const auto& g : r.groups)
            if (g.node_after != g.node) where[g.group] += (where[g.group].empty() ? "" : ",") + std::to_string(r.index);
    std::string note;
    for (const auto& [group, list] : where) note += "; " + group + " brought it home in round(s) " + list;
    return note;
}

std::string timing_note(const std::vector<Round>& rounds, int self) {
    double home = 0, away = 0;
    int n_home = 0, n_away = 0;
    for (const auto& r : rounds) {
        if (r.node == self) home += r.ms, ++n_home;
        else away += r.ms, ++n_away;
    }
    char buf[128];
    std::snprintf(buf, sizeof buf, "; round at home %.0f ms", n_home ? home / n_home : 0.0);
    std::string s = buf;
    if (n_away) std::snprintf(buf, sizeof buf, ", away %.0f ms", away / n_away), s += buf;
    return s;
}

Outcome run(const Options& opt) {
    auto groups = select_groups(opt.groups);
    auto view = cluster_view();
    int self = view ? view->self : 0;
    bool hop = opt.hop && view && !view->others().empty();
    auto where_am_i = [&] { return view ? node_of(::getpid(), self) : 0; };
    GroupContext ctx = opt.ctx;
    std::printf("%-5s %-6s %-9s %-4s %8s\n", "round", "node", "group", "ok", "ms");
    std::vector<Round> rounds{run_round(0, groups, ctx, where_am_i)};
    print_round(rounds[0]);
    std::string first_failure = compare_round(rounds[0], rounds[0]);
    int last = self, moves = 0;
    for (int i = 1; i <= opt.rounds && first_failure.empty(); ++i) {
        if (hop) {
            int target = next_stop(view->up, last, where_am_i());
            if (auto why = hop_to(target, self); !why.empty()) return Outcome::fail("round " + std::to_string(i) + ": " + why);
            last = target, ++moves;
        }
        rounds.push_back(run_round(i, groups, ctx, where_am_i));
        print_round(rounds.back());
        first_failure = compare_round(rounds[0], rounds.back());
    }
    if (!first_failure.empty()) return Outcome::fail(first_failure);
    std::string detail = std::to_string(groups.size()) + " groups x " + std::to_string(opt.rounds) + " rounds equal to home's";
    if (!view) detail += "; omxd is not running: no moves, every round at home";
    else if (!opt.hop) detail += "; --no-hop: every round at home";
    else if (!hop) detail += "; no other node is up: every round at home";
    else detail += "; moved " + std::to_string(moves) + " times" + came_home_note(rounds);
    return Outcome::pass(detail + timing_note(rounds, self));
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app("syscalls: system call groups run at home, then on every node in turn; each result must equal home's", "syscalls");
    Options opt;
    app.add_option("-r,--rounds", opt.rounds, "rounds after the reference round at home (default 5)")->check(CLI::Range(0, 100000));
    app.add_flag("--hop,!--no-hop", opt.hop, "move to the next up node before each round (default: on when omxd answers)");
    app.add_option("-d,--dir", opt.ctx.dir, "where the files group makes its temporary directory (default /tmp)")
        ->check(CLI::ExistingDirectory);
    app.add_option("--file-bytes", opt.ctx.file_bytes, "bytes the files group writes (default 65536)")->check(CLI::Range(16, 1 << 30));
    app.add_option("--pipe-bytes", opt.ctx.pipe_bytes, "bytes the pipes group sends each way (default 32768)")->check(CLI::Range(1, 1 << 30));
    app.add_option("-g,--groups", opt.groups, "groups to run (default all): files pipes time identity forkexec signals")
        ->delimiter(',')
        ->check(CLI::IsMember({"files", "pipes", "time", "identity", "forkexec", "signals"}));
    return run_program(app, argc, argv, [&] { return run(opt); });
}
