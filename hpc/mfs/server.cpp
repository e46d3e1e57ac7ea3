#include "server.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <stdexcept>

#include "link.h"

namespace omx::mfs {

Server::Server(ClusterKey key, ServerOptions opt) : key_(std::move(key)), opt_(std::move(opt)) {
    listener_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!listener_) throw std::runtime_error(fmt::format("oMFS server: socket: {}", std::strerror(errno)));
    int one = 1;
    ::setsockopt(listener_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(opt_.port);
    if (::inet_pton(AF_INET, opt_.address.c_str(), &a.sin_addr) != 1)
        throw std::runtime_error(fmt::format("oMFS server: bad address {}", opt_.address));
    if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listener_.get(), 64) != 0)
        throw std::runtime_error(fmt::format("oMFS server: cannot listen on port {}: {}", opt_.port, std::strerror(errno)));
    socklen_t len = sizeof a;
    ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
}

Server::~Server() {
    stopping_ = true;
    ::shutdown(listener_.get(), SHUT_RDWR);
    if (acceptor_.joinable()) acceptor_.join();
    std::unique_lock lock(mu_);
    for (int fd : connections_) ::shutdown(fd, SHUT_RDWR);   // each thread sees its end
    all_ended_.wait(lock, [&] { return running_ == 0; });
}

void Server::accept_loop() {
    while (!stopping_) {
        pollfd p{listener_.get(), POLLIN, 0};
        drop_idle_sessions();
        if (::poll(&p, 1, 500) <= 0) continue;
        UniqueFd conn(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (!conn) continue;
        {
            std::lock_guard lock(mu_);
            connections_.insert(conn.get());
            ++running_;
        }
        // A thread per connection, ended by its connection (or by our destructor).
        std::thread([this, c = std::move(conn)]() mutable {
            serve_connection(std::move(c));
            std::lock_guard lock(mu_);
            --running_;
            all_ended_.notify_all();
        }).detach();
    }
}

std::shared_ptr<LocalFiles> Server::attach(uint16_t node) {
    std::lock_guard lock(mu_);
    auto& s = sessions_[node];
    if (!s.files) s.files = std::make_shared<LocalFiles>(opt_.mount);
    ++s.connections;
    return s.files;
}

void Server::detach(uint16_t node) {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(node);
    if (it != sessions_.end() && --it->second.connections == 0) it->second.idle_since = std::chrono::steady_clock::now();
}

void Server::drop_idle_sessions() {
    std::lock_guard lock(mu_);
    auto now = std::chrono::steady_clock::now();
    for (auto it = sessions_.begin(); it != sessions_.end();) {
        if (it->second.connections == 0 && now - it->second.idle_since > opt_.grace) it = sessions_.erase(it);   // its files close
        else ++it;
    }
}

void Server::serve_connection(UniqueFd sock) {
    mig::set_liveness(sock.get(), 10000);
    mig::Link link(std::move(sock));
    // Out of the destructor's reach before the link closes its socket (its number may be
    // another file's right after).
    struct Unlisted {
        Server& s;
        int fd;
        ~Unlisted() {
            std::lock_guard lock(s.mu_);
            s.connections_.erase(fd);
        }
    } unlisted{*this, link.fd()};
    uint16_t client;
    try {
        client = link.handshake_as_remote(key_, 5000);
    } catch (const std::exception& e) {
        std::cerr << fmt::format("omx-mfs: refused a connection: {}\n", e.what());
        return;
    }
    auto files = attach(client);
    try {
        for (;;) {
            mig::Msg type;
            std::vector<uint8_t> payload;
            link.receive(type, payload);
            if (type != mig::Msg::Call) throw WireError(fmt::format("unexpected {}", mig::to_string(type)));
            Request q = decode_request(std::move(payload));
            ++requests_;
            Reply r = opt_.serving() ? files->serve(q) : result_only(-EACCES);
            link.send(mig::Msg::Result, r.data, encode_fields(r));
        }
    } catch (const mig::LinkClosed&) {
    } catch (const std::exception& e) {
        std::cerr << fmt::format("omx-mfs: connection from node {} dropped: {}\n", client, e.what());
    }
    detach(client);
}

}  // namespace omx::mfs
