#pragma once
// Strict number parsing for command-line operands: "12" is a number, "12x", " 12",
// "+12" and "" are not (std::stoi would quietly accept some of them).
#include <cstdint>
#include <optional>
#include <string_view>

namespace omx::tools {

// A non-negative decimal integer that fits in 18 digits, or nullopt.
std::optional<long long> parse_count(std::string_view s);

// A node id 1..65535, or nullopt.
std::optional<uint16_t> parse_node_id(std::string_view s);

}  // namespace omx::tools
