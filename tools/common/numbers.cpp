#include "numbers.h"

namespace omx::tools {

std::optional<long long> parse_count(std::string_view s) {
    if (s.empty() || s.size() > 18) return std::nullopt;
    long long v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + (c - '0');
    }
    return v;
}

std::optional<uint16_t> parse_node_id(std::string_view s) {
    auto v = parse_count(s);
    if (!v || *v < 1 || *v > 65535) return std::nullopt;
    return uint16_t(*v);
}

}  // namespace omx::tools
