#include "mosctl_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace omx::tools {

std::string whois_text(const WhoisAnswer& a, bool asked_about_this_node) {
    if (asked_about_this_node) return fmt::format("This is openMosix #{}\n", a.id);
    if (a.host.empty() || a.host == a.address) return fmt::format("openMosix #{} is {}\n", a.id, a.address);
    return fmt::format("openMosix #{} is {} ({})\n", a.id, a.address, a.host);
}

std::string decay_text(const AdminInfo& a) {
    return fmt::format("{} {} {}\n", a.decay_interval, a.slow_decay, a.fast_decay);
}

std::string tune_text(const AdminInfo& a) {
    return (a.overheads.empty() ? std::string("default") : a.overheads) + "\n";
}

long long getter_value(MosctlVerb verb, const NodeInfo& n) {
    switch (verb) {
        case MosctlVerb::GetLoad: return n.load;
        case MosctlVerb::GetSpeed: return n.speed;
        case MosctlVerb::GetMem: return n.mem * kPageSize;
        case MosctlVerb::GetFree: return n.rmem * kPageSize;
        case MosctlVerb::GetUtil: return n.util;
        default: return 0;
    }
}

namespace {

std::string yes_no(bool b) { return b ? "yes" : "no"; }

std::string megabytes(long long pages) {
    return fmt::format("{} MB", pages * kPageSize / (1024 * 1024));
}

std::string line(const char* label, const std::string& value) {
    return fmt::format("{:<15}{}\n", std::string(label) + ":", value);
}

std::string age_text(long long age_ms) {
    if (age_ms < 0) return "never";
    return fmt::format("{:.1f} s ago", double(age_ms) / 1000.0);
}

}  // namespace

std::string node_status_text(const NodeInfo& n, const AdminInfo* admin) {
    std::string where = n.host.empty() || n.host == n.address ? n.address : n.address + ", " + n.host;
    std::string out = fmt::format("openMosix #{} is {} ({}{})\n", n.id, n.up ? "up" : "DOWN", where,
                                  n.self ? ", this node" : "");
    out += line("last heard", age_text(n.age_ms));
    if (!n.up && n.age_ms < 0) return out;  // nothing was ever reported: no stale figures
    out += line("load", std::to_string(n.load));
    out += line("speed", std::to_string(n.speed));
    out += line("cpus", std::to_string(n.cpus));
    out += line("utilization", fmt::format("{}%", n.util));
    out += line("memory", fmt::format("{} free ({} free to Linux) of {}", megabytes(n.mem),
                                      megabytes(n.rmem), megabytes(n.tmem)));
    out += line("block", yes_no(n.block));
    out += line("stay", yes_no(n.stay));
    out += line("lstay", yes_no(n.lstay));
    out += line("quiet", yes_no(n.quiet));
    out += line("nomfs", yes_no(n.nomfs));
    if (admin) {
        std::string speed = admin->speed_set ? fmt::format("{} (set; calibrated {})", admin->speed_set,
                                                           admin->calibrated_speed)
                                             : fmt::format("{} (calibrated)", admin->calibrated_speed);
        out += line("speed setting", speed);
        out += line("yardstick", std::to_string(admin->yardstick));
        out += line("decay", fmt::format("every {} s, slow {}/1000, fast {}/1000", admin->decay_interval,
                                         admin->slow_decay, admin->fast_decay));
        out += line("gateways", std::to_string(admin->gateways));
    }
    return out;
}

std::optional<long long> processor_yardstick(const std::string& name) {
    std::string key;
    for (char c : name)
        if (std::isalnum(static_cast<unsigned char>(c))) key += char(std::tolower(static_cast<unsigned char>(c)));
    // Speeds are relative to the reference core, a Pentium III at 1 GHz (= 100).
    if (key == "piii" || key == "pentiumiii" || key == "pentium3" || key == "p3" || key == "reference")
        return 100;
    return std::nullopt;
}

}  // namespace omx::tools
