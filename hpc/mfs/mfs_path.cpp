#include "mfs_path.h"

#include <charconv>
#include <vector>

namespace omx::mfs {

namespace {

std::vector<std::string_view> components(std::string_view p) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < p.size()) {
        size_t j = p.find('/', i);
        if (j == std::string_view::npos) j = p.size();
        if (j > i) out.push_back(p.substr(i, j - i));
        i = j + 1;
    }
    return out;
}

bool under(std::string_view path, std::string_view dir) {
    if (dir == "/") return true;
    return path.substr(0, dir.size()) == dir && (path.size() == dir.size() || path[dir.size()] == '/');
}

}  // namespace

const char* magic_name(Magic m) {
    switch (m) {
        case Magic::Here: return "here";
        case Magic::Home: return "home";
        case Magic::Magic: return "magic";
        case Magic::Lastexec: return "lastexec";
        case Magic::Selected: return "selected";
    }
    return "?";
}

std::optional<Magic> parse_magic(std::string_view name) {
    for (Magic m : {Magic::Here, Magic::Home, Magic::Magic, Magic::Lastexec, Magic::Selected})
        if (name == magic_name(m)) return m;
    return std::nullopt;
}

std::optional<uint16_t> parse_node_id(std::string_view name) {
    if (name.empty() || name.size() > 5 || name[0] == '0') return std::nullopt;
    unsigned v = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), v);
    if (ec != std::errc() || end != name.data() + name.size() || v == 0 || v > 65535) return std::nullopt;
    return uint16_t(v);
}

std::optional<std::string> clean_absolute(std::string_view path) {
    if (path.empty() || path[0] != '/') return std::nullopt;
    std::string out;
    for (auto c : components(path)) {
        if (c == ".") continue;
        if (c == "..") return std::nullopt;
        out += '/';
        out += c;
    }
    return out.empty() ? std::string("/") : out;
}

std::optional<MfsPath> parse(std::string_view path_in_mount) {
    auto parts = components(path_in_mount);
    MfsPath p;
    if (parts.empty()) return p;
    std::string rest;
    for (size_t i = 1; i < parts.size(); ++i) {
        rest += '/';
        rest += parts[i];
    }
    p.rest = rest.empty() ? "/" : rest;
    if (auto id = parse_node_id(parts[0])) {
        p.kind = MfsPath::Node;
        p.node = *id;
        return p;
    }
    if (auto m = parse_magic(parts[0])) {
        p.kind = MfsPath::MagicEntry;
        p.magic = *m;
        return p;
    }
    return std::nullopt;
}

bool excluded(std::string_view path, std::string_view mount) {
    return under(path, "/proc") || (!mount.empty() && mount != "/" && under(path, mount));
}

std::optional<std::string> direct_path(std::string_view path, std::string_view mount, uint16_t self) {
    auto clean = clean_absolute(path);
    auto m = clean_absolute(mount);
    if (!clean || !m || *m == "/" || !under(*clean, *m)) return std::nullopt;
    auto inside = parse(std::string_view(*clean).substr(m->size()));
    if (!inside) return std::nullopt;
    // /mfs/here itself is a symbolic link whose target home tells (readlink, lstat).
    bool ours = (inside->kind == MfsPath::Node && inside->node == self) ||
                (inside->kind == MfsPath::MagicEntry && inside->magic == Magic::Here && inside->rest != "/");
    if (!ours || excluded(inside->rest, *m)) return std::nullopt;
    return inside->rest;
}

}  // namespace omx::mfs
