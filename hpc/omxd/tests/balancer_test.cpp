// The balancer's decisions, simulated round by round on made-up clusters: how work
// spreads, that it then stays put, that faster nodes get more, that short jobs and blocked
// nodes are left alone.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "balancer.h"

using namespace omx;

namespace {

struct Sim {
    std::vector<BalanceNode> nodes;
    std::vector<BalanceProcess> procs;
    std::mt19937 rng{7};
    int moves = 0;
    std::map<int, int> moves_of;

    void refresh_runqs() {
        for (auto& n : nodes) {
            n.runq = 0;
            for (const auto& p : procs)
                if (p.on == n.id) n.runq += p.demand;
        }
    }
    // One second: the home node (1) balances once; every process ages.
    void round(const BalanceTuning& t = {}) {
        refresh_runqs();
        if (auto m = choose_move(1, nodes, procs, t, rng)) {
            for (auto& p : procs)
                if (p.pid == m->pid) {
                    p.on = m->to;
                    p.since_move_seconds = 0;
                }
            ++moves;
            ++moves_of[m->pid];
        }
        for (auto& p : procs) {
            p.age_seconds += 1;
            p.cpu_seconds += 1;
            p.since_move_seconds += 1;
        }
    }
    std::map<uint16_t, int> count() const {
        std::map<uint16_t, int> c;
        for (const auto& n : nodes) c[n.id] = 0;
        for (const auto& p : procs) ++c[p.on];
        return c;
    }
};

Sim cluster(std::vector<double> speeds, int jobs) {
    Sim s;
    for (size_t i = 0; i < speeds.size(); ++i) s.nodes.push_back({uint16_t(i + 1), speeds[i], 1, 0, true});
    for (int i = 0; i < jobs; ++i) s.procs.push_back({100 + i, 1, 1.0, 10, 10, 1e9, 1 << 20, {}});
    return s;
}

}  // namespace

TEST(Balancer, EightAwksOnOneOfFourNodesEndTwoPerNode) {
    Sim s = cluster({100, 100, 100, 100}, 8);
    for (int i = 0; i < 15; ++i) s.round();
    EXPECT_EQ(s.count(), (std::map<uint16_t, int>{{1, 2}, {2, 2}, {3, 2}, {4, 2}}));
    EXPECT_EQ(s.moves, 6);   // the fewest that spread them
}

TEST(Balancer, ABalancedClusterStaysPutAndNothingMovesTwiceAMinute) {
    Sim s = cluster({100, 100, 100, 100}, 8);
    for (int i = 0; i < 15; ++i) s.round();
    int settled = s.moves;
    for (int i = 0; i < 300; ++i) s.round();
    EXPECT_EQ(s.moves, settled);
    for (const auto& [pid, n] : s.moves_of) EXPECT_LE(n, 2) << pid;
}

TEST(Balancer, ANodeOfTwiceTheSpeedGetsAboutTwiceTheWork) {
    Sim s = cluster({100, 100, 200, 100}, 10);
    for (int i = 0; i < 40; ++i) s.round();
    auto c = s.count();
    EXPECT_GE(c[3], 3);
    for (uint16_t n : {1, 2, 4}) EXPECT_LE(c[n], 3) << n;
    double others = (c[1] + c[2] + c[4]) / 3.0;
    EXPECT_GE(c[3], 1.5 * others);
}

TEST(Balancer, ShortJobsAndIdleProcessesStayHome) {
    Sim s = cluster({100, 100}, 4);
    for (auto& p : s.procs) p.cpu_seconds = -100;   // they will not have run a second for a while
    s.refresh_runqs();
    EXPECT_FALSE(choose_move(1, s.nodes, s.procs, {}, s.rng));
    for (auto& p : s.procs) p.cpu_seconds = 10, p.demand = 0.2;   // mostly waiting: I/O jobs
    s.refresh_runqs();
    EXPECT_FALSE(choose_move(1, s.nodes, s.procs, {}, s.rng));
}

TEST(Balancer, AHugeYoungProcessIsNotWorthItsTransfer) {
    Sim s = cluster({100, 100}, 2);
    for (auto& p : s.procs) p.bytes = uint64_t(8) << 30, p.age_seconds = p.cpu_seconds = 2;
    s.refresh_runqs();
    EXPECT_FALSE(choose_move(1, s.nodes, s.procs, {}, s.rng));
    for (auto& p : s.procs) p.age_seconds = p.cpu_seconds = 3600;   // an old one is
    EXPECT_TRUE(choose_move(1, s.nodes, s.procs, {}, s.rng));
}

TEST(Balancer, BlockedNodesGetNothingButHomeAlwaysTakesItsOwnBack) {
    Sim s = cluster({100, 100, 100}, 3);
    s.nodes[1].accepts = false;   // node 2 blocked
    for (int i = 0; i < 10; ++i) s.round();
    EXPECT_EQ(s.count()[2], 0);
    // Its processes away on an overloaded node 3 come back to a blocked home.
    Sim t = cluster({100, 100, 100}, 3);
    t.nodes[0].accepts = false;
    for (auto& p : t.procs) p.on = 3;
    t.refresh_runqs();
    auto m = choose_move(1, t.nodes, t.procs, {}, t.rng);
    ASSERT_TRUE(m);
    EXPECT_NE(m->to, 3);
}

