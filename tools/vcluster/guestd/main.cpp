// vcluster-guestd — runs commands, daemons and omxd requests in a VM node for `vcluster`.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <iostream>

#include "common/fd.h"
#include "guest_link.h"
#include "guestd.h"

namespace {

omx::UniqueFd listen_on(const std::string& address, int port) {
    omx::UniqueFd sock(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!sock) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    int one = 1;
    ::setsockopt(sock.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in at{};
    at.sin_family = AF_INET;
    at.sin_port = htons(uint16_t(port));
    if (::inet_pton(AF_INET, address.c_str(), &at.sin_addr) != 1)
        throw std::runtime_error("not an IPv4 address: " + address);
    if (::bind(sock.get(), reinterpret_cast<sockaddr*>(&at), sizeof at) != 0 || ::listen(sock.get(), 64) != 0)
        throw std::runtime_error("cannot listen on " + address + ":" + std::to_string(port) + ": " +
                                 std::strerror(errno));
    return sock;
}

// Orphans of the node end up here (we are its init, or its subreaper): reap them all.
void reap_children() {
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
}

[[noreturn]] void serve_forever(int listener, const omx::ClusterKey& key) {
    for (;;) {
        pollfd p{listener, POLLIN, 0};
        ::poll(&p, 1, 1000);
        reap_children();
        if (!(p.revents & POLLIN)) continue;
        omx::UniqueFd conn(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
        if (!conn) continue;
        pid_t pid = ::fork();
        if (pid == 0) {
            ::close(listener);
            vcluster::guest::handle_connection(conn.get(), key);
            _exit(0);
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"vcluster-guestd: runs commands, daemons and omxd requests in a VM node of a vcluster",
                 "vcluster-guestd"};
    std::string address = "0.0.0.0", key_file = omx::kDefaultKeyFile;
    int port = vcluster::guest::kGuestPort;
    app.add_option("--listen", address, "IPv4 address to listen on");
    app.add_option("--port", port, "TCP port")->check(CLI::Range(1, 65535));
    app.add_option("--key", key_file, "cluster key file (the host proves it knows the key)");
    app.footer("Started by the node's init (vcluster's UML and QEMU backends); see vcluster(1).");
    CLI11_PARSE(app, argc, argv);
    try {
        auto key = omx::ClusterKey::load(key_file);
        ::signal(SIGPIPE, SIG_IGN);
        ::prctl(PR_SET_CHILD_SUBREAPER, 1);
        auto listener = listen_on(address, port);
        std::cerr << "vcluster-guestd: listening on " << address << ":" << port << std::endl;
        serve_forever(listener.get(), key);
    } catch (const std::exception& e) {
        std::cerr << "vcluster-guestd: " << e.what() << "\n";
        // As init, returning would panic the node's kernel: say why and keep the node up.
        if (::getpid() == 1)
            for (;;) ::pause();
        return 1;
    }
}
