#include "model.h"

#include <gtest/gtest.h>

namespace omx::tools {
namespace {

using json = nlohmann::json;

TEST(Model, NodeFromProtocolExample) {
    auto j = json::parse(R"({"id": 3, "address": "10.210.0.3", "host": "node3", "self": false, "up": true,
        "load": 12, "speed": 312, "cpus": 1, "util": 4, "mem": 120000, "rmem": 118000, "tmem": 131072,
        "status": 5, "block": false, "stay": true, "lstay": false, "quiet": false, "nomfs": false, "age_ms": 420})");
    NodeInfo n = node_from_json(j);
    EXPECT_EQ(n.id, 3);
    EXPECT_EQ(n.address, "10.210.0.3");
    EXPECT_EQ(n.host, "node3");
    EXPECT_TRUE(n.up);
    EXPECT_TRUE(n.stay);
    EXPECT_EQ(n.speed, 312);
    EXPECT_EQ(n.tmem, 131072);
    EXPECT_EQ(n.age_ms, 420);
}

TEST(Model, MissingOrMistypedFieldsGetDefaults) {
    NodeInfo n = node_from_json(json::parse(R"({"id": 7, "load": "lots"})"));
    EXPECT_EQ(n.id, 7);
    EXPECT_EQ(n.load, 0);
    EXPECT_FALSE(n.up);
    EXPECT_EQ(n.age_ms, -1);
    EXPECT_TRUE(nodes_from_json(json::parse(R"({"ok": true})")).empty());
}

TEST(Model, StatusAdminAndMap) {
    auto s = status_from_json(json::parse(R"({"ok":true,"enabled":true,"self":2,"mode":"map",
        "admin":{"stay":true,"decay_interval":2,"slow_decay":950,"fast_decay":900,"yardstick":120}})"));
    EXPECT_TRUE(s.enabled);
    EXPECT_EQ(s.self, 2);
    EXPECT_TRUE(s.admin.stay);
    EXPECT_EQ(s.admin.slow_decay, 950);
    EXPECT_EQ(s.admin.yardstick, 120);
    auto m = map_from_json(json::parse(R"({"ok":true,"mode":"map","source":"stdin","self":1,
        "lines":[{"first":1,"host":"10.210.0.1","count":4},{"first":2,"host":"10.9.9.9","count":0}]})"));
    ASSERT_EQ(m.lines.size(), 2u);
    EXPECT_EQ(m.lines[0].count, 4);
    EXPECT_EQ(m.lines[1].count, 0);
    EXPECT_EQ(m.source, "stdin");
}

}  // namespace
}  // namespace omx::tools
