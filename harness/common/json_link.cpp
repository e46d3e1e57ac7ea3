#include "common/json_link.h"

#include <fmt/format.h>

#include <istream>

namespace omx::harness {
namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using nlohmann::json;

JsonLink::JsonLink(asio::ip::tcp::socket sock) : sock_(std::move(sock)) {
    boost::system::error_code ec;
    auto ep = sock_.remote_endpoint(ec);
    peer_ = ec ? "?" : fmt::format("{}:{}", ep.address().to_string(), ep.port());
    sock_.set_option(asio::ip::tcp::no_delay(true), ec);
}

awaitable<std::optional<json>> JsonLink::read() {
    boost::system::error_code ec;
    co_await asio::async_read_until(sock_, in_, '\n', asio::redirect_error(use_awaitable, ec));
    if (ec) {
        close();
        co_return std::nullopt;
    }
    std::istream is(&in_);
    std::string line;
    std::getline(is, line);
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        close();
        co_return std::nullopt;
    }
    co_return j;
}

void JsonLink::send(const json& j) {
    if (!sock_.is_open()) return;
    out_.push_back(j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n");
    if (!writing_) {
        writing_ = true;
        asio::co_spawn(sock_.get_executor(), [self = shared_from_this()] { return self->write_queue(); }, asio::detached);
    }
}

awaitable<void> JsonLink::write_queue() {
    while (!out_.empty() && sock_.is_open()) {
        boost::system::error_code ec;
        co_await asio::async_write(sock_, asio::buffer(out_.front()), asio::redirect_error(use_awaitable, ec));
        out_.pop_front();
        if (ec) close();
    }
    out_.clear();
    writing_ = false;
}

void JsonLink::close() {
    boost::system::error_code ec;
    sock_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    sock_.close(ec);
}

std::string proof(const ClusterKey& key, const std::string& side, const std::string& challenge) {
    std::string text = "omx-agent " + side + " " + challenge;
    return to_hex(key.mac({reinterpret_cast<const uint8_t*>(text.data()), text.size()}));
}

namespace {

// Constant time: a proof must not leak how many of its first characters were right.
bool same_proof(const std::string& a, const std::string& b) {
    if (a.size() != b.size()) return false;
    unsigned char diff = 0;
    for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

awaitable<json> read_or_throw(JsonLink& link, const char* what) {
    auto j = co_await link.read();
    if (!j) throw AuthError(fmt::format("{} closed the connection during the handshake", what));
    co_return *j;
}

}  // namespace

awaitable<void> accept_controller(JsonLink& link, const ClusterKey& key, json info) {
    const std::string challenge = random_hex(16);
    link.send({{"agent", "omx-agent"}, {"version", 1}, {"challenge", challenge}});
    json hello = co_await read_or_throw(link, "the controller");
    if (hello.value("op", "") != "hello" || !same_proof(hello.value("proof", ""), proof(key, "controller", challenge))) {
        link.send({{"ok", false}, {"error", "bad cluster key"}});
        throw AuthError("a controller at " + link.peer() + " did not prove the cluster key");
    }
    info["ok"] = true;
    info["proof"] = proof(key, "agent", hello.value("challenge", ""));
    link.send(info);
}

awaitable<json> greet_agent(JsonLink& link, const ClusterKey& key) {
    json greeting = co_await read_or_throw(link, "the agent");
    if (greeting.value("agent", "") != "omx-agent")
        throw AuthError(link.peer() + " is not an omx-agent");
    const std::string challenge = random_hex(16);
    link.send({{"op", "hello"}, {"proof", proof(key, "controller", greeting.value("challenge", ""))}, {"challenge", challenge}});
    json info = co_await read_or_throw(link, "the agent");
    if (!info.value("ok", false))
        throw AuthError(fmt::format("the agent at {} refused us: {}", link.peer(), info.value("error", "no reason")));
    if (!same_proof(info.value("proof", ""), proof(key, "agent", challenge)))
        throw AuthError("the agent at " + link.peer() + " did not prove the cluster key");
    co_return info;
}

std::pair<std::string, uint16_t> split_host_port(const std::string& s) {
    auto bad = [&] { return std::invalid_argument(fmt::format("bad agent address '{}' (HOST or HOST:PORT)", s)); };
    if (s.empty()) throw bad();
    std::string host = s, port;
    if (s.front() == '[') {
        auto close = s.find(']');
        if (close == std::string::npos) throw bad();
        host = s.substr(1, close - 1);
        if (close + 1 < s.size()) {
            if (s[close + 1] != ':') throw bad();
            port = s.substr(close + 2);
        }
    } else if (auto colon = s.rfind(':'); colon != std::string::npos && s.find(':') == colon) {
        host = s.substr(0, colon);
        port = s.substr(colon + 1);
    }
    if (host.empty()) throw bad();
    if (port.empty()) return {host, kAgentPort};
    size_t used = 0;
    unsigned long p = 0;
    try {
        p = std::stoul(port, &used);
    } catch (const std::exception&) {
        throw bad();
    }
    if (used != port.size() || p == 0 || p > 65535) throw bad();
    return {host, uint16_t(p)};
}

}  // namespace omx::harness
