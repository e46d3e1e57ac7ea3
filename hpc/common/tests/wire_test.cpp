#include <gtest/gtest.h>

#include "common/wire.h"

using namespace omx;

namespace {
ClusterKey key() { return ClusterKey::from_hex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"); }
ClusterKey other_key() { return ClusterKey::from_hex("ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"); }

LoadEntry entry(uint16_t id) {
    LoadEntry e;
    e.id = id;
    e.ipv4 = 0x0100000a;
    e.origin_epoch = 77;
    e.heartbeat = 5;
    e.age_ms = 12;
    e.load = 150;
    e.speed = 300;
    e.cpus = 2;
    e.util = 40;
    e.mem = 1000;
    e.rmem = 900;
    e.tmem = 2000;
    e.status = kStatusUp | kStatusBlock;
    return e;
}
}  // namespace

TEST(Wire, SealOpenRoundTrip) {
    InfoBody b;
    b.entries = {entry(3), entry(7)};
    auto body = encode(b);
    auto d = seal(key(), MsgType::Info, 3, 42, 9, body);
    EXPECT_EQ(d.size(), kHeaderSize + body.size() + kMacSize);
    auto r = open(key(), d);
    ASSERT_TRUE(r.env);
    EXPECT_EQ(r.env->type, MsgType::Info);
    EXPECT_EQ(r.env->sender, 3);
    EXPECT_EQ(r.env->epoch, 42u);
    EXPECT_EQ(r.env->seq, 9u);
    auto back = decode_info(r.env->body);
    ASSERT_EQ(back.entries.size(), 2u);
    EXPECT_EQ(back.entries[1].id, 7);
    EXPECT_EQ(back.entries[1].tmem, 2000u);
    EXPECT_EQ(back.entries[0].status, kStatusUp | kStatusBlock);
}

TEST(Wire, WrongKeyIsBadMac) {
    auto d = seal(other_key(), MsgType::Ping, 1, 1, 1, encode(PingBody{5}));
    auto r = open(key(), d);
    EXPECT_FALSE(r.env);
    EXPECT_EQ(r.error, OpenError::BadMac);
}

TEST(Wire, EveryFlippedBitIsRejected) {
    auto d = seal(key(), MsgType::Ping, 1, 1, 1, encode(PingBody{5}));
    for (size_t i = 0; i < d.size() * 8; ++i) {
        auto c = d;
        c[i / 8] ^= uint8_t(1 << (i % 8));
        EXPECT_FALSE(open(key(), c).env) << "bit " << i;
    }
}

TEST(Wire, TruncationIsRejected) {
    auto d = seal(key(), MsgType::Ping, 1, 1, 1, encode(PingBody{5}));
    for (size_t n = 0; n < d.size(); ++n)
        EXPECT_FALSE(open(key(), std::span<const uint8_t>(d.data(), n)).env) << n;
}

TEST(Wire, InfoBodyChecks) {
    InfoBody b;
    b.entries = {entry(3)};
    auto body = encode(b);
    body.pop_back();
    EXPECT_THROW(decode_info(body), WireError);
    std::vector<uint8_t> zero = {0, 0};
    EXPECT_THROW(decode_info(zero), WireError);
    auto bad = encode(b);
    bad[2] = 0;
    bad[3] = 0;  // node id 0
    EXPECT_THROW(decode_info(bad), WireError);
}

TEST(ReplayGuard, RejectsDuplicatesAndOldEpochs) {
    ReplayGuard g;
    EXPECT_TRUE(g.accept(10, 1));
    EXPECT_FALSE(g.accept(10, 1));
    EXPECT_TRUE(g.accept(10, 3));
    EXPECT_TRUE(g.accept(10, 2));  // reordered, inside the window
    EXPECT_FALSE(g.accept(10, 2));
    EXPECT_TRUE(g.accept(10, 200));
    EXPECT_FALSE(g.accept(10, 100));  // too old for the window
    EXPECT_FALSE(g.accept(9, 500));   // previous incarnation
    EXPECT_TRUE(g.accept(11, 1));     // restarted daemon
    EXPECT_FALSE(g.accept(10, 201));
}

TEST(ClusterKeyTest, RejectsShortAndNonHex) {
    EXPECT_THROW(ClusterKey::from_hex("abcd"), std::runtime_error);
    EXPECT_THROW(ClusterKey::from_hex(std::string(32, 'z')), std::runtime_error);
    EXPECT_EQ(ClusterKey::generate_hex().size(), 64u);
    EXPECT_NO_THROW(ClusterKey::from_hex(ClusterKey::generate_hex() + "\n"));
}

TEST(ClusterKeyTest, MissingFileNamesTheFix) {
    try {
        ClusterKey::load("/nonexistent/cluster.key");
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("omxd --genkey"), std::string::npos);
    }
}
