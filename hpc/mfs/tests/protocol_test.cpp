#include <gtest/gtest.h>

#include <random>

#include "common/bytes.h"
#include "protocol.h"

using namespace omx::mfs;

TEST(MfsProtocol, RequestRoundTrips) {
    Request q;
    q.op = Op::Rename;
    q.who = {1000, 100, {4, 24, 27}};
    q.name = "a";
    q.name2 = "b";
    q.inode = 5;
    q.inode2 = 6;
    q.handle = 77;
    q.offset = 1ull << 40;
    q.size = 4096;
    q.flags = 1;
    q.mode = 0644;
    q.owner = 5;
    q.group = 6;
    q.times[0] = 123, q.times[1] = 456;
    q.data = {1, 2, 3};
    Request d = decode_request(encode(q));
    EXPECT_EQ(d.op, Op::Rename);
    EXPECT_EQ(d.who.uid, 1000u);
    EXPECT_EQ(d.who.groups, (std::vector<gid_t>{4, 24, 27}));
    EXPECT_EQ(d.name2, "b");
    EXPECT_EQ(d.inode2, 6u);
    EXPECT_EQ(d.offset, 1ull << 40);
    EXPECT_EQ(d.times[1], 456);
    EXPECT_EQ(d.times[3], UTIME_OMIT);
    EXPECT_EQ(d.data, q.data);
}

TEST(MfsProtocol, ReplyRoundTrips) {
    Reply r;
    r.result = -2;
    r.attr.size = 99;
    r.attr.mode = S_IFREG | 0600;
    r.entries = {{"a", S_IFREG, 5}, {"b", S_IFDIR, 6}};
    r.text = "target";
    r.data = std::vector<uint8_t>(5000, 7);
    r.handle = 9;
    r.inode = 11;
    r.fs.blocks = 1000;
    r.fs.fsid = 42;
    Reply d = decode_reply(encode(r));
    EXPECT_EQ(d.result, -2);
    EXPECT_EQ(d.attr.size, 99u);
    ASSERT_EQ(d.entries.size(), 2u);
    EXPECT_EQ(d.entries[1].name, "b");
    EXPECT_EQ(d.text, "target");
    EXPECT_EQ(d.data.size(), 5000u);
    EXPECT_EQ(d.fs.fsid, 42u);
    EXPECT_EQ(d.inode, 11u);
}

// What comes from the network may be anything: every prefix and random bytes either
// decode or throw WireError, never crash or allocate without bound.
TEST(MfsProtocol, GarbageIsAWireErrorNeverACrash) {
    Request q;
    q.name = "x";
    q.data = {1, 2, 3, 4};
    auto good = encode(q);
    for (size_t n = 0; n < good.size(); ++n) {
        std::vector<uint8_t> cut(good.begin(), good.begin() + long(n));
        EXPECT_THROW(decode_request(cut), omx::WireError) << n;
    }
    std::mt19937 rng(7);
    for (int i = 0; i < 20000; ++i) {
        std::vector<uint8_t> junk(rng() % 200);
        for (auto& b : junk) b = uint8_t(rng());
        if (!junk.empty() && rng() % 2) junk[0] = uint8_t(1 + rng() % kLastOp);
        try {
            decode_request(junk);
        } catch (const omx::WireError&) {
        }
        try {
            decode_reply(junk);
        } catch (const omx::WireError&) {
        }
    }
    std::vector<uint8_t> huge = encode(Reply{});
    huge[4 + 8 * 3 + 4 * 5 + 8 * 6] = 0xff;   // entry count byte
    huge[4 + 8 * 3 + 4 * 5 + 8 * 6 + 3] = 0x7f;
    EXPECT_THROW(decode_reply(huge), omx::WireError);
}
