#pragma once
// The local control socket (docs/control-protocol.md): one coroutine per connection reads
// JSON lines, hands each request to the daemon and writes the reply line.
#include <utility>  // boost 1.74 awaitable.hpp needs std::exchange
#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <string>

namespace omx {

class ControlServer {
public:
    using Handler = std::function<boost::asio::awaitable<nlohmann::json>(const nlohmann::json&, uid_t)>;

    // Binds `path` (replacing a stale socket file), mode 0666: reads are for everyone,
    // changes are checked against the peer's uid by the handler.
    ControlServer(boost::asio::io_context& io, const std::string& path, Handler handler);
    ~ControlServer();
    void start();
    void stop();

    // A request with this "cmd" turns its connection into a long-lived channel: the socket
    // goes to `take` (with the peer's uid and pid, for it to check) and the server stops
    // reading it.
    using ChannelTaker = std::function<void(const nlohmann::json& req, uid_t uid, pid_t peer,
                                            boost::asio::local::stream_protocol::socket sock)>;
    void on_channel(const std::string& cmd, ChannelTaker take) { channels_[cmd] = std::move(take); }

private:
    boost::asio::awaitable<void> accept_loop();
    boost::asio::awaitable<void> session(boost::asio::local::stream_protocol::socket sock);

    boost::asio::io_context& io_;
    std::string path_;
    Handler handler_;
    std::map<std::string, ChannelTaker> channels_;
    boost::asio::local::stream_protocol::acceptor acceptor_;
};

}  // namespace omx
