#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "client.h"
#include "common/fd.h"
#include "server.h"

using namespace omx::mfs;

namespace {

omx::ClusterKey key() { return omx::ClusterKey::from_hex(std::string(64, 'a')); }
uint32_t loopback() { return htonl(INADDR_LOOPBACK); }

// A server on a free loopback port and the client options that reach it.
struct Loopback {
    Server server;
    ClientOptions client;
    Loopback() : server(key(), options()) { client.port = server.port(); }
    static ServerOptions options() {
        ServerOptions so;
        so.port = 0;
        so.address = "127.0.0.1";
        return so;
    }
    NodeClient connect(const omx::ClusterKey& k) const {
        return NodeClient(2, 1, k, [] { return std::optional<uint32_t>(loopback()); }, client);
    }
};

}  // namespace

TEST(MfsServer, ServesFilesToAClientThatKnowsTheKey) {
    Loopback l;
    auto k = key();
    NodeClient client = l.connect(k);
    Server& server = l.server;
    std::string name = "mfs-server-test-" + std::to_string(::getpid()), path = "/tmp/" + name;
    Request root;
    root.op = Op::Root;
    Reply r = client.call(root);
    ASSERT_EQ(r.result, 0);
    Request lookup;
    lookup.op = Op::Lookup;
    lookup.inode = r.inode;
    lookup.name = "tmp";
    Reply tmp = client.call(lookup);
    ASSERT_EQ(tmp.result, 0);
    Request c;
    c.op = Op::Create;
    c.inode = tmp.inode;
    c.name = name;
    c.flags = O_RDWR | O_TRUNC;
    c.mode = 0600;
    Reply made = client.call(c);
    ASSERT_EQ(made.result, 0);
    Request w;
    w.op = Op::Write;
    w.handle = made.handle;
    w.data.assign(kMaxIo, 'z');
    EXPECT_EQ(client.call(w).result, int(kMaxIo));
    EXPECT_EQ(std::filesystem::file_size(path), kMaxIo);   // there as soon as the write returned
    Request proc = lookup;
    proc.name = "proc";
    EXPECT_EQ(client.call(proc).result, -ENOENT);
    std::filesystem::remove(path);
    EXPECT_GE(server.requests(), 3u);
}

TEST(MfsServer, AWrongKeyGetsNothing) {
    Loopback l;
    auto other = omx::ClusterKey::from_hex(std::string(64, 'b'));
    NodeClient client = l.connect(other);
    Server& server = l.server;
    Request st;
    st.op = Op::Root;
    EXPECT_EQ(client.call(st).result, -EIO);
    EXPECT_EQ(server.requests(), 0u);
}

TEST(MfsServer, ANodeThatDoesNotAnswerIsEioWithinTheTimeout) {
    // A listener that accepts (the kernel does) but never answers: a hung node.
    omx::UniqueFd l(::socket(AF_INET, SOCK_STREAM, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = loopback();
    ASSERT_EQ(::bind(l.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(l.get(), 4), 0);
    socklen_t len = sizeof a;
    ::getsockname(l.get(), reinterpret_cast<sockaddr*>(&a), &len);
    auto k = key();
    ClientOptions co;
    co.port = ntohs(a.sin_port);
    co.timeout_ms = 500;
    NodeClient client(2, 1, k, [] { return std::optional<uint32_t>(loopback()); }, co);
    Request st;
    st.op = Op::Root;
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(client.call(st).result, -EIO);
    // Bounded, not timed: the call came back (a generous bound, these machines are noisy).
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(30));
    NodeClient unknown(3, 1, k, [] { return std::optional<uint32_t>(); }, co);
    EXPECT_EQ(unknown.call(st).result, -EIO);
}

TEST(MfsServer, OpenFilesOutliveAClientThatReconnects) {
    Loopback l;
    auto k = key();
    std::string name = "mfs-reconnect-" + std::to_string(::getpid());
    std::ofstream("/tmp/" + name) << "kept";
    uint64_t handle;
    {
        NodeClient first = l.connect(k);
        Request root;
        root.op = Op::Root;
        Request lookup;
        lookup.op = Op::Lookup;
        lookup.inode = first.call(root).inode;
        lookup.name = "tmp";
        lookup.inode = first.call(lookup).inode;
        lookup.name = name;
        Request open;
        open.op = Op::Open;
        open.inode = first.call(lookup).inode;
        open.flags = O_RDONLY;
        Reply o = first.call(open);
        ASSERT_EQ(o.result, 0);
        handle = o.handle;
    }   // its connections close: a client that gave up on a slow answer
    NodeClient again = l.connect(k);
    Request read;
    read.op = Op::Read;
    read.handle = handle;
    read.size = 10;
    Reply r = again.call(read);
    ASSERT_EQ(r.result, 4);
    EXPECT_EQ(std::string(r.data.begin(), r.data.end()), "kept");
    std::filesystem::remove("/tmp/" + name);
}
