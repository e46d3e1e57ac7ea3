#pragma once
// What the migration tests ask the local omxd (docs/control-protocol.md): which nodes are
// up, where a process runs, and moves. Node ids are openMosix's; a process's `where` of 0
// (home) is turned into the home node's id, so tables show a node either way.
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace omx::stress {

struct ClusterView {
    int self = 0;             // this node's id
    std::vector<int> up;      // ids of the up nodes, this one included, ascending
    std::vector<int> others() const;   // up, without this node
};

// The cluster as omxd sees it; nullopt when no omxd answers (control::NotRunning).
std::optional<ClusterView> cluster_view();

// The node `pid` (of this node) runs on: its id, self when it is home.
int node_of(pid_t pid, int self);
// Its "cantmove" word ("" when it can move).
std::string cantmove_of(pid_t pid);

// The answer to one {"cmd":"migrate"}: ok, or the daemon's error text.
struct MoveReply {
    bool ok = false;
    int node = 0;           // where it runs after the move, as omxd says (0 home)
    double frozen_ms = 0;
    std::string note;       // "already there", "already home"
    std::string error;
};

// The control socket's `to` for node `target`: "home" for this node, else its id.
std::string move_target(int target, int self);

// Asks omxd to move `pid` and waits for the answer (up to 310 s, migrate(1)'s limit).
MoveReply request_move(pid_t pid, const std::string& to);

// The same, asked by a forked helper that exits when omxd answered: a process moving
// itself must not be the one waiting on the control socket while it is frozen.
MoveReply request_move_from_helper(pid_t pid, const std::string& to);

// The stop after `last` in `stops` (ascending node ids, cyclic), skipping `skip` (the
// node the process is on: a move there is no move). 0 when there is no such stop.
int next_stop(const std::vector<int>& stops, int last, int skip);

}  // namespace omx::stress
