// The balancer's decisions, simulated round by round on made-up clusters: how work
// spreads, that it then stays put, that faster nodes get more, that short jobs and blocked
// nodes are left alone.
#include <gtest/gtest.h>

#include <map>

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
    for (int i = 0; i < jobs; ++i) s.procs.push_back({100 + i, 1, 1.0, 10, 10, 1e9, 1 << 20});
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
