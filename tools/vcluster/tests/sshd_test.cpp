#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "common/fd.h"
#include "proxy.h"
#include "sshd.h"

using namespace vcluster;
using omx::UniqueFd;

TEST(Sshd, ConfigListensOnTheNodeOnlyAndTakesKeysOnly) {
    std::string c = sshd_config_text("/var/lib/omxd/vcluster-sshd", "10.210.0.3");
    EXPECT_NE(c.find("ListenAddress 10.210.0.3:22\n"), std::string::npos);
    EXPECT_NE(c.find("HostKey /var/lib/omxd/vcluster-sshd/ssh_host_ed25519_key\n"), std::string::npos);
    EXPECT_NE(c.find("AuthorizedKeysFile /var/lib/omxd/vcluster-sshd/authorized_keys\n"), std::string::npos);
    EXPECT_NE(c.find("PasswordAuthentication no\n"), std::string::npos);
    EXPECT_NE(c.find("PermitRootLogin prohibit-password\n"), std::string::npos);
    EXPECT_NE(c.find("Subsystem sftp internal-sftp\n"), std::string::npos);
}

TEST(Sshd, InventoryListsEveryNodeAndTheProxy) {
    ClusterState s;
    s.size = 2;
    s.bin_dir = "/b/bin";
    s.nodes.resize(2);
    s.nodes[0].id = 1;
    s.nodes[1].id = 2;
    std::string inv = inventory_text(s, {"/b/bin/vcluster", "/run/vc", "/run/vc/ssh/id_ed25519"});
    EXPECT_NE(inv.find("[openmosix]\nnode1 ansible_host=10.210.0.1 omx_node_id=1\n"
                       "node2 ansible_host=10.210.0.2 omx_node_id=2\n"),
              std::string::npos);
    EXPECT_NE(inv.find("[omx_controller]\nnode1\n"), std::string::npos);
    EXPECT_NE(inv.find("ansible_ssh_private_key_file=/run/vc/ssh/id_ed25519\n"), std::string::npos);
    EXPECT_NE(inv.find("-o ProxyCommand=\"env VCLUSTER_DIR=/run/vc /b/bin/vcluster proxy %h 22\""), std::string::npos);
    EXPECT_NE(inv.find("omx_prefix=/var/lib/omxd/prefix\n"), std::string::npos);
    EXPECT_NE(inv.find("omx_bin_dir=/b/bin\n"), std::string::npos);
    EXPECT_NE(inv.find("omx_autodiscovery=false\n"), std::string::npos);
    EXPECT_NE(inv.find("[all:vars]\nansible_user=root\n"), std::string::npos);
    EXPECT_NE(inv.find("ansible_control_path_dir=/run/vc/ssh/cp\n"), std::string::npos);
}

TEST(Proxy, TargetsAreNodesOfTheCluster) {
    EXPECT_EQ(proxy_target_address("2", 4), "10.210.0.2");
    EXPECT_EQ(proxy_target_address("node4", 4), "10.210.0.4");
    EXPECT_EQ(proxy_target_address("10.210.0.3", 4), "10.210.0.3");
    EXPECT_THROW(proxy_target_address("10.210.0.5", 4), std::invalid_argument);
    EXPECT_THROW(proxy_target_address("10.210.0.254", 4), std::invalid_argument);
    EXPECT_THROW(proxy_target_address("192.168.0.1", 4), std::invalid_argument);
    EXPECT_THROW(proxy_target_address("10.210.0.x", 4), std::invalid_argument);
    EXPECT_THROW(proxy_target_address("7", 4), std::invalid_argument);
}

namespace {
struct SocketPair {
    UniqueFd a, b;
    SocketPair() {
        int fds[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) throw std::runtime_error("socketpair");
        a.reset(fds[0]);
        b.reset(fds[1]);
    }
};

std::string read_to_end(int fd) {
    std::string out;
    char buf[65536];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, size_t(n));
    return out;
}

void write_all(int fd, const std::string& s) {
    for (size_t done = 0; done < s.size();) {
        ssize_t n = ::write(fd, s.data() + done, s.size() - done);
        ASSERT_GT(n, 0);
        done += size_t(n);
    }
}
}  // namespace

// An echo service behind the relay: a large input goes through while the answer comes back
// (no deadlock), the end of input reaches the service as a half-close, and the service's
// end closes the relay's output.
TEST(Proxy, RelayPassesBothWaysAndHalfCloses) {
    SocketPair client, service;   // client.a = our "terminal", service.a = the "node"
    std::thread echo([&] {
        char buf[4096];
        for (ssize_t n; (n = ::read(service.a.get(), buf, sizeof buf)) > 0;) write_all(service.a.get(), std::string(buf, size_t(n)));
        ::shutdown(service.a.get(), SHUT_WR);
    });
    std::string payload;
    for (int i = 0; payload.size() < 3 * 1024 * 1024; ++i) payload += std::to_string(i) + "\n";
    std::string got;
    std::thread reader([&] { got = read_to_end(client.a.get()); });
    std::thread writer([&] {
        write_all(client.a.get(), payload);
        ::shutdown(client.a.get(), SHUT_WR);
    });
    relay(client.b.get(), client.b.get(), service.b.get());
    writer.join();
    reader.join();
    echo.join();
    EXPECT_EQ(got.size(), payload.size());
    EXPECT_TRUE(got == payload);
}
