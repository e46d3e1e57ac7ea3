#include "model.h"

namespace omx::tools {

using json = nlohmann::json;

namespace {

// json::value() throws when the field exists with another type; a tool should rather
// show a neutral value than die on a daemon that grew a field of a new shape.
template <class T>
T field(const json& j, const char* key, T fallback) {
    if (!j.is_object() || !j.contains(key)) return fallback;
    try {
        return j.at(key).get<T>();
    } catch (const json::exception&) {
        return fallback;
    }
}

}  // namespace

NodeInfo node_from_json(const json& j) {
    NodeInfo n;
    n.id = field<uint16_t>(j, "id", 0);
    n.address = field<std::string>(j, "address", "");
    n.host = field<std::string>(j, "host", "");
    n.self = field(j, "self", false);
    n.up = field(j, "up", false);
    n.load = field<long long>(j, "load", 0);
    n.speed = field<long long>(j, "speed", 0);
    n.cpus = field<long long>(j, "cpus", 0);
    n.util = field<long long>(j, "util", 0);
    n.mem = field<long long>(j, "mem", 0);
    n.rmem = field<long long>(j, "rmem", 0);
    n.tmem = field<long long>(j, "tmem", 0);
    n.status = field(j, "status", 0);
    n.block = field(j, "block", false);
    n.stay = field(j, "stay", false);
    n.lstay = field(j, "lstay", false);
    n.quiet = field(j, "quiet", false);
    n.nomfs = field(j, "nomfs", false);
    n.age_ms = field<long long>(j, "age_ms", -1);
    return n;
}

std::vector<NodeInfo> nodes_from_json(const json& reply) {
    std::vector<NodeInfo> out;
    if (reply.is_object() && reply.contains("nodes") && reply.at("nodes").is_array())
        for (const auto& j : reply.at("nodes")) out.push_back(node_from_json(j));
    return out;
}

AdminInfo admin_from_json(const json& j) {
    AdminInfo a;
    a.stay = field(j, "stay", false);
    a.lstay = field(j, "lstay", false);
    a.block = field(j, "block", false);
    a.quiet = field(j, "quiet", false);
    a.nomfs = field(j, "nomfs", false);
    a.speed = field<long long>(j, "speed", 0);
    a.speed_set = field<long long>(j, "speed_set", 0);
    a.calibrated_speed = field<long long>(j, "calibrated_speed", 0);
    a.decay_interval = field<long long>(j, "decay_interval", a.decay_interval);
    a.slow_decay = field<long long>(j, "slow_decay", a.slow_decay);
    a.fast_decay = field<long long>(j, "fast_decay", a.fast_decay);
    a.gateways = field<long long>(j, "gateways", 0);
    a.yardstick = field<long long>(j, "yardstick", a.yardstick);
    a.overheads = field<std::string>(j, "overheads", "");
    return a;
}

DaemonStatus status_from_json(const json& reply) {
    DaemonStatus s;
    s.version = field<std::string>(reply, "version", "");
    s.enabled = field(reply, "enabled", false);
    s.self = field<uint16_t>(reply, "self", 0);
    s.mode = field<std::string>(reply, "mode", "off");
    s.source = field<std::string>(reply, "source", "");
    s.address = field<std::string>(reply, "address", "");
    s.configured = field<long long>(reply, "configured", 0);
    s.up = field<long long>(reply, "up", 0);
    if (reply.is_object() && reply.contains("admin")) s.admin = admin_from_json(reply.at("admin"));
    return s;
}

MapView map_from_json(const json& reply) {
    MapView m;
    m.mode = field<std::string>(reply, "mode", "off");
    m.source = field<std::string>(reply, "source", "");
    m.self = field<uint16_t>(reply, "self", 0);
    if (reply.is_object() && reply.contains("lines") && reply.at("lines").is_array())
        for (const auto& l : reply.at("lines"))
            m.lines.push_back({field<uint16_t>(l, "first", 0), field<std::string>(l, "host", ""),
                               field(l, "count", 1)});
    return m;
}

}  // namespace omx::tools
