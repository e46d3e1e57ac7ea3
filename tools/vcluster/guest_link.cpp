#include "guest_link.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace vcluster::guest {

std::string encode_frame(FrameType type, std::string_view data) {
    if (data.size() > kMaxFrame) throw std::length_error("frame too large");
    std::string out;
    out.reserve(5 + data.size());
    out += char(type);
    uint32_t n = uint32_t(data.size());
    for (int shift = 24; shift >= 0; shift -= 8) out += char((n >> shift) & 0xff);
    out.append(data);
    return out;
}

std::string encode_exit(int status) { return encode_frame(FrameType::Exit, std::to_string(status)); }

int decode_exit(const Frame& f) {
    if (f.type != FrameType::Exit || f.data.empty() || f.data.size() > 4)
        throw std::runtime_error("malformed exit frame from the node");
    int status = 0;
    for (char c : f.data) {
        if (c < '0' || c > '9') throw std::runtime_error("malformed exit frame from the node");
        status = status * 10 + (c - '0');
    }
    return status;
}

std::optional<Frame> FrameReader::next() {
    if (buf_.size() < 5) return std::nullopt;
    auto type = FrameType(buf_[0]);
    if (type != FrameType::Stdin && type != FrameType::Stdout && type != FrameType::Stderr && type != FrameType::Exit)
        throw std::runtime_error(fmt::format("unknown frame type {:#04x}", uint8_t(buf_[0])));
    uint32_t n = 0;
    for (int i = 1; i <= 4; ++i) n = (n << 8) | uint8_t(buf_[i]);
    if (n > kMaxFrame) throw std::runtime_error(fmt::format("frame of {} bytes is over the limit", n));
    if (buf_.size() < 5 + size_t(n)) return std::nullopt;
    Frame f{type, buf_.substr(5, n)};
    buf_.erase(0, 5 + size_t(n));
    return f;
}

void write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw std::runtime_error(fmt::format("write: {}", std::strerror(errno)));
        data.remove_prefix(size_t(n));
    }
}

std::string read_line(int fd, size_t max) {
    std::string line;
    for (;;) {
        char c;
        ssize_t n = ::read(fd, &c, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw std::runtime_error(fmt::format("read: {}", std::strerror(errno)));
        if (n == 0) throw std::runtime_error("the connection closed");
        if (c == '\n') return line;
        if (line.size() >= max) throw std::runtime_error("line too long");
        line += c;
    }
}

std::string proof(const omx::ClusterKey& key, const std::string& challenge) {
    std::string text = "vcluster-guest " + challenge;
    return omx::to_hex(key.mac({reinterpret_cast<const uint8_t*>(text.data()), text.size()}));
}

bool proof_matches(const omx::ClusterKey& key, const std::string& challenge, const std::string& proof_hex) {
    std::string want = proof(key, challenge);
    return want.size() == proof_hex.size() && CRYPTO_memcmp(want.data(), proof_hex.data(), want.size()) == 0;
}

}  // namespace vcluster::guest
