#pragma once
// The node-to-node wire format, declared once and used by every daemon part.
//
// Every datagram (and, later, every stream frame) is an envelope:
//
//   offset size  field
//   0      4     magic "OMX1"
//   4      1     version (1)
//   5      1     type (MsgType)
//   6      2     sender node id
//   8      8     sender epoch (start time of the sending daemon, ns since 1970)
//   16     8     sequence number (per epoch, strictly increasing)
//   24     4     body length
//   28     n     body (type-specific, little-endian)
//   28+n   32    HMAC-SHA256 over bytes [0, 28+n) with the cluster key
//
// A receiver checks length, magic, version, MAC, then the replay guard, then parses the
// body with a bounds-checked reader. Anything that fails is dropped and counted.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bytes.h"
#include "cluster_key.h"

namespace omx {

inline constexpr uint32_t kWireMagic = 0x31584d4f;  // "OMX1" little-endian
inline constexpr uint8_t kWireVersion = 1;
inline constexpr size_t kHeaderSize = 28;
inline constexpr size_t kMaxDatagram = 65000;
inline constexpr uint16_t kInfoPort = 5428;       // openMosix info daemon port
inline constexpr uint16_t kMigrationPort = 4660;  // openMosix migration port
inline constexpr uint16_t kDiscoveryPort = 5429;
inline constexpr const char* kDiscoveryGroup = "224.0.0.179";  // link-local scope, TTL 1

enum class MsgType : uint8_t {
    Info = 1,      // load vector gossip
    Announce = 2,  // autodiscovery: "I am node N at address A"
    Ping = 3,      // mosctl isup
    Pong = 4,
};

struct Envelope {
    MsgType type{};
    uint16_t sender = 0;
    uint64_t epoch = 0;
    uint64_t seq = 0;
    std::span<const uint8_t> body;  // points into the datagram
};

enum class OpenError { Short, BadMagic, BadVersion, BadLength, BadMac };
const char* to_string(OpenError e);

struct OpenResult {
    std::optional<Envelope> env;
    OpenError error{};
};

std::vector<uint8_t> seal(const ClusterKey& key, MsgType type, uint16_t sender, uint64_t epoch,
                          uint64_t seq, std::span<const uint8_t> body);
OpenResult open(const ClusterKey& key, std::span<const uint8_t> datagram);

// Per-sender protection against replayed datagrams: a newer epoch (daemon restart) resets
// the window; within an epoch a 64-entry sliding window tolerates UDP reordering.
class ReplayGuard {
public:
    // True when (epoch, seq) is new; records it.
    bool accept(uint64_t epoch, uint64_t seq);

private:
    uint64_t epoch_ = 0;
    uint64_t top_ = 0;      // highest seq seen in epoch_
    uint64_t window_ = 0;   // bit i = seq (top_ - i) seen
    bool any_ = false;
};

// ---- bodies ----------------------------------------------------------------------------

// Status bits of a node, as carried in Info and shown by /run/hpc/nodes/<id>/status.
enum NodeStatusBits : uint16_t {
    kStatusConfigured = 1 << 0,
    kStatusUp = 1 << 2,  // bit 2 = up, as in /proc/hpc/nodes/<id>/status
    kStatusBlock = 1 << 3,
    kStatusStay = 1 << 4,
    kStatusLstay = 1 << 5,
    kStatusQuiet = 1 << 6,
    kStatusNoMfs = 1 << 7,
};

// What one node tells about itself; relayed by others with its age.
struct LoadEntry {
    uint16_t id = 0;
    uint32_t ipv4 = 0;          // network byte order
    uint64_t origin_epoch = 0;  // the origin daemon's epoch...
    uint64_t heartbeat = 0;     // ...and its counter: (epoch, heartbeat) orders freshness
    uint32_t age_ms = 0;        // time since the origin produced it, as the sender estimates
    uint32_t load = 0;          // openMosix load (100 = one process on a speed-100 CPU)
    uint32_t speed = 0;         // 100 = reference 1 GHz core
    uint16_t cpus = 0;
    uint16_t util = 0;          // percent of the node's CPU capacity in use
    uint64_t mem = 0;           // pages available as openMosix believes
    uint64_t rmem = 0;          // pages free as Linux believes
    uint64_t tmem = 0;          // total pages
    uint16_t status = 0;        // NodeStatusBits of the origin's admin state

    bool fresher_than(const LoadEntry& o) const {
        return origin_epoch != o.origin_epoch ? origin_epoch > o.origin_epoch
                                              : heartbeat > o.heartbeat;
    }
};
inline constexpr size_t kLoadEntryWire = 2 + 4 + 8 + 8 + 4 + 4 + 4 + 2 + 2 + 8 + 8 + 8 + 2;
inline constexpr size_t kMaxEntriesPerInfo = 256;

struct InfoBody {
    std::vector<LoadEntry> entries;  // entries[0] is the sender itself
};
std::vector<uint8_t> encode(const InfoBody& b);
InfoBody decode_info(std::span<const uint8_t> body);

struct AnnounceBody {
    uint32_t ipv4 = 0;  // network byte order
    uint16_t id = 0;
    uint16_t flags = 0;
};
std::vector<uint8_t> encode(const AnnounceBody& b);
AnnounceBody decode_announce(std::span<const uint8_t> body);

struct PingBody {
    uint64_t nonce = 0;
};
std::vector<uint8_t> encode(const PingBody& b);
PingBody decode_ping(std::span<const uint8_t> body);

}  // namespace omx
