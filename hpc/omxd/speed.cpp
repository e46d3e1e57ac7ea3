#include "speed.h"

#include <time.h>

#include <algorithm>
#include <cmath>

namespace omx {

namespace {

double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

// Six dependent single-cycle operations per round (xorshift64): no vectorisation, no
// parallelism the CPU could exploit, so rounds/s * 6 ~ simple operations per second.
__attribute__((noinline)) uint64_t xorshift_rounds(uint64_t x, long rounds) {
    for (long i = 0; i < rounds; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    return x;
}

}  // namespace

uint32_t calibrate_core_speed(int budget_ms) {
    volatile uint64_t sink = 0;
    long rounds = 1 << 16;
    double best = 0;  // best rate over several short runs filters out interruptions
    double spent = 0;
    while (spent * 1000 < budget_ms) {
        double t0 = thread_cpu_seconds();
        sink = sink + xorshift_rounds(0x9e3779b97f4a7c15ULL + uint64_t(spent * 1e9), rounds);
        double dt = thread_cpu_seconds() - t0;
        spent += dt;
        if (dt < 0.005) {
            rounds *= 2;
            continue;
        }
        best = std::max(best, double(rounds) * 6.0 / dt);
    }
    (void)sink;
    return uint32_t(std::max(1.0, std::round(best / 1e9 * 100.0)));
}

uint32_t effective_speed(uint32_t core_speed, double quota_cores, int cpus) {
    if (quota_cores <= 0 || cpus <= 0) return core_speed;
    double per_cpu = std::min(1.0, quota_cores / double(cpus));
    return uint32_t(std::max(1.0, std::round(core_speed * per_cpu)));
}

}  // namespace omx
