#include "transport.h"

#include <spdlog/spdlog.h>

namespace omx {

nlohmann::json MessageCounters::to_json() const {
    return {{"rx_ok", rx_ok},
            {"rx_short", rx_short},
            {"rx_bad_magic", rx_bad_magic},
            {"rx_bad_version", rx_bad_version},
            {"rx_bad_length", rx_bad_length},
            {"rx_bad_mac", rx_bad_mac},
            {"rx_replay", rx_replay},
            {"rx_unknown_sender", rx_unknown_sender},
            {"rx_malformed", rx_malformed},
            {"rx_unknown_type", rx_unknown_type},
            {"rx_bytes", rx_bytes},
            {"tx", tx},
            {"tx_bytes", tx_bytes},
            {"tx_errors", tx_errors}};
}

Transport::Transport(ClusterKey key, uint16_t self_id)
    : key_(std::move(key)),
      self_(self_id),
      // The epoch orders daemon incarnations: a restarted daemon starts a new sequence
      // space that peers accept, while replays of the old one stay rejected.
      epoch_(uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count())) {}

std::vector<uint8_t> Transport::seal(MsgType type, std::span<const uint8_t> body) {
    return omx::seal(key_, type, self_, epoch_, ++seq_, body);
}

void Transport::send(udp::socket& sock, const udp::endpoint& to, MsgType type,
                     std::span<const uint8_t> body) {
    auto d = seal(type, body);
    boost::system::error_code ec;
    sock.send_to(boost::asio::buffer(d), to, 0, ec);
    if (ec) {
        ++counters_.tx_errors;
        spdlog::debug("send to {} failed: {}", to.address().to_string(), ec.message());
        return;
    }
    ++counters_.tx;
    counters_.tx_bytes += d.size();
}

void Transport::log_rejection(const udp::endpoint& from, const std::string& what) {
    // At most 10 lines a minute: a flood of junk must not flood the log too.
    auto now = std::chrono::steady_clock::now();
    if (now - log_window_ > std::chrono::minutes(1)) {
        log_window_ = now;
        logged_in_window_ = 0;
    }
    if (++logged_in_window_ > 10) return;
    spdlog::warn("Received an unauthorized information request from {} ({})",
                 from.address().to_string(), what);
}

std::optional<Envelope> Transport::accept(std::span<const uint8_t> d, const udp::endpoint& from) {
    counters_.rx_bytes += d.size();
    auto r = omx::open(key_, d);
    if (!r.env) {
        switch (r.error) {
            case OpenError::Short: ++counters_.rx_short; break;
            case OpenError::BadMagic: ++counters_.rx_bad_magic; break;
            case OpenError::BadVersion: ++counters_.rx_bad_version; break;
            case OpenError::BadLength: ++counters_.rx_bad_length; break;
            case OpenError::BadMac: ++counters_.rx_bad_mac; break;
        }
        log_rejection(from, to_string(r.error));
        return std::nullopt;
    }
    if (r.env->sender == 0) {
        reject_malformed(from, "sender id 0");
        return std::nullopt;
    }
    if (!replay_[r.env->sender].accept(r.env->epoch, r.env->seq)) {
        ++counters_.rx_replay;
        log_rejection(from, "replayed sequence number");
        return std::nullopt;
    }
    ++counters_.rx_ok;
    return r.env;
}

void Transport::reject_unknown_sender(const udp::endpoint& from, uint16_t claimed) {
    ++counters_.rx_unknown_sender;
    log_rejection(from, "unknown sender #" + std::to_string(claimed));
}

void Transport::reject_malformed(const udp::endpoint& from, const std::string& why) {
    ++counters_.rx_malformed;
    log_rejection(from, "malformed: " + why);
}

void Transport::reject_unknown_type(const udp::endpoint& from, uint8_t type) {
    ++counters_.rx_unknown_type;
    log_rejection(from, "unknown message type " + std::to_string(type));
}

}  // namespace omx
