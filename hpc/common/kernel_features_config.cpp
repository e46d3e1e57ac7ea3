// The .config half of the kernel check: parse kernel/openmosix.config and a kernel's
// .config, and name each fragment symbol the config lacks.
#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "common/kernel_features.h"

namespace omx::kernel {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

bool is_symbol(std::string_view s) {
    if (s.size() <= 7 || s.substr(0, 7) != "CONFIG_") return false;
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
    return true;
}

std::vector<std::string> words(std::string_view s) {
    std::istringstream in{std::string(s)};
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

// "#@ NAME required|optional [arch=ARCH]"
FragmentGroup parse_group_header(std::string_view line, const std::string& where) {
    auto w = words(line.substr(2));
    if (w.size() < 2 || w.size() > 3 || (w[1] != "required" && w[1] != "optional"))
        throw std::runtime_error(where + ": expected '#@ GROUP required|optional [arch=um|x86]'");
    FragmentGroup g{w[0], w[1] == "required" ? Need::required : Need::optional, "", {}};
    if (w.size() == 3) {
        if (w[2] != "arch=um" && w[2] != "arch=x86")
            throw std::runtime_error(where + ": unknown '" + w[2] + "' (arch=um or arch=x86)");
        g.arch = w[2].substr(5);
    }
    return g;
}

// Whether a config value gives what the fragment asks for; a module does for "y".
bool satisfies(const std::string& have, const std::string& want) {
    if (want == "y" || want == "m") return have == "y" || have == "m";
    if (want == "n") return have.empty() || have == "n";
    return have == want;
}

std::string config_detail(const std::string& have, const std::string& want) {
    if (have.empty()) return fmt::format("absent, want {}", want);
    if (have == "n") return fmt::format("not set, want {}", want);
    if (!satisfies(have, want)) return fmt::format("={}, want {}", have, want);
    return have == "m" && want == "y" ? "=m (module)" : "=" + have;
}

std::string read_gzip(const std::string& path) {
    std::unique_ptr<gzFile_s, int (*)(gzFile)> gz(gzopen(path.c_str(), "rb"), gzclose);
    if (!gz) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
    std::string text;
    char buf[65536];
    int n;
    while ((n = gzread(gz.get(), buf, sizeof buf)) > 0) text.append(buf, size_t(n));
    if (n < 0) throw std::runtime_error("cannot read " + path + ": not a valid gzip file");
    return text;
}

}  // namespace

Fragment Fragment::parse(std::string_view text, const std::string& origin) {
    Fragment f;
    std::istringstream in{std::string(text)};
    int lineno = 0;
    for (std::string raw; std::getline(in, raw);) {
        ++lineno;
        std::string_view line = trim(raw);
        std::string where = fmt::format("{}:{}", origin, lineno);
        if (line.substr(0, 2) == "#@") {
            f.groups.push_back(parse_group_header(line, where));
            continue;
        }
        if (line.empty() || line.front() == '#') continue;  // prose
        auto eq = line.find('=');
        if (eq == std::string_view::npos || !is_symbol(line.substr(0, eq)) || eq + 1 == line.size())
            throw std::runtime_error(where + ": expected CONFIG_NAME=VALUE");
        if (f.groups.empty()) throw std::runtime_error(where + ": option before the first '#@ GROUP' line");
        f.groups.back().symbols.emplace_back(std::string(line.substr(0, eq)), std::string(line.substr(eq + 1)));
    }
    return f;
}

KernelConfig parse_config(std::string_view text) {
    KernelConfig config;
    std::istringstream in{std::string(text)};
    for (std::string raw; std::getline(in, raw);) {
        std::string_view line = trim(raw);
        constexpr std::string_view kNotSet = " is not set";
        if (line.starts_with("# ") && line.ends_with(kNotSet)) {
            std::string sym(line.substr(2, line.size() - 2 - kNotSet.size()));
            if (is_symbol(sym)) config.insert_or_assign(std::move(sym), std::string("n"));
            continue;
        }
        auto eq = line.find('=');
        if (eq != std::string_view::npos && is_symbol(line.substr(0, eq)))
            config[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
    }
    return config;
}

KernelConfig read_config_file(const std::string& path) {
    // gzopen reads plain files too, so one path serves .config and /proc/config.gz.
    std::string text = read_gzip(path);
    KernelConfig config = parse_config(text);
    if (config.empty()) throw std::runtime_error(path + ": no CONFIG_ lines (not a kernel .config?)");
    return config;
}

std::string running_config_path() {
    if (access("/proc/config.gz", R_OK) == 0) return "/proc/config.gz";
    utsname u{};
    if (uname(&u) == 0) {
        std::string boot = std::string("/boot/config-") + u.release;
        if (access(boot.c_str(), R_OK) == 0) return boot;
    }
    return "";
}

std::string config_arch(const KernelConfig& config) {
    auto is_y = [&](const char* sym) {
        auto it = config.find(sym);
        return it != config.end() && it->second == "y";
    };
    if (is_y("CONFIG_UML")) return "um";
    if (is_y("CONFIG_X86")) return "x86";
    return "";
}

Report check_config(const Fragment& fragment, const KernelConfig& config, const std::string& arch, bool strict) {
    Report report;
    for (const auto& g : fragment.groups) {
        if (!g.arch.empty() && g.arch != arch) continue;
        Need need = strict ? Need::required : g.need;
        for (const auto& [sym, want] : g.symbols) {
            auto it = config.find(sym);
            std::string have = it == config.end() ? "" : it->second;
            report.features.push_back({g.name, g.name, sym, need, satisfies(have, want), config_detail(have, want)});
        }
    }
    return report;
}

}  // namespace omx::kernel
