#pragma once
// The three ways the tools print the cluster table: showmap's table, the init script's
// status text, and setpe -r's map syntax. All from the daemon's "map" reply.
#include <string>

#include "model.h"

namespace omx::tools {

// True when the daemon has no configuration (setpe -off, or never configured).
bool map_disabled(const MapView& map);

// Sum of the counts of the non-ALIAS lines: the number of configured nodes.
long long configured_nodes(const MapView& map);

// showmap:
//   My Node-Id: 0x0002
//
//   Base Node-Id Address          Count
//   ------------ ---------------- -----
//   0x0001       10.210.0.1       4
std::string showmap_text(const MapView& map);

// /etc/init.d/openmosix status (or "OpenMosix is currently disabled").
std::string init_status_text(const MapView& map);
inline constexpr const char* kDisabledText = "OpenMosix is currently disabled\n";

// setpe -r: "first host count" per line, ALIAS lines as "id address ALIAS".
std::string map_text(const MapView& map);

}  // namespace omx::tools
