#include "wire.h"

namespace omx {

const char* to_string(OpenError e) {
    switch (e) {
        case OpenError::Short: return "short datagram";
        case OpenError::BadMagic: return "bad magic";
        case OpenError::BadVersion: return "unsupported version";
        case OpenError::BadLength: return "length mismatch";
        case OpenError::BadMac: return "bad MAC";
    }
    return "unknown";
}

std::vector<uint8_t> seal(const ClusterKey& key, MsgType type, uint16_t sender, uint64_t epoch,
                          uint64_t seq, std::span<const uint8_t> body) {
    ByteWriter w;
    w.u32(kWireMagic);
    w.u8(kWireVersion);
    w.u8(uint8_t(type));
    w.u16(sender);
    w.u64(epoch);
    w.u64(seq);
    w.u32(uint32_t(body.size()));
    w.bytes(body);
    Mac m = key.mac(w.data());
    w.bytes(m);
    return std::move(w.data());
}

OpenResult open(const ClusterKey& key, std::span<const uint8_t> d) {
    OpenResult r;
    if (d.size() < kHeaderSize + kMacSize) {
        r.error = OpenError::Short;
        return r;
    }
    ByteReader h(d.first(kHeaderSize));
    if (h.u32() != kWireMagic) {
        r.error = OpenError::BadMagic;
        return r;
    }
    if (h.u8() != kWireVersion) {
        r.error = OpenError::BadVersion;
        return r;
    }
    Envelope env;
    env.type = MsgType(h.u8());
    env.sender = h.u16();
    env.epoch = h.u64();
    env.seq = h.u64();
    uint32_t len = h.u32();
    if (size_t(len) != d.size() - kHeaderSize - kMacSize) {
        r.error = OpenError::BadLength;
        return r;
    }
    auto signed_part = d.first(kHeaderSize + len);
    if (!key.verify(signed_part, d.subspan(kHeaderSize + len, kMacSize))) {
        r.error = OpenError::BadMac;
        return r;
    }
    env.body = d.subspan(kHeaderSize, len);
    r.env = env;
    return r;
}

bool ReplayGuard::accept(uint64_t epoch, uint64_t seq) {
    if (!any_ || epoch > epoch_) {
        any_ = true;
        epoch_ = epoch;
        top_ = seq;
        window_ = 1;
        return true;
    }
    if (epoch < epoch_) return false;
    if (seq > top_) {
        uint64_t shift = seq - top_;
        window_ = shift >= 64 ? 1 : (window_ << shift) | 1;
        top_ = seq;
        return true;
    }
    uint64_t back = top_ - seq;
    if (back >= 64) return false;
    uint64_t bit = uint64_t(1) << back;
    if (window_ & bit) return false;
    window_ |= bit;
    return true;
}

static void put_entry(ByteWriter& w, const LoadEntry& e) {
    w.u16(e.id);
    w.u32(e.ipv4);
    w.u64(e.origin_epoch);
    w.u64(e.heartbeat);
    w.u32(e.age_ms);
    w.u32(e.load);
    w.u32(e.speed);
    w.u16(e.cpus);
    w.u16(e.util);
    w.u64(e.mem);
    w.u64(e.rmem);
    w.u64(e.tmem);
    w.u16(e.status);
}

static LoadEntry get_entry(ByteReader& r) {
    LoadEntry e;
    e.id = r.u16();
    e.ipv4 = r.u32();
    e.origin_epoch = r.u64();
    e.heartbeat = r.u64();
    e.age_ms = r.u32();
    e.load = r.u32();
    e.speed = r.u32();
    e.cpus = r.u16();
    e.util = r.u16();
    e.mem = r.u64();
    e.rmem = r.u64();
    e.tmem = r.u64();
    e.status = r.u16();
    if (e.id == 0) throw WireError("node id 0 in load entry");
    return e;
}

std::vector<uint8_t> encode(const InfoBody& b) {
    if (b.entries.empty() || b.entries.size() > kMaxEntriesPerInfo)
        throw WireError("info body needs 1..256 entries");
    ByteWriter w;
    w.u16(uint16_t(b.entries.size()));
    for (const auto& e : b.entries) put_entry(w, e);
    return std::move(w.data());
}

InfoBody decode_info(std::span<const uint8_t> body) {
    ByteReader r(body);
    uint16_t n = r.u16();
    if (n == 0 || n > kMaxEntriesPerInfo) throw WireError("info entry count out of range");
    if (r.remaining() != size_t(n) * kLoadEntryWire) throw WireError("info body size mismatch");
    InfoBody b;
    b.entries.reserve(n);
    for (uint16_t i = 0; i < n; ++i) b.entries.push_back(get_entry(r));
    r.expect_end();
    return b;
}

std::vector<uint8_t> encode(const AnnounceBody& b) {
    ByteWriter w;
    w.u32(b.ipv4);
    w.u16(b.id);
    w.u16(b.flags);
    return std::move(w.data());
}

AnnounceBody decode_announce(std::span<const uint8_t> body) {
    ByteReader r(body);
    AnnounceBody b;
    b.ipv4 = r.u32();
    b.id = r.u16();
    b.flags = r.u16();
    r.expect_end();
    if (b.id == 0) throw WireError("node id 0 in announcement");
    return b;
}

std::vector<uint8_t> encode(const PingBody& b) {
    ByteWriter w;
    w.u64(b.nonce);
    return std::move(w.data());
}

PingBody decode_ping(std::span<const uint8_t> body) {
    ByteReader r(body);
    PingBody b;
    b.nonce = r.u64();
    r.expect_end();
    return b;
}

}  // namespace omx
