#include "bytes.h"

namespace omx {

void ByteWriter::str16(const std::string& s) {
    if (s.size() > 0xffff) throw WireError("string too long for the wire");
    u16(uint16_t(s.size()));
    buf_.insert(buf_.end(), s.begin(), s.end());
}

void ByteWriter::patch_u32(size_t at, uint32_t v) {
    if (at + 4 > buf_.size()) throw WireError("patch outside buffer");
    for (int i = 0; i < 4; ++i) buf_[at + i] = uint8_t(v >> (8 * i));
}

std::string ByteReader::str16() {
    auto n = u16();
    auto b = bytes(n);
    return std::string(b.begin(), b.end());
}

}  // namespace omx
