// Seeded random and mutation testing of everything that parses bytes from the network:
// no input may crash, hang or be accepted without the right MAC.
#include <gtest/gtest.h>

#include <random>

#include "common/wire.h"

using namespace omx;

namespace {
const ClusterKey& key() {
    static ClusterKey k = ClusterKey::from_hex("0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0");
    return k;
}

// Parses a body of any type the way the daemon does; exceptions other than WireError fail.
void parse_any(MsgType t, std::span<const uint8_t> body) {
    try {
        switch (t) {
            case MsgType::Info: decode_info(body); break;
            case MsgType::Announce: decode_announce(body); break;
            case MsgType::Ping:
            case MsgType::Pong: decode_ping(body); break;
            default: break;
        }
    } catch (const WireError&) {
    }
}
}  // namespace

TEST(FuzzWire, RandomDatagramsNeverOpen) {
    std::mt19937 rng(12345);
    for (int i = 0; i < 20000; ++i) {
        std::vector<uint8_t> d(rng() % 600);
        for (auto& b : d) b = uint8_t(rng());
        if (d.size() >= 4 && (i % 2)) {  // half of them with a valid magic and version
            d[0] = 'O'; d[1] = 'M'; d[2] = 'X'; d[3] = '1';
            if (d.size() > 4) d[4] = kWireVersion;
        }
        EXPECT_FALSE(open(key(), d).env);
    }
}

TEST(FuzzWire, RandomBodiesNeverCrashTheParsers) {
    std::mt19937 rng(777);
    for (int i = 0; i < 50000; ++i) {
        std::vector<uint8_t> body(rng() % 300);
        for (auto& b : body) b = uint8_t(rng());
        if (body.size() >= 2 && (i % 3 == 0)) {  // plausible entry counts
            uint16_t n = uint16_t(rng() % 4);
            body[0] = uint8_t(n);
            body[1] = 0;
            body.resize(2 + n * kLoadEntryWire + (rng() % 3 == 0 ? rng() % 5 : 0));
        }
        parse_any(MsgType(1 + rng() % 5), body);
    }
}

TEST(FuzzWire, MutatedValidMessagesAreRejectedOrParsedSafely) {
    std::mt19937 rng(4242);
    InfoBody b;
    for (uint16_t id = 1; id <= 5; ++id) {
        LoadEntry e;
        e.id = id;
        b.entries.push_back(e);
    }
    auto good = seal(key(), MsgType::Info, 1, 1, 1, encode(b));
    for (int i = 0; i < 20000; ++i) {
        auto d = good;
        int edits = 1 + int(rng() % 4);
        for (int k = 0; k < edits; ++k) {
            switch (rng() % 3) {
                case 0: d[rng() % d.size()] ^= uint8_t(1 + rng() % 255); break;
                case 1: d.resize(rng() % d.size()); break;
                case 2: d.insert(d.begin() + long(rng() % d.size()), uint8_t(rng())); break;
            }
            if (d.empty()) break;
        }
        auto r = open(key(), d);
        EXPECT_FALSE(r.env && d != good);
    }
}
