#pragma once
// The harness's wire: one JSON object per line over TCP between the controller and an
// agent, opened by a mutual HMAC challenge over the cluster key (an agent runs commands,
// so nobody without the key may talk to it; a controller must not be fooled by a stranger
// either). Protocol: docs/harness.md.
#include <utility>  // boost 1.74 awaitable.hpp needs std::exchange
#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include <deque>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "common/cluster_key.h"

namespace omx::harness {

inline constexpr uint16_t kAgentPort = 4670;
inline constexpr size_t kMaxLine = 8u << 20;   // an exit event carries a 64 KiB log; margin for escaping

struct AuthError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class JsonLink : public std::enable_shared_from_this<JsonLink> {
public:
    explicit JsonLink(boost::asio::ip::tcp::socket sock);
    // The next object; nullopt when the peer closed or the line was not JSON (then closed).
    boost::asio::awaitable<std::optional<nlohmann::json>> read();
    // Queued; lines go out whole and in order even when several coroutines send.
    void send(const nlohmann::json& j);
    void close();
    bool open() const { return sock_.is_open(); }
    std::string peer() const { return peer_; }

private:
    boost::asio::awaitable<void> write_queue();
    boost::asio::ip::tcp::socket sock_;
    boost::asio::streambuf in_{kMaxLine};
    std::deque<std::string> out_;
    bool writing_ = false;
    std::string peer_;
};

// The agent's side: challenge the controller, prove ourselves, then send `info`.
boost::asio::awaitable<void> accept_controller(JsonLink& link, const ClusterKey& key, nlohmann::json info);
// The controller's side: answers the agent's challenge, checks its proof; returns its info.
boost::asio::awaitable<nlohmann::json> greet_agent(JsonLink& link, const ClusterKey& key);

// The proof of a challenge (omx::random_hex) for one side ("agent"/"controller").
std::string proof(const ClusterKey& key, const std::string& side, const std::string& challenge);

// "host", "host:port", "[v6]:port" → host and port (port defaults to kAgentPort).
std::pair<std::string, uint16_t> split_host_port(const std::string& s);

}  // namespace omx::harness
