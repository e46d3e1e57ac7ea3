#include "link.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "common/bytes.h"

namespace omx::mig {

namespace {

constexpr size_t kNonce = 16;
constexpr size_t kMaxBuffers = 6;

void read_all(int fd, uint8_t* p, size_t n) {
    while (n > 0) {
        ssize_t k = ::read(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) throw LinkClosed(fmt::format("migration link: {}", std::strerror(errno)));
        if (k == 0) throw LinkClosed("migration link closed by the other node");
        p += k;
        n -= size_t(k);
    }
}

std::vector<uint8_t> nonce() {
    std::vector<uint8_t> n(kNonce);
    if (RAND_bytes(n.data(), int(n.size())) != 1) throw std::runtime_error("no random bytes for the handshake");
    return n;
}

Mac proof(const ClusterKey& key, const char* who, std::span<const uint8_t> a, std::span<const uint8_t> b) {
    std::vector<uint8_t> data(who, who + std::strlen(who));
    data.insert(data.end(), a.begin(), a.end());
    data.insert(data.end(), b.begin(), b.end());
    return key.mac(data);
}

void put_buffers(ByteWriter& w, const std::map<int, std::vector<uint8_t>>& m) {
    w.u8(uint8_t(m.size()));
    for (const auto& [i, bytes] : m) {
        w.u8(uint8_t(i));
        w.u32(uint32_t(bytes.size()));
        w.bytes(bytes);
    }
}

std::map<int, std::vector<uint8_t>> get_buffers(ByteReader& r) {
    std::map<int, std::vector<uint8_t>> m;
    size_t n = r.u8();
    if (n > kMaxBuffers) throw WireError("too many buffers in a forwarded call");
    for (size_t k = 0; k < n; ++k) {
        int i = r.u8();
        if (i >= int(kMaxBuffers) || m.count(i)) throw WireError("bad buffer index in a forwarded call");
        uint32_t len = r.u32();
        auto b = r.bytes(len);
        m[i].assign(b.begin(), b.end());
    }
    return m;
}

}  // namespace

const char* to_string(Msg m) {
    switch (m) {
        case Msg::Hello: return "Hello";
        case Msg::Challenge: return "Challenge";
        case Msg::Proof: return "Proof";
        case Msg::Request: return "Request";
        case Msg::Accept: return "Accept";
        case Msg::Refuse: return "Refuse";
        case Msg::Arrived: return "Arrived";
        case Msg::Failed: return "Failed";
        case Msg::Call: return "Call";
        case Msg::Result: return "Result";
        case Msg::Signal: return "Signal";
        case Msg::ComeHome: return "ComeHome";
        case Msg::HomeOk: return "HomeOk";
        case Msg::HomeFailed: return "HomeFailed";
        case Msg::WantHome: return "WantHome";
        case Msg::Exit: return "Exit";
        case Msg::Fork: return "Fork";
        case Msg::ForkResult: return "ForkResult";
        case Msg::Exec: return "Exec";
        case Msg::ExecResult: return "ExecResult";
        case Msg::Execed: return "Execed";
        case Msg::MapFile: return "MapFile";
        case Msg::MapFileResult: return "MapFileResult";
        case Msg::Stopped: return "Stopped";
    }
    return "unknown";
}

std::vector<uint8_t> encode_request(const MigrationRequest& q) {
    ByteWriter w;
    w.u32(q.pid);
    w.u16(q.home);
    w.u32(q.uid);
    w.u32(q.gid);
    w.u16(uint16_t(q.groups.size()));
    for (uint32_t g : q.groups) w.u32(g);
    w.str16(q.comm);
    if (!q.fork_token.empty() || !q.home_mfs.empty()) w.str16(q.fork_token);
    if (!q.home_mfs.empty()) w.str16(q.home_mfs);
    return std::move(w.data());
}

MigrationRequest decode_request(std::span<const uint8_t> b) {
    ByteReader r(b);
    MigrationRequest q;
    q.pid = r.u32();
    q.home = r.u16();
    q.uid = r.u32();
    q.gid = r.u32();
    size_t n = r.u16();
    if (n > 65536 / 4) throw WireError("too many groups");
    for (size_t i = 0; i < n; ++i) q.groups.push_back(r.u32());
    q.comm = r.str16();
    if (r.remaining()) q.fork_token = r.str16();
    if (r.remaining()) q.home_mfs = r.str16();
    r.expect_end();
    return q;
}

std::vector<uint8_t> encode_fork(const ForkRequest& f) {
    ByteWriter w;
    w.u32(f.exit_signal);
    w.str16(f.token);
    return std::move(w.data());
}

ForkRequest decode_fork(std::span<const uint8_t> b) {
    ByteReader r(b);
    ForkRequest f;
    f.exit_signal = r.u32();
    f.token = r.str16();
    r.expect_end();
    if (f.exit_signal > 64) throw WireError("bad exit signal in a fork request");
    return f;
}

std::vector<uint8_t> encode_execed(const ExecedNote& e) {
    ByteWriter w;
    w.str16(e.path);
    w.str16(e.command);
    return std::move(w.data());
}

ExecedNote decode_execed(std::span<const uint8_t> b) {
    ByteReader r(b);
    ExecedNote e;
    e.path = r.str16();
    e.command = r.str16();
    r.expect_end();
    return e;
}

std::vector<uint8_t> encode_i64(int64_t v) {
    ByteWriter w;
    w.u64(uint64_t(v));
    return std::move(w.data());
}

int64_t decode_i64(std::span<const uint8_t> b) {
    ByteReader r(b);
    int64_t v = int64_t(r.u64());
    r.expect_end();
    return v;
}

std::vector<uint8_t> encode_call(const ForwardedCall& c) {
    ByteWriter w;
    w.u64(uint64_t(c.nr));
    for (uint64_t a : c.args) w.u64(a);
    put_buffers(w, c.in);
    w.u8(uint8_t(c.out_size.size()));
    for (const auto& [i, size] : c.out_size) {
        w.u8(uint8_t(i));
        w.u64(size);
    }
    return std::move(w.data());
}

ForwardedCall decode_call(std::span<const uint8_t> b) {
    ByteReader r(b);
    ForwardedCall c;
    c.nr = long(r.u64());
    for (auto& a : c.args) a = r.u64();
    c.in = get_buffers(r);
    size_t n = r.u8();
    if (n > kMaxBuffers) throw WireError("too many out-buffers in a forwarded call");
    for (size_t k = 0; k < n; ++k) {
        int i = r.u8();
        uint64_t size = r.u64();
        if (i >= int(kMaxBuffers) || c.out_size.count(i)) throw WireError("bad out-buffer index");
        if (size > kMaxMessage) throw WireError("out-buffer larger than a message");
        c.out_size[i] = size;
    }
    r.expect_end();
    return c;
}

std::vector<uint8_t> encode_result(const ForwardedResult& res) {
    ByteWriter w;
    w.u64(uint64_t(res.ret));
    put_buffers(w, res.out);
    return std::move(w.data());
}

ForwardedResult decode_result(std::span<const uint8_t> b) {
    ByteReader r(b);
    ForwardedResult res;
    res.ret = long(r.u64());
    res.out = get_buffers(r);
    r.expect_end();
    return res;
}

std::vector<uint8_t> encode_text(const std::string& s) {
    ByteWriter w;
    w.str16(s.substr(0, 4000));
    return std::move(w.data());
}

std::string decode_text(std::span<const uint8_t> b) {
    ByteReader r(b);
    std::string s = r.str16();
    r.expect_end();
    return s;
}

std::vector<uint8_t> encode_u32(uint32_t v) {
    ByteWriter w;
    w.u32(v);
    return std::move(w.data());
}

uint32_t decode_u32(std::span<const uint8_t> b) {
    ByteReader r(b);
    uint32_t v = r.u32();
    r.expect_end();
    return v;
}

Link::Link(omx::UniqueFd sock) : sock_(std::move(sock)) {}

void Link::send(Msg type, std::span<const uint8_t> payload) { send(type, payload, {}); }

void Link::send(Msg type, std::span<const uint8_t> first, std::span<const uint8_t> second) {
    const size_t total = first.size() + second.size();
    if (total > kMaxMessage) throw std::length_error("migration message too large");
    uint8_t head[5];
    head[0] = uint8_t(type);
    uint32_t len = uint32_t(total);
    std::memcpy(head + 1, &len, 4);   // x86_64 only: little-endian already
    // Head and payload leave in one call, so a small message is one segment and the other
    // end wakes once.
    iovec iov[3] = {{head, 5}, {const_cast<uint8_t*>(first.data()), first.size()},
                    {const_cast<uint8_t*>(second.data()), second.size()}};
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = 3;
    size_t left = 5 + total;
    while (left > 0) {
        ssize_t k = ::sendmsg(sock_.get(), &msg, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) throw LinkClosed(fmt::format("migration link: {}", std::strerror(errno)));
        left -= size_t(k);
        for (size_t done = size_t(k); done > 0 && msg.msg_iovlen > 0;) {   // skip what went
            size_t step = std::min(done, msg.msg_iov[0].iov_len);
            msg.msg_iov[0].iov_base = static_cast<uint8_t*>(msg.msg_iov[0].iov_base) + step;
            msg.msg_iov[0].iov_len -= step;
            done -= step;
            if (msg.msg_iov[0].iov_len == 0) {
                ++msg.msg_iov;
                --msg.msg_iovlen;
            }
        }
    }
}

bool Link::spin_until_readable(int us) {
    auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(us);
    do {
        pollfd p{sock_.get(), POLLIN, 0};
        if (::poll(&p, 1, 0) > 0) return true;
    } while (std::chrono::steady_clock::now() < until);
    return false;
}

bool Link::receive(Msg& type, std::vector<uint8_t>& payload, int timeout_ms) {
    if (timeout_ms >= 0) {
        pollfd p{sock_.get(), POLLIN, 0};
        int n;
        while ((n = ::poll(&p, 1, timeout_ms)) < 0 && errno == EINTR) {}
        if (n == 0) return false;
    }
    uint8_t head[5];
    read_all(sock_.get(), head, 5);
    uint32_t len;
    std::memcpy(&len, head + 1, 4);
    if (head[0] < uint8_t(Msg::Hello) || head[0] > uint8_t(Msg::Stopped))
        throw WireError(fmt::format("unknown message type {} on the migration link", head[0]));
    if (len > kMaxMessage) throw WireError("oversized message on the migration link");
    type = Msg(head[0]);
    payload.resize(len);
    read_all(sock_.get(), payload.data(), len);
    return true;
}

std::vector<uint8_t> Link::expect(Msg want, int timeout_ms) {
    Msg got;
    std::vector<uint8_t> payload;
    if (!receive(got, payload, timeout_ms))
        throw LinkClosed(fmt::format("no {} from the other node within {} ms", to_string(want), timeout_ms));
    if (got == Msg::Refuse || got == Msg::Failed || got == Msg::HomeFailed)
        if (want != got) throw std::runtime_error(decode_text(payload));
    if (got != want) throw WireError(fmt::format("expected {}, got {} on the migration link", to_string(want), to_string(got)));
    return payload;
}

void Link::handshake_as_home(const ClusterKey& key, uint16_t home_id, int timeout_ms) {
    auto mine = nonce();
    ByteWriter hello;
    hello.u32(kLinkVersion);
    hello.bytes(mine);
    hello.u16(home_id);
    send(Msg::Hello, hello.data());
    auto ch = expect(Msg::Challenge, timeout_ms);
    ByteReader r(ch);
    auto theirs = r.bytes(kNonce);
    auto mac = r.bytes(kMacSize);
    r.expect_end();
    Mac want = proof(key, "remote", mine, theirs);
    if (CRYPTO_memcmp(want.data(), mac.data(), kMacSize) != 0)
        throw std::runtime_error("the target node does not know our cluster key");
    Mac ours = proof(key, "home", theirs, mine);
    send(Msg::Proof, ours);
}

uint16_t Link::handshake_as_remote(const ClusterKey& key, int timeout_ms) {
    auto hello = expect(Msg::Hello, timeout_ms);
    ByteReader r(hello);
    uint32_t version = r.u32();
    auto theirs_span = r.bytes(kNonce);
    std::vector<uint8_t> theirs(theirs_span.begin(), theirs_span.end());
    uint16_t home = r.u16();
    r.expect_end();
    if (version != kLinkVersion) throw WireError(fmt::format("migration link version {} (ours is {})", version, kLinkVersion));
    auto mine = nonce();
    ByteWriter ch;
    ch.bytes(mine);
    Mac m = proof(key, "remote", theirs, mine);
    ch.bytes(m);
    send(Msg::Challenge, ch.data());
    auto p = expect(Msg::Proof, timeout_ms);
    Mac want = proof(key, "home", mine, theirs);
    if (p.size() != kMacSize || CRYPTO_memcmp(want.data(), p.data(), kMacSize) != 0)
        throw std::runtime_error("the home node does not know our cluster key");
    return home;
}

void set_liveness(int fd, int dead_after_ms) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    int idle = std::max(1, dead_after_ms / 5000), intvl = 1, cnt = std::max(2, dead_after_ms / 1000 - idle);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
    unsigned timeout = unsigned(dead_after_ms);
    ::setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &timeout, sizeof timeout);
}

omx::UniqueFd connect_tcp(uint32_t ipv4, uint16_t port, int timeout_ms, int dead_after_ms) {
    omx::UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!s) throw std::runtime_error(fmt::format("socket: {}", std::strerror(errno)));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = ipv4;
    char ip[INET_ADDRSTRLEN] = "?";
    ::inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
    if (::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        if (errno != EINPROGRESS) throw std::runtime_error(fmt::format("cannot connect to {}:{}: {}", ip, port, std::strerror(errno)));
        pollfd p{s.get(), POLLOUT, 0};
        int n;
        while ((n = ::poll(&p, 1, timeout_ms)) < 0 && errno == EINTR) {}
        if (n == 0) throw std::runtime_error(fmt::format("cannot connect to {}:{}: timed out", ip, port));
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(s.get(), SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) throw std::runtime_error(fmt::format("cannot connect to {}:{}: {}", ip, port, std::strerror(err)));
    }
    int flags = ::fcntl(s.get(), F_GETFL);
    ::fcntl(s.get(), F_SETFL, flags & ~O_NONBLOCK);
    set_liveness(s.get(), dead_after_ms);
    return s;
}

}  // namespace omx::mig
