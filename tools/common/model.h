#pragma once
// The daemon's replies (docs/control-protocol.md) as plain structs, so formatters and
// tests never touch JSON. Missing fields get neutral defaults: an older or newer omxd
// must not make a tool crash.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace omx::tools {

inline constexpr long long kPageSize = 4096;  // mem/rmem/tmem are in openMosix pages

struct NodeInfo {
    uint16_t id = 0;
    std::string address;
    std::string host;
    bool self = false;
    bool up = false;
    long long load = 0, speed = 0, cpus = 0, util = 0;
    long long mem = 0, rmem = 0, tmem = 0;  // pages
    int status = 0;
    bool block = false, stay = false, lstay = false, quiet = false, nomfs = false;
    long long age_ms = -1;  // -1: never heard from
};

struct AdminInfo {
    bool stay = false, lstay = false, block = false, quiet = false, nomfs = false;
    long long speed = 0, speed_set = 0, calibrated_speed = 0;
    long long decay_interval = 1, slow_decay = 975, fast_decay = 926;
    long long gateways = 0, yardstick = 100;
    std::string overheads;
};

struct DaemonStatus {
    std::string version;
    bool enabled = false;
    uint16_t self = 0;
    std::string mode;  // "map", "auto" or "off"
    std::string source;
    std::string address;
    long long configured = 0, up = 0;
    AdminInfo admin;
};

struct MapRow {
    uint16_t first = 0;
    std::string host;
    int count = 1;  // 0 = ALIAS
};

struct MapView {
    std::string mode;
    std::string source;
    uint16_t self = 0;
    std::vector<MapRow> lines;
};

NodeInfo node_from_json(const nlohmann::json& j);
std::vector<NodeInfo> nodes_from_json(const nlohmann::json& reply);  // {"nodes":[...]}
AdminInfo admin_from_json(const nlohmann::json& j);
DaemonStatus status_from_json(const nlohmann::json& reply);
MapView map_from_json(const nlohmann::json& reply);

}  // namespace omx::tools
