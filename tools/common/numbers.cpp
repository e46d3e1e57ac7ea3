#include "numbers.h"

#include <algorithm>

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

std::optional<std::vector<uint16_t>> parse_node_list(std::string_view spec) {
    std::vector<uint16_t> out;
    size_t at = 0;
    for (;;) {
        size_t comma = spec.find(',', at);
        std::string_view part = spec.substr(at, comma == std::string_view::npos ? std::string_view::npos : comma - at);
        size_t dash = part.find('-');
        auto a = parse_node_id(part.substr(0, dash));
        auto b = dash == std::string_view::npos ? a : parse_node_id(part.substr(dash + 1));
        if (!a || !b || *b < *a || *b - *a > 4096) return std::nullopt;
        for (uint32_t i = *a; i <= *b; ++i) out.push_back(uint16_t(i));
        if (comma == std::string_view::npos) break;
        at = comma + 1;
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

}  // namespace omx::tools
