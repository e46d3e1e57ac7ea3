#include <gtest/gtest.h>

#include "common/net.h"
#include "node_table.h"

using namespace omx;
using namespace std::chrono_literals;

namespace {
NodeSet four_nodes() {
    NodeSet s;
    for (uint16_t id = 1; id <= 4; ++id)
        s[id] = NodeAddress{id, {*parse_ipv4("10.210.0." + std::to_string(id))}, ""};
    return s;
}
LoadEntry from(uint16_t id, uint64_t epoch, uint64_t hb, uint32_t age = 0) {
    LoadEntry e;
    e.id = id;
    e.origin_epoch = epoch;
    e.heartbeat = hb;
    e.age_ms = age;
    e.load = uint32_t(hb);
    return e;
}
}  // namespace

TEST(NodeTable, FresherEntriesWin) {
    NodeTable t(5s, 1);
    t.configure(four_nodes(), 1);
    auto now = Clock::now();
    EXPECT_TRUE(t.merge(from(2, 100, 5), now));
    EXPECT_FALSE(t.merge(from(2, 100, 5), now));
    EXPECT_FALSE(t.merge(from(2, 100, 4), now));
    EXPECT_TRUE(t.merge(from(2, 100, 6), now));
    EXPECT_FALSE(t.merge(from(2, 99, 60), now));  // older incarnation
    EXPECT_TRUE(t.merge(from(2, 101, 1), now));   // restarted daemon
    EXPECT_FALSE(t.merge(from(9, 1, 1), now));    // not configured
    EXPECT_FALSE(t.merge(from(1, 1, 1), now));    // about ourselves
    EXPECT_EQ(t.find(2)->latest->heartbeat, 1u);
}

TEST(NodeTable, LivenessFollowsAgeAndTimeout) {
    NodeTable t(5s, 1);
    t.configure(four_nodes(), 1);
    auto t0 = Clock::now();
    t.merge(from(2, 1, 1, 0), t0);
    t.merge(from(3, 1, 1, 4500), t0);  // relayed, already 4.5 s old
    auto c = t.update_liveness(t0);
    ASSERT_EQ(c.size(), 2u);
    EXPECT_TRUE(c[0].up);
    EXPECT_EQ(t.up_count(), 2u);  // 2 and 3 (self is set by set_self)
    c = t.update_liveness(t0 + 600ms);
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0].id, 3);
    EXPECT_FALSE(c[0].up);
    EXPECT_NEAR(c[0].silent_s, 5.1, 0.01);
    EXPECT_TRUE(t.update_liveness(t0 + 4900ms).empty());
    c = t.update_liveness(t0 + 5000ms);
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0].id, 2);
}

TEST(NodeTable, GossipCarriesSelfFirstAndOnlyLiveEntries) {
    NodeTable t(5s, 1);
    t.configure(four_nodes(), 1);
    auto t0 = Clock::now();
    t.set_self(from(1, 1, 10), t0);
    t.merge(from(2, 1, 1), t0);
    t.merge(from(3, 1, 1), t0 - 10s);
    t.update_liveness(t0);
    auto e = t.gossip_entries(t0 + 250ms, 256);
    ASSERT_EQ(e.size(), 2u);
    EXPECT_EQ(e[0].id, 1);
    EXPECT_EQ(e[0].age_ms, 0u);
    EXPECT_EQ(e[1].id, 2);
    EXPECT_EQ(e[1].age_ms, 250u);
}

TEST(NodeTable, TargetsAreRandomPeersNeverSelf) {
    NodeTable t(5s, 7);
    t.configure(four_nodes(), 2);
    std::map<uint16_t, int> seen;
    for (int i = 0; i < 300; ++i) {
        auto targets = t.pick_gossip_targets(2);
        ASSERT_EQ(targets.size(), 2u);
        EXPECT_NE(targets[0], targets[1]);
        for (auto id : targets) {
            EXPECT_NE(id, 2);
            seen[id]++;
        }
    }
    EXPECT_EQ(seen.size(), 3u);
    for (auto& [id, n] : seen) EXPECT_GT(n, 150) << id;  // roughly uniform (expected 200)
}

TEST(NodeTable, ReconfigureKeepsKnownNodes) {
    NodeTable t(5s, 1);
    t.configure(four_nodes(), 1);
    t.merge(from(2, 1, 9), Clock::now());
    auto smaller = four_nodes();
    smaller.erase(4);
    t.configure(smaller, 1);
    EXPECT_EQ(t.configured(), 3u);
    EXPECT_EQ(t.find(2)->latest->heartbeat, 9u);
    EXPECT_TRUE(t.add_node(7, *parse_ipv4("10.210.0.7")));
    EXPECT_FALSE(t.add_node(7, *parse_ipv4("10.210.0.7")));
    EXPECT_TRUE(t.knows_address(7, *parse_ipv4("10.210.0.7")));
    EXPECT_FALSE(t.knows_address(7, *parse_ipv4("10.210.0.8")));
}
