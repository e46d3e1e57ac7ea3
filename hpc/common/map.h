#pragma once
// /etc/openmosix.map: parsing, resolution and the local-node check, shared by omxd
// (which applies a map) and setpe (which reports errors before sending one).
//
//   # comment
//   1   192.168.1.1   4        ids 1..4 at .1 .. .4 (ranges count up the last byte)
//   5   node5         1        hostnames allowed when the count is 1
//   4   10.0.0.4      ALIAS    extra address of node 4 (same as count 0)
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace omx {

inline constexpr int kMaxMapLines = 256;
inline const std::vector<std::string> kMapSearchOrder = {
    "/etc/openmosix.map", "/etc/mosix.map", "/etc/hpc.map"};

struct MapError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct MapLine {
    int line_no = 0;
    uint16_t first = 0;
    std::string host;  // as written
    int count = 1;     // 0 = ALIAS
    bool alias() const { return count == 0; }
};

struct ClusterMap {
    std::vector<MapLine> lines;
};

// Syntax only (no name resolution). `origin` names the source in errors
// ("/etc/openmosix.map" or "stdin"); errors read "<origin>:<line>: <what is wrong>".
ClusterMap parse_map(const std::string& text, const std::string& origin);

struct NodeAddress {
    uint16_t id = 0;
    std::vector<uint32_t> ipv4;  // network byte order; [0] is the primary address
    std::string host;            // as written in the map (IP text or hostname)
};
using NodeSet = std::map<uint16_t, NodeAddress>;

// Resolves hostnames and expands ranges. Throws MapError naming the line on failure.
NodeSet resolve_map(const ClusterMap& map, const std::string& origin);

// The node whose addresses include one of `local`, or nullopt.
std::optional<uint16_t> find_local_node(const NodeSet& nodes, const std::vector<uint32_t>& local);

// openMosix's two-line complaint when the local address is not in the table.
std::string not_in_map_message(uint32_t shown_ip);

// Prints a map back in map syntax (setpe -r).
std::string format_map(const ClusterMap& map);

// Reads the first existing file of kMapSearchOrder; nullopt when none exists.
struct MapFile {
    std::string path;
    std::string text;
};
std::optional<MapFile> read_first_map_file(const std::vector<std::string>& order = kMapSearchOrder);

}  // namespace omx
