#include "map_format.h"

#include <fmt/format.h>

#include "common/map.h"

namespace omx::tools {

bool map_disabled(const MapView& map) { return map.mode == "off" || map.self == 0; }

long long configured_nodes(const MapView& map) {
    long long total = 0;
    for (const auto& l : map.lines) total += l.count;  // ALIAS lines count 0
    return total;
}

std::string showmap_text(const MapView& map) {
    std::string out = fmt::format("My Node-Id: 0x{:04x}\n\n", map.self);
    out += "Base Node-Id Address          Count\n";
    out += "------------ ---------------- -----\n";
    for (const auto& l : map.lines) {
        std::string count = l.count == 0 ? "ALIAS" : std::to_string(l.count);
        out += fmt::format("{:<12} {:<16} {}\n", fmt::format("0x{:04x}", l.first), l.host, count);
    }
    return out;
}

std::string init_status_text(const MapView& map) {
    if (map_disabled(map)) return kDisabledText;
    // openMosix only knew IPv4, hence the fixed protocol line (AF_INET is 2 on Linux).
    std::string out = fmt::format("This is openMosix node #{}\nNetwork protocol: 2 (AF_INET)\n", map.self);
    for (const auto& l : map.lines) {
        if (l.count == 0) continue;  // an ALIAS adds an address, not a range
        std::string range = fmt::format("{}-{}", l.first, l.first + l.count - 1);
        out += fmt::format("openMosix range {:<8} begins at {}\n", range, l.host);
    }
    out += fmt::format("Total configured: {}\n", configured_nodes(map));
    return out;
}

std::string map_text(const MapView& map) {
    ClusterMap m;
    for (const auto& l : map.lines) m.lines.push_back(MapLine{0, l.first, l.host, l.count});
    return format_map(m);
}

}  // namespace omx::tools
