#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "admin_state.h"
#include "common/wire.h"

using namespace omx;

TEST(AdminState, SetValidatesKeysAndRanges) {
    AdminState a;
    a.set("block", 1);
    a.set("stay", "1");
    a.set("speed", 50);
    a.set("slow_decay", 900);
    EXPECT_TRUE(a.block);
    EXPECT_TRUE(a.stay);
    EXPECT_EQ(a.speed_set, 50u);
    EXPECT_THROW(a.set("block", 2), std::invalid_argument);
    EXPECT_THROW(a.set("speed", -1), std::invalid_argument);
    EXPECT_THROW(a.set("speed", "fast"), std::invalid_argument);
    EXPECT_THROW(a.set("decay_interval", 0), std::invalid_argument);
    EXPECT_THROW(a.set("warp", 1), std::invalid_argument);
    EXPECT_EQ(a.status_bits(), kStatusBlock | kStatusStay);
}

TEST(AdminState, SurvivesSaveAndLoad) {
    std::string path = testing::TempDir() + "/admin.json";
    AdminState a;
    a.set("lstay", 1);
    a.set("quiet", 1);
    a.set("speed", 77);
    a.set("overheads", "1 2 3");
    a.save(path);
    std::string warning;
    AdminState b = AdminState::load(path, &warning);
    EXPECT_TRUE(warning.empty());
    EXPECT_EQ(b.to_json(), a.to_json());
    std::remove(path.c_str());
}

TEST(AdminState, CorruptFileGivesDefaultsAndAWarning) {
    std::string path = testing::TempDir() + "/admin-bad.json";
    std::ofstream(path) << "{not json";
    std::string warning;
    AdminState b = AdminState::load(path, &warning);
    EXPECT_FALSE(warning.empty());
    EXPECT_EQ(b.to_json(), AdminState{}.to_json());
    std::ofstream(path) << R"({"block": true, "speed_set": "junk", "slow_decay": 5000})";
    b = AdminState::load(path, &warning);
    EXPECT_TRUE(b.block);
    EXPECT_EQ(b.speed_set, 0u);
    EXPECT_EQ(b.slow_decay, 975u);
    std::remove(path.c_str());
}
