#pragma once
// The load balancer's decision (DESIGN §5, HOWTO 2.3): which of this node's processes
// should run elsewhere, and where. A pure function of what omxd knows, so that every
// property that matters (no ping-pong, no herd, no migrating short jobs, faster nodes
// getting more work) is a unit test. omxd calls it once per balancing round and carries
// out at most the one move it returns.
//
// The model: a process on node n gets rate(n) = speed_n/100 × min(1, cpus_n / runq_n) of
// a reference core. A move from here to node t is worth it when the process would run
// faster there by a clear margin, counting itself in t's run queue:
//     rate_t(runq_t + demand) > rate_here(runq_here) × (1 + margin)
// The reverse move then never qualifies (the process would lose that margin), which is
// what keeps a process from bouncing between two nodes.
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

namespace omx {

struct BalanceNode {
    uint16_t id = 0;
    double speed = 100;    // 100 = reference core
    double cpus = 1;       // cores this node may use (its quota, rounded up)
    double runq = 0;       // runnable processes, as its load says
    bool accepts = true;   // up, not blocked, not quiet
    bool keeps = false;    // stay: nothing leaves this node automatically
    uint64_t free_bytes = 0;    // memory it has available (0 with total 0 = unknown)
    uint64_t total_bytes = 0;
    // The run queue it has kept for the last few seconds (the least seen), < 0 = runq. A
    // process leaves a node for what it sustains, not for a moment's spike (a command
    // starting there); it goes to a node for what it has now.
    double sustained_runq = -1;
};

struct BalanceProcess {
    int pid = 0;
    uint16_t on = 0;        // the node it runs on now (our id when at home)
    double demand = 1;      // cores it keeps busy (decayed CPU share, 0..1)
    double cpu_seconds = 0; // CPU it has used in all: short jobs stay
    double age_seconds = 0;
    double since_move_seconds = 1e9;   // since it last migrated (or came home)
    uint64_t bytes = 0;     // what a migration would carry (its resident memory)
    // The nodes its cluster mask lets it go to (empty = any). Home is always allowed.
    std::vector<uint16_t> allowed;
    bool cpu_moves = true;  // false: only memory ushering may move it (an iojob)
};

struct BalanceTuning {
    double margin = 0.25;           // the gain a move must bring (hysteresis)
    double min_demand = 0.5;        // cores: a process busier than this is worth moving
    double min_cpu_seconds = 1.0;   // ... and that has already run this long
    double cooldown_seconds = 31;   // a process that moved stays put this long (≤ 2 moves a minute)
    double max_cost_share = 0.1;    // transfer time ≤ this share of the time it is expected to gain
    double bandwidth = 100e6;       // bytes/s a migration is expected to move at
    double min_free_share = 0.10;   // a node with less free memory than this share of its
                                    // total ushers processes away and receives none
};

struct BalanceMove {
    int pid = 0;
    uint16_t from = 0, to = 0;
    double gain = 0;   // rate there / rate here
    bool usher = false;   // moved for memory, not speed
};

// The expected share of a reference core a process gets on `n` with `runq` runnable.
double process_rate(const BalanceNode& n, double runq);

// At most one move: the candidate whose move gains most, to a target picked at random
// among those within 10% of the best gain (homes balancing at the same moment then do
// not all pick the same idle node). `self` is this node's id; nodes lists every node
// including this one.
std::optional<BalanceMove> choose_move(uint16_t self, const std::vector<BalanceNode>& nodes,
                                       const std::vector<BalanceProcess>& processes, const BalanceTuning& tuning,
                                       std::mt19937& rng);

// Whether `p` may go to `t` at all: its mask, and room for its memory there.
bool may_go(uint16_t self, const BalanceProcess& p, const BalanceNode& t, const BalanceTuning& tuning);

// Memory ushering: when the node a process of ours runs on has less free memory than
// min_free_share of its total, its largest movable process goes to the node with the most
// free memory that keeps above the threshold after taking it. Ignores speed, cooldown
// and age: the point is to act before the OOM killer does.
std::optional<BalanceMove> choose_usher(uint16_t self, const std::vector<BalanceNode>& nodes,
                                        const std::vector<BalanceProcess>& processes, const BalanceTuning& tuning);

// One balancing round: ushering first, then up to `max_moves` speed moves, each to a
// different target, the view (run queues, free memory) updated after each as if it had
// happened. A process appears in at most one move.
std::vector<BalanceMove> plan_round(uint16_t self, std::vector<BalanceNode> nodes,
                                    std::vector<BalanceProcess> processes, const BalanceTuning& tuning,
                                    std::mt19937& rng, size_t max_moves);

}  // namespace omx
