#pragma once
// Bounds-checked little-endian encoding for everything that crosses the network.
// A reader never reads past its buffer: a short or malformed body raises WireError,
// which the receiving daemon counts and drops.
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace omx {

struct WireError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class ByteWriter {
public:
    void u8(uint8_t v) { buf_.push_back(v); }
    void u16(uint16_t v) { put(v, 2); }
    void u32(uint32_t v) { put(v, 4); }
    void u64(uint64_t v) { put(v, 8); }
    void bytes(std::span<const uint8_t> b) { buf_.insert(buf_.end(), b.begin(), b.end()); }
    void str16(const std::string& s);  // u16 length + bytes
    void patch_u32(size_t at, uint32_t v);
    size_t size() const { return buf_.size(); }
    std::vector<uint8_t>& data() { return buf_; }
    const std::vector<uint8_t>& data() const { return buf_; }

private:
    void put(uint64_t v, int n) {
        for (int i = 0; i < n; ++i) buf_.push_back(uint8_t(v >> (8 * i)));
    }
    std::vector<uint8_t> buf_;
};

class ByteReader {
public:
    explicit ByteReader(std::span<const uint8_t> b) : b_(b) {}
    uint8_t u8() { return uint8_t(get(1)); }
    uint16_t u16() { return uint16_t(get(2)); }
    uint32_t u32() { return uint32_t(get(4)); }
    uint64_t u64() { return get(8); }
    std::span<const uint8_t> bytes(size_t n) {
        need(n);
        auto s = b_.subspan(pos_, n);
        pos_ += n;
        return s;
    }
    std::string str16();
    size_t remaining() const { return b_.size() - pos_; }
    size_t pos() const { return pos_; }
    void expect_end() const {
        if (remaining() != 0) throw WireError("trailing bytes in message body");
    }

private:
    void need(size_t n) const {
        if (n > remaining()) throw WireError("message truncated");
    }
    uint64_t get(int n) {
        need(size_t(n));
        uint64_t v = 0;
        for (int i = 0; i < n; ++i) v |= uint64_t(b_[pos_ + i]) << (8 * i);
        pos_ += size_t(n);
        return v;
    }
    std::span<const uint8_t> b_;
    size_t pos_ = 0;
};

}  // namespace omx
