#pragma once
// Prometheus metrics over HTTP (Boost.Beast): GET /metrics returns the text exposition
// format produced by the daemon; anything else is 404.
#include <utility>  // boost 1.74 awaitable.hpp needs std::exchange
#include <boost/asio.hpp>

#include <functional>
#include <string>

namespace omx {

class MetricsServer {
public:
    using Render = std::function<std::string()>;
    MetricsServer(boost::asio::io_context& io, const std::string& address, uint16_t port,
                  Render render);
    void start();
    void stop();
    uint16_t port() const;

private:
    boost::asio::awaitable<void> accept_loop();
    boost::asio::awaitable<void> session(boost::asio::ip::tcp::socket sock);

    boost::asio::io_context& io_;
    Render render_;
    boost::asio::ip::tcp::acceptor acceptor_;
};

}  // namespace omx
