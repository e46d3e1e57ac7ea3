#pragma once
// Numbers over pipes between acceptance and its children, with a limit on every wait: a child that
// hangs away must fail the sub-test, not hang the program.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace omx::stress {

// A 64-bit number each way; false / nullopt on end of file, an error or the time limit.
bool send_number(int fd, int64_t x);
std::optional<int64_t> receive_number(int fd, std::chrono::milliseconds limit);

}  // namespace omx::stress