TEST(Balancer, EqualTargetsArePickedAtRandomNotAllTheSame) {
    Sim s = cluster({100, 100, 100, 100}, 4);
    s.refresh_runqs();
    std::map<uint16_t, int> picked;
    for (int i = 0; i < 200; ++i) {
        std::mt19937 rng{uint32_t(i)};
        if (auto m = choose_move(1, s.nodes, s.procs, {}, rng)) ++picked[m->to];
    }
    EXPECT_EQ(picked.size(), 3u);   // nodes 2, 3 and 4 all chosen sometimes
    for (const auto& [node, n] : picked) EXPECT_GT(n, 30) << node;
}

TEST(Balancer, ARoundPlansSeveralMovesToDifferentNodes) {
    Sim s = cluster({100, 100, 100, 100}, 8);
    s.refresh_runqs();
    auto moves = plan_round(1, s.nodes, s.procs, {}, s.rng, 3);
    ASSERT_EQ(moves.size(), 3u);
    std::set<uint16_t> targets;
    std::set<int> pids;
    for (const auto& m : moves) targets.insert(m.to), pids.insert(m.pid);
    EXPECT_EQ(targets, (std::set<uint16_t>{2, 3, 4}));
    EXPECT_EQ(pids.size(), 3u);
}

TEST(Balancer, AMaskKeepsAProcessToItsAllowedNodes) {
    Sim s = cluster({100, 100, 100, 100}, 4);
    for (auto& p : s.procs) p.allowed = {1, 3};
    for (int i = 0; i < 40; ++i) s.round();
    auto c = s.count();
    EXPECT_EQ(c[2], 0);
    EXPECT_EQ(c[4], 0);
    EXPECT_EQ(c[3], 2);
}

TEST(Balancer, AStayNodeKeepsItsProcesses) {
    Sim s = cluster({100, 100, 100, 100}, 8);
    s.nodes[0].keeps = true;
    for (int i = 0; i < 20; ++i) s.round();
    EXPECT_EQ(s.moves, 0);
}

TEST(Balancer, AnIoJobIsLeftWhereItIs) {
    Sim s = cluster({100, 100}, 3);
    for (auto& p : s.procs) p.cpu_moves = false;
    for (int i = 0; i < 20; ++i) s.round();
    EXPECT_EQ(s.moves, 0);
}

TEST(Balancer, MemoryShortNodeUshersItsBiggestProcessToTheNodeWithMostFree) {
    const uint64_t G = 1ull << 30;
    std::vector<BalanceNode> nodes = {{1, 100, 1, 1, true, false, G / 20, 2 * G},   // 5% free
                                      {2, 100, 1, 0, true, false, G, 2 * G},
                                      {3, 100, 1, 0, true, false, G + G / 2, 2 * G},
                                      {4, 100, 1, 0, false, false, 2 * G, 2 * G}};   // blocked
    std::vector<BalanceProcess> procs = {{10, 1, 0.01, 0.1, 0.1, 0, 100 << 20, {}},
                                         {11, 1, 0.01, 0.1, 0.1, 0, 1200ull << 20, {}},
                                         {12, 2, 1, 100, 100, 1e9, 10 << 20, {}}};
    auto m = choose_usher(1, nodes, procs, {});
    ASSERT_TRUE(m);
    EXPECT_EQ(m->pid, 11);   // the biggest, though young, idle and just moved
    EXPECT_EQ(m->to, 3);
    EXPECT_TRUE(m->usher);
    // Nowhere keeps 10% free after taking 1.9 GiB: it stays, the next biggest goes.
    procs[1].bytes = 1900ull << 20;
    m = choose_usher(1, nodes, procs, {});
    ASSERT_TRUE(m);
    EXPECT_EQ(m->pid, 10);
    EXPECT_FALSE(choose_usher(1, nodes, {procs[1]}, {}));
    // With room everywhere nothing is ushered.
    nodes[0].free_bytes = G;
    EXPECT_FALSE(choose_usher(1, nodes, procs, {}));
}

TEST(Balancer, NoSpeedMoveFillsANodesMemory) {
    const uint64_t G = 1ull << 30;
    std::vector<BalanceNode> nodes = {{1, 100, 1, 4, true, false, G, 2 * G}, {2, 100, 1, 0, true, false, G / 2, 2 * G}};
    std::vector<BalanceProcess> procs = {{10, 1, 1, 1e4, 1e4, 1e9, 400ull << 20, {}}};
    std::mt19937 rng(1);
    EXPECT_FALSE(choose_move(1, nodes, procs, {}, rng));   // 512 MiB free - 400 MiB < 10% of 2 GiB
    procs[0].bytes = 100ull << 20;
    EXPECT_TRUE(choose_move(1, nodes, procs, {}, rng));
}

TEST(Balancer, AMomentarySpikeOnANodeDoesNotChaseItsProcessesAway) {
    // Home (1) runs 2, node 2 runs 2 of ours; for a moment node 2 shows 4 runnable.
    std::vector<BalanceNode> nodes = {{1, 100, 1, 2}, {2, 100, 1, 4}};
    std::vector<BalanceProcess> procs = {{10, 2, 1, 100, 100, 1e9, 1 << 20, {}}};
    std::mt19937 rng(3);
    EXPECT_TRUE(choose_move(1, nodes, procs, {}, rng));   // taken at face value it would come home
    nodes[1].sustained_runq = 2;                           // but node 2 sustained only 2
    EXPECT_FALSE(choose_move(1, nodes, procs, {}, rng));
}
