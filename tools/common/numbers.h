#pragma once
// Strict number parsing for command-line operands: "12" is a number, "12x", " 12",
// "+12" and "" are not (std::stoi would quietly accept some of them).
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace omx::tools {

// A non-negative decimal integer that fits in 18 digits, or nullopt.
std::optional<long long> parse_count(std::string_view s);

// A node id 1..65535, or nullopt.
std::optional<uint16_t> parse_node_id(std::string_view s);

// A node list as mosrun -j and migmask take it: "1-3,7" -> {1, 2, 3, 7} (sorted, no
// duplicates); nullopt for anything else (empty parts, reversed ranges, bad ids).
std::optional<std::vector<uint16_t>> parse_node_list(std::string_view s);

}  // namespace omx::tools
