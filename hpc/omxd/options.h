#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace omx {

struct Options {
    bool foreground = false;
    bool autodiscovery = false;   // force autodiscovery even if a map file exists
    std::string map_file;         // explicit map; empty = search order, then autodiscovery
    std::string iface;            // -i: interface for autodiscovery
    std::string key_file = "/etc/openmosix/cluster.key";
    std::string state_dir = "/var/lib/omxd";
    std::string run_dir = "/run/omxd";
    std::string control_socket;   // empty = <run_dir>/control.sock
    std::chrono::milliseconds interval{1000};
    std::chrono::milliseconds down_timeout{5000};
    std::chrono::milliseconds forget_after{60000};  // autodiscovery: drop long-dead nodes
    size_t fanout = 3;
    uint16_t info_port = 5428;
    uint16_t discovery_port = 5429;
    uint16_t migration_port = 4660;
    uint16_t metrics_port = 5430;  // 0 = no metrics server
    std::string metrics_address = "0.0.0.0";
    bool log_syslog = false;
    std::string log_level = "info";
    bool omdiscd = false;
    // oMFS: omxd keeps it mounted at mfs_mount (omx-mfs) unless mfs is off.
    bool mfs = true;
    std::string mfs_mount = "/mfs";
    bool dfsa = true;  // started under the name omdiscd
};

}  // namespace omx
