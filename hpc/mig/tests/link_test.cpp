// The migration link: codecs round-trip, garbage never crashes them (fuzzed), and the
// handshake refuses a peer without the cluster key.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <random>
#include <thread>

#include "common/bytes.h"
#include "file_identity.h"
#include "link.h"

using namespace omx::mig;

namespace {

ForwardedCall sample_call() {
    ForwardedCall c;
    c.nr = 1;
    for (int i = 0; i < 6; ++i) c.args[i] = uint64_t(i) * 0x1111;
    c.in[1] = {1, 2, 3, 4, 5};
    c.out_size[2] = 4096;
    return c;
}

std::pair<Link, Link> link_pair() {
    int sv[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    return {Link(omx::UniqueFd(sv[0])), Link(omx::UniqueFd(sv[1]))};
}

}  // namespace

TEST(Link, CallAndResultRoundTrip) {
    ForwardedCall c = sample_call();
    ForwardedCall d = decode_call(encode_call(c));
    EXPECT_EQ(d.nr, c.nr);
    EXPECT_EQ(std::vector<uint64_t>(d.args, d.args + 6), std::vector<uint64_t>(c.args, c.args + 6));
    EXPECT_EQ(d.in, c.in);
    EXPECT_EQ(d.out_size, c.out_size);
    ForwardedResult r;
    r.ret = -14;
    r.out[1] = {9, 8, 7};
    ForwardedResult s = decode_result(encode_result(r));
    EXPECT_EQ(s.ret, -14);
    EXPECT_EQ(s.out, r.out);
}

TEST(Link, RequestRoundTrip) {
    MigrationRequest q{1234, 3, 1000, 100, {4, 24, 27}, "awk", "", ""};
    MigrationRequest p = decode_request(encode_request(q));
    EXPECT_EQ(p.pid, 1234u);
    EXPECT_EQ(p.home, 3);
    EXPECT_EQ(p.uid, 1000u);
    EXPECT_EQ(p.groups, q.groups);
    EXPECT_EQ(p.comm, "awk");
    EXPECT_EQ(p.fork_token, "");
    q.fork_token = "0123456789abcdef0123456789abcdef";
    EXPECT_EQ(decode_request(encode_request(q)).fork_token, q.fork_token);
    // Home's oMFS (DFSA) travels after the token, with or without one.
    q.home_mfs = "/mfs";
    EXPECT_EQ(decode_request(encode_request(q)).home_mfs, "/mfs");
    EXPECT_EQ(decode_request(encode_request(q)).fork_token, q.fork_token);
    q.fork_token.clear();
    auto back = decode_request(encode_request(q));
    EXPECT_EQ(back.fork_token, "");
    EXPECT_EQ(back.home_mfs, "/mfs");
}

TEST(Link, ForkMessagesRoundTripAndBadOnesAreRefused) {
    ForkRequest f{17, "00112233445566778899aabbccddeeff"};
    ForkRequest g = decode_fork(encode_fork(f));
    EXPECT_EQ(g.exit_signal, 17u);
    EXPECT_EQ(g.token, f.token);
    EXPECT_EQ(decode_i64(encode_i64(-38)), -38);
    EXPECT_EQ(decode_i64(encode_i64(40000)), 40000);
    f.exit_signal = 99;
    EXPECT_THROW(decode_fork(encode_fork(f)), omx::WireError);
    auto b = encode_fork({17, "abc"});
    for (size_t n = 0; n < b.size(); ++n)
        EXPECT_THROW(decode_fork(std::span<const uint8_t>(b.data(), n)), omx::WireError) << n;
}

TEST(Link, TruncatedAndOversizedMessagesAreRefused) {
    auto b = encode_call(sample_call());
    for (size_t n = 0; n < b.size(); ++n)
        EXPECT_THROW(decode_call(std::span<const uint8_t>(b.data(), n)), omx::WireError) << n;
    b.push_back(0);
    EXPECT_THROW(decode_call(b), omx::WireError);
    ForwardedCall c = sample_call();
    c.out_size[3] = uint64_t(1) << 40;
    EXPECT_THROW(decode_call(encode_call(c)), omx::WireError);
}

TEST(Link, FuzzedBytesNeverCrashTheDecoders) {
    std::mt19937 rng(42);
    auto valid = encode_call(sample_call());
    for (int round = 0; round < 20000; ++round) {
        std::vector<uint8_t> b = valid;
        int flips = 1 + int(rng() % 8);
        for (int i = 0; i < flips; ++i) b[rng() % b.size()] = uint8_t(rng());
        if (rng() % 4 == 0) b.resize(rng() % (b.size() + 1));
        for (auto decode : {+[](std::span<const uint8_t> s) { decode_call(s); },
                            +[](std::span<const uint8_t> s) { decode_result(s); },
                            +[](std::span<const uint8_t> s) { decode_request(s); },
                            +[](std::span<const uint8_t> s) { decode_text(s); },
                            +[](std::span<const uint8_t> s) { decode_fork(s); },
                            +[](std::span<const uint8_t> s) { decode_i64(s); },
                            +[](std::span<const uint8_t> s) { decode_execed(s); },
                            +[](std::span<const uint8_t> s) { decode_identities(s); }}) {
            try {
                decode(b);
            } catch (const omx::WireError&) {
            }
        }
    }
}

TEST(Link, GarbageOnTheSocketIsAWireErrorNotACrash) {
    auto [a, b] = link_pair();
    uint8_t junk[5] = {200, 1, 0, 0, 0};
    ASSERT_EQ(::write(a.fd(), junk, 5), 5);
    Msg t;
    std::vector<uint8_t> p;
    EXPECT_THROW(b.receive(t, p, 1000), omx::WireError);
    uint8_t huge[5] = {uint8_t(Msg::Call), 0xff, 0xff, 0xff, 0x7f};
    ASSERT_EQ(::write(a.fd(), huge, 5), 5);
    EXPECT_THROW(b.receive(t, p, 1000), omx::WireError);
}

TEST(Link, ClosedPeerIsLinkClosedAndSilenceIsATimeout) {
    auto [a, b] = link_pair();
    Msg t;
    std::vector<uint8_t> p;
    EXPECT_FALSE(b.receive(t, p, 10));
    { Link gone = std::move(a); }
    EXPECT_THROW(b.receive(t, p, 1000), LinkClosed);
}

TEST(Link, HandshakeNeedsTheSameKey) {
    auto key = omx::ClusterKey::from_hex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
    auto other = omx::ClusterKey::from_hex("ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100");
    {
        auto [home, remote] = link_pair();
        uint16_t seen = 0;
        std::thread r([&, &remote = remote] { seen = remote.handshake_as_remote(key, 2000); });
        EXPECT_NO_THROW(home.handshake_as_home(key, 7, 2000));
        r.join();
        EXPECT_EQ(seen, 7);
    }
    {
        auto [home, remote] = link_pair();
        std::thread r([&, &remote = remote] {
            try {
                remote.handshake_as_remote(other, 2000);
            } catch (const std::exception&) {
            }
        });
        EXPECT_THROW(home.handshake_as_home(key, 7, 2000), std::runtime_error);
        r.join();
    }
}
