#include "control_server.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace omx {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using local = asio::local::stream_protocol;

ControlServer::ControlServer(asio::io_context& io, const std::string& path, Handler handler)
    : io_(io), path_(path), handler_(std::move(handler)), acceptor_(io) {
    ::unlink(path_.c_str());
    acceptor_.open(local());
    acceptor_.bind(local::endpoint(path_));
    ::chmod(path_.c_str(), 0666);
    acceptor_.listen();
}

ControlServer::~ControlServer() {
    stop();
}

void ControlServer::start() {
    asio::co_spawn(io_, accept_loop(), asio::detached);
}

void ControlServer::stop() {
    if (acceptor_.is_open()) {
        boost::system::error_code ec;
        acceptor_.close(ec);
        ::unlink(path_.c_str());
    }
}

awaitable<void> ControlServer::accept_loop() {
    while (acceptor_.is_open()) {
        boost::system::error_code ec;
        auto sock = co_await acceptor_.async_accept(asio::redirect_error(use_awaitable, ec));
        if (ec) {
            if (ec == asio::error::operation_aborted) co_return;
            spdlog::warn("control socket accept: {}", ec.message());
            continue;
        }
        asio::co_spawn(io_, session(std::move(sock)), asio::detached);
    }
}

awaitable<void> ControlServer::session(local::socket sock) {
    ucred cred{};
    socklen_t len = sizeof cred;
    uid_t uid = ::getsockopt(sock.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0
                    ? cred.uid
                    : uid_t(-1);
    std::string buf;
    constexpr size_t kMaxRequest = 1 << 20;
    for (;;) {
        boost::system::error_code ec;
        size_t n = co_await asio::async_read_until(sock, asio::dynamic_buffer(buf, kMaxRequest), '\n',
                                                   asio::redirect_error(use_awaitable, ec));
        if (ec) co_return;  // peer closed, or a request over 1 MiB
        std::string line = buf.substr(0, n - 1);
        buf.erase(0, n);
        nlohmann::json reply;
        auto req = nlohmann::json::parse(line, nullptr, false);
        if (req.is_discarded() || !req.is_object()) {
            reply = {{"ok", false}, {"error", "request is not a JSON object"}};
        } else if (auto ch = channels_.find(req.value("cmd", "")); ch != channels_.end()) {
            ch->second(req, uid, cred.pid, std::move(sock));
            co_return;
        } else {
            try {
                reply = co_await handler_(req, uid);
            } catch (const std::exception& e) {
                reply = {{"ok", false}, {"error", e.what()}};
            }
        }
        std::string out = reply.dump() + "\n";
        co_await asio::async_write(sock, asio::buffer(out), asio::redirect_error(use_awaitable, ec));
        if (ec) co_return;
    }
}

}  // namespace omx
