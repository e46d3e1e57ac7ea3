#pragma once
// The cluster key: a secret shared by every node, used for HMAC-SHA256 over every
// node-to-node message. Stored as hex (at least 16 bytes of key) in a root-only file.
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace omx {

inline constexpr const char* kDefaultKeyFile = "/etc/openmosix/cluster.key";
inline constexpr size_t kMacSize = 32;
using Mac = std::array<uint8_t, kMacSize>;

// Lowercase hex of bytes, and of n random bytes (challenges, keys).
std::string to_hex(std::span<const uint8_t> bytes);
std::string random_hex(size_t bytes);

class ClusterKey {
public:
    // Reads and validates a key file; throws std::runtime_error with a one-line,
    // actionable message (missing file, bad hex, too short).
    static ClusterKey load(const std::string& path);
    static ClusterKey from_hex(const std::string& hex);
    // 32 random bytes as hex, for `omxd --genkey`.
    static std::string generate_hex();

    Mac mac(std::span<const uint8_t> data) const;
    bool verify(std::span<const uint8_t> data, std::span<const uint8_t> mac) const;

private:
    std::vector<uint8_t> key_;
};

}  // namespace omx
