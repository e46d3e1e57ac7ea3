#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include "metrics.h"

namespace omx {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

MetricsServer::MetricsServer(asio::io_context& io, const std::string& address, uint16_t port,
                             Render render)
    : io_(io), render_(std::move(render)), acceptor_(io) {
    tcp::endpoint ep(asio::ip::make_address(address), port);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
}

void MetricsServer::start() {
    asio::co_spawn(io_, accept_loop(), asio::detached);
}

void MetricsServer::stop() {
    boost::system::error_code ec;
    acceptor_.close(ec);
}

uint16_t MetricsServer::port() const {
    return acceptor_.local_endpoint().port();
}

awaitable<void> MetricsServer::accept_loop() {
    while (acceptor_.is_open()) {
        boost::system::error_code ec;
        auto sock = co_await acceptor_.async_accept(asio::redirect_error(use_awaitable, ec));
        if (ec) {
            if (ec == asio::error::operation_aborted) co_return;
            continue;
        }
        asio::co_spawn(io_, session(std::move(sock)), asio::detached);
    }
}

awaitable<void> MetricsServer::session(tcp::socket sock) {
    beast::tcp_stream stream(std::move(sock));
    beast::flat_buffer buf;
    for (;;) {
        http::request<http::string_body> req;
        boost::system::error_code ec;
        stream.expires_after(std::chrono::seconds(10));  // a silent client must not linger
        co_await http::async_read(stream, buf, req, asio::redirect_error(use_awaitable, ec));
        if (ec) co_return;
        http::response<http::string_body> res;
        res.version(req.version());
        res.keep_alive(req.keep_alive());
        if (req.method() == http::verb::get && (req.target() == "/metrics" || req.target() == "/")) {
            res.result(http::status::ok);
            res.set(http::field::content_type, "text/plain; version=0.0.4");
            res.body() = render_();
        } else {
            res.result(http::status::not_found);
            res.set(http::field::content_type, "text/plain");
            res.body() = "not found: try /metrics\n";
        }
        res.prepare_payload();
        co_await http::async_write(stream, res, asio::redirect_error(use_awaitable, ec));
        if (ec || !res.keep_alive()) co_return;
    }
}

}  // namespace omx
