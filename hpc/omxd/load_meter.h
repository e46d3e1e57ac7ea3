#pragma once
// Local load measurement (DESIGN §5): the run-queue length sampled several times a second
// and decayed, normalised by speed and CPU count; plus utilisation, memory and CPUs, all
// as the node's cgroup allows (a netns node limited to a quarter core is a slow node).
#include <chrono>
#include <cstdint>
#include <optional>

#include "cgroup.h"

namespace omx {

struct LocalResources {
    uint16_t cpus = 1;
    double quota_cores = 0;  // 0 = no quota
    uint64_t mem_pages = 0, rmem_pages = 0, tmem_pages = 0;
};

class LoadMeter {
public:
    static constexpr auto kSamplePeriod = std::chrono::milliseconds(250);

    LoadMeter();

    // One sample of the run queue (call every kSamplePeriod).
    void sample();
    // Recomputes utilisation, CPUs and memory (call about once a second).
    void refresh_resources();

    // Load as others should see it (rises fast, falls slowly), normalised:
    // 100 = one CPU-bound process on one CPU of speed 100.
    uint32_t exported_load(uint32_t speed) const;
    // Load for local decisions (rises slowly, falls fast), same unit.
    uint32_t local_load(uint32_t speed) const;
    double runnable() const { return last_runnable_; }
    uint16_t util_percent() const { return util_; }
    const LocalResources& resources() const { return res_; }

    // Exposed for tests: the decay step for a new sample.
    static double decay(double current, double sample, double up, double down);

private:
    int count_runnable() const;
    uint32_t normalise(double runq, uint32_t speed) const;

    CgroupView cgroup_;
    bool init_pidns_;
    LocalResources res_;
    double exported_ = 0, local_ = 0;
    double last_runnable_ = 0;
    uint16_t util_ = 0;
    std::optional<uint64_t> last_busy_ns_;
    std::chrono::steady_clock::time_point last_util_at_{};
    uint64_t last_stat_busy_ = 0, last_stat_total_ = 0;
};

}  // namespace omx
