#pragma once
// Authenticated datagrams between daemons: sealing with the cluster key, sequence
// numbers, and the receive-side checks (MAC, replay, sender identity) with counters.
// Every rejected datagram is counted and logged (rate-limited), never trusted.
#include <utility>  // boost 1.74 awaitable.hpp needs std::exchange
#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>

#include "common/cluster_key.h"
#include "common/wire.h"

namespace omx {

struct MessageCounters {
    uint64_t rx_ok = 0, rx_short = 0, rx_bad_magic = 0, rx_bad_version = 0, rx_bad_length = 0,
             rx_bad_mac = 0, rx_replay = 0, rx_unknown_sender = 0, rx_malformed = 0,
             rx_unknown_type = 0, rx_bytes = 0, tx = 0, tx_bytes = 0, tx_errors = 0;
    nlohmann::json to_json() const;
    uint64_t rejected() const {
        return rx_short + rx_bad_magic + rx_bad_version + rx_bad_length + rx_bad_mac + rx_replay +
               rx_unknown_sender + rx_malformed + rx_unknown_type;
    }
};

class Transport {
public:
    using udp = boost::asio::ip::udp;

    Transport(ClusterKey key, uint16_t self_id);

    void set_self(uint16_t id) { self_ = id; }
    uint16_t self() const { return self_; }
    uint64_t epoch() const { return epoch_; }

    std::vector<uint8_t> seal(MsgType type, std::span<const uint8_t> body);
    void send(udp::socket& sock, const udp::endpoint& to, MsgType type,
              std::span<const uint8_t> body);

    // MAC, format and replay checks of one received datagram; nullopt when rejected
    // (counted, and logged as openMosix did for unauthorised senders).
    std::optional<Envelope> accept(std::span<const uint8_t> datagram, const udp::endpoint& from);

    // For callers that find the (authentic) body or sender unacceptable.
    void reject_unknown_sender(const udp::endpoint& from, uint16_t claimed);
    void reject_malformed(const udp::endpoint& from, const std::string& why);
    void reject_unknown_type(const udp::endpoint& from, uint8_t type);

    const MessageCounters& counters() const { return counters_; }

private:
    void log_rejection(const udp::endpoint& from, const std::string& what);

    ClusterKey key_;
    uint16_t self_;
    uint64_t epoch_;
    uint64_t seq_ = 0;
    std::map<uint16_t, ReplayGuard> replay_;
    MessageCounters counters_;
    std::chrono::steady_clock::time_point log_window_{};
    int logged_in_window_ = 0;
};

}  // namespace omx
