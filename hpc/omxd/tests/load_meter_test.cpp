#include <gtest/gtest.h>

#include "load_meter.h"
#include "speed.h"

using namespace omx;

TEST(LoadMeter, DecayRisesAndFallsAtItsOwnPace) {
    double l = 0;
    for (int i = 0; i < 4; ++i) l = LoadMeter::decay(l, 1.0, 0.5, 0.9);
    EXPECT_NEAR(l, 1 - 0.0625, 1e-9);  // fast up: ~94% after one second of samples
    double d = 1.0;
    for (int i = 0; i < 4; ++i) d = LoadMeter::decay(d, 0.0, 0.5, 0.9);
    EXPECT_NEAR(d, 0.6561, 1e-9);      // slow down
}

TEST(Speed, QuotaScalesSpeedPerCpu) {
    EXPECT_EQ(effective_speed(400, 0, 1), 400u);
    EXPECT_EQ(effective_speed(400, 0.25, 1), 100u);
    EXPECT_EQ(effective_speed(400, 1.5, 2), 300u);
    EXPECT_EQ(effective_speed(400, 4, 2), 400u);  // quota above the CPUs: no slowdown
}

// Plausibility only: how stable the figure is on a busy machine is a benchmark question,
// not something a test on a noisy CI machine may assert.
TEST(Speed, CalibrationIsPlausible) {
    uint32_t a = calibrate_core_speed(60);
    EXPECT_GT(a, 20u);
    EXPECT_LT(a, 5000u);
}

TEST(LoadMeter, ReportsResources) {
    LoadMeter m;
    m.sample();
    m.refresh_resources();
    EXPECT_GE(m.resources().cpus, 1);
    EXPECT_GT(m.resources().tmem_pages, 0u);
    EXPECT_LE(m.resources().mem_pages, m.resources().tmem_pages);
    EXPECT_LE(m.util_percent(), 100);
}
