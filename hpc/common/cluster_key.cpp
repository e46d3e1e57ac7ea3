#include "cluster_key.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace omx {

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = char(std::tolower(static_cast<unsigned char>(c)));
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

ClusterKey ClusterKey::from_hex(const std::string& text) {
    std::string hex;
    for (char c : text)
        if (!std::isspace(static_cast<unsigned char>(c))) hex += c;
    if (hex.size() % 2 != 0) throw std::runtime_error("cluster key: odd number of hex digits");
    ClusterKey k;
    for (size_t i = 0; i < hex.size(); i += 2) {
        int hi = hex_digit(hex[i]), lo = hex_digit(hex[i + 1]);
        if (hi < 0 || lo < 0) throw std::runtime_error("cluster key: not a hex string");
        k.key_.push_back(uint8_t(hi * 16 + lo));
    }
    if (k.key_.size() < 16)
        throw std::runtime_error("cluster key: too short (need at least 16 bytes = 32 hex digits)");
    return k;
}

ClusterKey ClusterKey::load(const std::string& path) {
    std::ifstream in(path);
    if (!in)
        throw std::runtime_error("cannot read cluster key " + path +
                                 ": create one with `omxd --genkey " + path +
                                 "` and copy it to every node");
    std::stringstream ss;
    ss << in.rdbuf();
    try {
        return from_hex(ss.str());
    } catch (const std::exception& e) {
        throw std::runtime_error(path + ": " + e.what());
    }
}

std::string to_hex(std::span<const uint8_t> bytes) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (uint8_t b : bytes) {
        out += digits[b >> 4];
        out += digits[b & 15];
    }
    return out;
}

std::string random_hex(size_t bytes) {
    std::vector<uint8_t> raw(bytes);
    if (RAND_bytes(raw.data(), int(raw.size())) != 1) throw std::runtime_error("RAND_bytes failed");
    return to_hex(raw);
}

std::string ClusterKey::generate_hex() { return random_hex(32); }

Mac ClusterKey::mac(std::span<const uint8_t> data) const {
    Mac out{};
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key_.data(), int(key_.size()), data.data(), data.size(), out.data(),
              &len) ||
        len != kMacSize)
        throw std::runtime_error("HMAC-SHA256 failed");
    return out;
}

bool ClusterKey::verify(std::span<const uint8_t> data, std::span<const uint8_t> m) const {
    if (m.size() != kMacSize) return false;
    Mac expect = mac(data);
    return CRYPTO_memcmp(expect.data(), m.data(), kMacSize) == 0;
}

}  // namespace omx
