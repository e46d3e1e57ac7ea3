#include "map.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "net.h"

namespace omx {

namespace {

[[noreturn]] void fail(const std::string& origin, int line, const std::string& what) {
    throw MapError(fmt::format("{}:{}: {}", origin, line, what));
}

std::optional<long> parse_number(const std::string& s) {
    if (s.empty() || s.size() > 9) return std::nullopt;
    long v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + (c - '0');
    }
    return v;
}

bool iequals(const std::string& a, const char* b) {
    std::string l = a;
    std::transform(l.begin(), l.end(), l.begin(), ::tolower);
    return l == b;
}

}  // namespace

ClusterMap parse_map(const std::string& text, const std::string& origin) {
    ClusterMap m;
    std::istringstream in(text);
    std::string raw;
    int line_no = 0;
    while (std::getline(in, raw)) {
        ++line_no;
        if (auto hash = raw.find('#'); hash != std::string::npos) raw.erase(hash);
        std::istringstream fields(raw);
        std::vector<std::string> f;
        for (std::string w; fields >> w;) f.push_back(w);
        if (f.empty()) continue;
        if (f.size() != 3)
            fail(origin, line_no,
                 fmt::format("expected 3 fields (node-id address count), found {}", f.size()));
        if (int(m.lines.size()) >= kMaxMapLines)
            fail(origin, line_no, fmt::format("too many lines (at most {})", kMaxMapLines));
        MapLine l;
        l.line_no = line_no;
        auto id = parse_number(f[0]);
        if (!id || *id < 1 || *id > 65535)
            fail(origin, line_no, fmt::format("bad node id '{}' (must be 1..65535)", f[0]));
        l.first = uint16_t(*id);
        l.host = f[1];
        if (iequals(f[2], "alias")) {
            l.count = 0;
        } else {
            auto c = parse_number(f[2]);
            if (!c) fail(origin, line_no, fmt::format("bad count '{}' (a number or ALIAS)", f[2]));
            l.count = int(*c);
        }
        if (l.count > 0 && long(l.first) + l.count - 1 > 65535)
            fail(origin, line_no, fmt::format("range {}+{} goes past node id 65535", l.first, l.count));
        auto ip = parse_ipv4(l.host);
        if (l.count > 1 && !ip)
            fail(origin, line_no,
                 fmt::format("a range (count {}) needs an IP address, not the hostname '{}'",
                             l.count, l.host));
        if (l.count > 1 && (ntohl(*ip) & 0xff) + uint32_t(l.count) - 1 > 255)
            fail(origin, line_no,
                 fmt::format("range of {} from {} runs past the last byte (.255)", l.count, l.host));
        m.lines.push_back(l);
    }
    // Ids must not overlap, and an ALIAS must name a node defined by a range.
    std::map<uint16_t, int> defined_at;
    for (const auto& l : m.lines) {
        for (int i = 0; i < l.count; ++i) {
            uint16_t id = uint16_t(l.first + i);
            auto [it, fresh] = defined_at.emplace(id, l.line_no);
            if (!fresh)
                fail(origin, l.line_no,
                     fmt::format("node {} is already defined on line {}", id, it->second));
        }
    }
    for (const auto& l : m.lines)
        if (l.alias() && !defined_at.count(l.first))
            fail(origin, l.line_no, fmt::format("ALIAS for node {} which no line defines", l.first));
    return m;
}

NodeSet resolve_map(const ClusterMap& map, const std::string& origin) {
    NodeSet nodes;
    std::set<uint32_t> seen_ips;
    auto claim_ip = [&](uint32_t ip, int line_no) {
        if (!seen_ips.insert(ip).second)
            fail(origin, line_no, fmt::format("address {} is used twice", format_ipv4(ip)));
    };
    for (const auto& l : map.lines) {
        if (l.alias()) continue;
        auto ip = resolve_ipv4(l.host);
        if (!ip) fail(origin, l.line_no, fmt::format("cannot resolve host '{}'", l.host));
        for (int i = 0; i < l.count; ++i) {
            uint32_t a = htonl(ntohl(*ip) + uint32_t(i));
            claim_ip(a, l.line_no);
            NodeAddress n;
            n.id = uint16_t(l.first + i);
            n.ipv4.push_back(a);
            n.host = l.count == 1 ? l.host : format_ipv4(a);
            nodes[n.id] = n;
        }
    }
    for (const auto& l : map.lines) {
        if (!l.alias()) continue;
        auto ip = resolve_ipv4(l.host);
        if (!ip) fail(origin, l.line_no, fmt::format("cannot resolve host '{}'", l.host));
        claim_ip(*ip, l.line_no);
        nodes[l.first].ipv4.push_back(*ip);
    }
    return nodes;
}

std::optional<uint16_t> find_local_node(const NodeSet& nodes, const std::vector<uint32_t>& local) {
    for (const auto& [id, n] : nodes)
        for (uint32_t a : n.ipv4)
            if (std::find(local.begin(), local.end(), a) != local.end()) return id;
    return std::nullopt;
}

std::string not_in_map_message(uint32_t shown_ip) {
    return fmt::format("the supplied table is well-formatted,\nbut my IP address ({}) is not there!",
                       format_ipv4(shown_ip));
}

std::string format_map(const ClusterMap& map) {
    std::string out;
    for (const auto& l : map.lines)
        out += fmt::format("{} {} {}\n", l.first, l.host, l.alias() ? std::string("ALIAS")
                                                                     : std::to_string(l.count));
    return out;
}

std::optional<MapFile> read_first_map_file(const std::vector<std::string>& order) {
    for (const auto& path : order) {
        std::ifstream in(path);
        if (!in) continue;
        std::stringstream ss;
        ss << in.rdbuf();
        return MapFile{path, ss.str()};
    }
    return std::nullopt;
}

}  // namespace omx
