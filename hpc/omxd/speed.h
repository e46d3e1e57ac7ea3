#pragma once
// Speed calibration. openMosix measured speed against a PIII/1GHz = 100 (it shipped
// hand-made yardsticks); we measure it: 100 = a core that retires one dependent simple
// integer operation per nanosecond (a 1 GHz scalar core). A modern core scores 250-500.
#include <cstdint>

namespace omx {

// Raw speed of one core, measured on the calling thread's CPU time (so it does not depend
// on how busy the machine is, only on the CPU). Takes about `budget_ms` of CPU.
uint32_t calibrate_core_speed(int budget_ms = 120);

// The speed the node advertises: the core speed scaled by what a CPU quota leaves of each
// of its CPUs (a node limited to a quarter of a core runs at a quarter of the speed).
uint32_t effective_speed(uint32_t core_speed, double quota_cores, int cpus);

}  // namespace omx
