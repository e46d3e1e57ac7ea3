#pragma once
// The link between `vcluster` on the host and `vcluster-guestd` in a VM node (UML, QEMU):
// how the host runs commands, starts daemons and asks omxd things in a node whose kernel
// is not ours. One TCP connection per request, made from the switch's network:
//
//   guestd → "vcluster-guestd 1 <challenge hex>\n"
//   host   → "<HMAC-SHA256(cluster key, "vcluster-guest " + challenge) hex>\n"
//   host   → one JSON request line: {"op": "exec"|"spawn"|"control"|"pids"|"kill", ...}
//   exec:    {"ok": true} (or the error), then frames both ways (below) until guestd
//            sends the exit frame;
//   others:  one JSON reply line ({"ok": true, ...} or {"ok": false, "error": "..."}).
//
// A frame is 1 type byte, a 4-byte big-endian length and that many bytes. The host sends
// stdin frames (an empty one is end of input); guestd sends stdout, stderr and, last, the
// exit frame holding the status as a shell reports it (128+signal when killed).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/cluster_key.h"

namespace vcluster::guest {

inline constexpr int kGuestPort = 4671;
inline constexpr size_t kMaxFrame = 1 << 20;
inline constexpr size_t kMaxLine = 1 << 20;

enum class FrameType : char { Stdin = 'i', Stdout = 'o', Stderr = 'e', Exit = 'x' };

struct Frame {
    FrameType type;
    std::string data;
};

std::string encode_frame(FrameType type, std::string_view data);
std::string encode_exit(int status);
int decode_exit(const Frame& f);   // throws std::runtime_error on a malformed exit frame

// Collects bytes as they arrive and hands out whole frames; throws std::runtime_error on
// an unknown type or an oversized frame (the peer is not speaking this protocol).
class FrameReader {
public:
    void append(std::string_view bytes) { buf_.append(bytes); }
    std::optional<Frame> next();

private:
    std::string buf_;
};

// Blocking helpers on a socket; both throw std::runtime_error naming what failed.
void write_all(int fd, std::string_view data);
// Reads one line (without its newline) byte by byte, so nothing after it is consumed.
std::string read_line(int fd, size_t max = kMaxLine);

using omx::random_hex;
std::string proof(const omx::ClusterKey& key, const std::string& challenge);
bool proof_matches(const omx::ClusterKey& key, const std::string& challenge, const std::string& proof_hex);

}  // namespace vcluster::guest
