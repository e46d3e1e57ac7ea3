// The info daemon: load sampling, gossip of the load vector to a few random peers every
// interval, autodiscovery announcements, liveness, and the authenticated ping.
#include <spdlog/spdlog.h>

#include "common/net.h"
#include "daemon.h"

namespace omx {

using asio::awaitable;
using asio::use_awaitable;
using udp = Transport::udp;

awaitable<void> Daemon::sample_loop() {
    auto next_refresh = Clock::now();
    while (!stopping_) {
        if (!admin_.quiet) meter_.sample();
        if (mode_ != Mode::Off) note_transitions();  // finer than the gossip interval
        if (Clock::now() >= next_refresh) {
            meter_.refresh_resources();
            next_refresh = Clock::now() + std::chrono::seconds(1);
        }
        sample_timer_.expires_after(LoadMeter::kSamplePeriod);
        boost::system::error_code ec;
        co_await sample_timer_.async_wait(asio::redirect_error(use_awaitable, ec));
    }
}

awaitable<void> Daemon::gossip_loop() {
    while (!stopping_) {
        if (mode_ != Mode::Off) {
            gossip_once();
            if (mode_ == Mode::Auto) announce_once();
            note_transitions();
            if (mode_ == Mode::Auto) forget_dead_nodes();
        }
        gossip_timer_.expires_after(opt_.interval);
        boost::system::error_code ec;
        co_await gossip_timer_.async_wait(asio::redirect_error(use_awaitable, ec));
    }
}

LoadEntry Daemon::self_entry() {
    LoadEntry e;
    const auto& r = meter_.resources();
    uint32_t speed = current_speed();
    e.id = table_.self();
    e.ipv4 = primary_address();
    e.origin_epoch = transport_.epoch();
    e.heartbeat = ++heartbeat_;
    e.load = meter_.exported_load(speed);
    e.speed = speed;
    e.cpus = r.cpus;
    e.util = meter_.util_percent();
    e.mem = r.mem_pages;
    e.rmem = r.rmem_pages;
    e.tmem = r.tmem_pages;
    e.status = uint16_t(kStatusConfigured | kStatusUp | admin_.status_bits());
    return e;
}

void Daemon::gossip_once() {
    auto now = Clock::now();
    table_.set_self(self_entry(), now);
    InfoBody body;
    body.entries = table_.gossip_entries(now, kMaxEntriesPerInfo);
    if (body.entries.empty()) return;
    auto bytes = encode(body);
    for (uint16_t id : table_.pick_gossip_targets(opt_.fanout)) {
        const NodeRecord* r = table_.find(id);
        if (!r || r->ipv4.empty()) continue;
        udp::endpoint to(asio::ip::address_v4(ntohl(r->ipv4[0])), opt_.info_port);
        transport_.send(*info_sock_, to, MsgType::Info, bytes);
    }
}

void Daemon::announce_once() {
    if (!disc_sock_) return;
    AnnounceBody a{self_ip_, table_.self(), 0};
    udp::endpoint group(asio::ip::make_address_v4(kDiscoveryGroup), opt_.discovery_port);
    transport_.send(*disc_sock_, group, MsgType::Announce, encode(a));
}

void Daemon::note_transitions() {
    for (const auto& t : table_.update_liveness(Clock::now())) {
        const NodeRecord* r = table_.find(t.id);
        std::string ip = r && !r->ipv4.empty() ? format_ipv4(r->ipv4[0]) : "?";
        if (t.up) {
            down_since_.erase(t.id);
            spdlog::info("openMosix #{} ({}) is up", t.id, ip);
        } else {
            down_since_[t.id] = Clock::now();
            if (t.silent_s > 0)
                spdlog::warn("openMosix #{} ({}) is down: silent for {:.1f} s", t.id, ip, t.silent_s);
        }
    }
}

void Daemon::forget_dead_nodes() {
    // Autodiscovery has no map to say a node belongs: one long gone leaves the configuration.
    bool changed = false;
    NodeSet keep;
    auto now = Clock::now();
    for (const auto& [id, r] : table_.nodes()) {
        auto since = down_since_.find(id);
        bool dead = since != down_since_.end() && now - since->second > opt_.forget_after;
        if (id != table_.self() && dead) {
            changed = true;
            down_since_.erase(id);
            continue;
        }
        keep[id] = NodeAddress{id, r.ipv4, r.host};
    }
    if (changed) {
        table_.configure(keep, table_.self());
        log_configuration();
    }
}

awaitable<void> Daemon::receive_loop(std::shared_ptr<udp::socket> sock) {
    std::vector<uint8_t> buf(kMaxDatagram + 1);
    while (!stopping_ && sock->is_open()) {
        udp::endpoint from;
        boost::system::error_code ec;
        size_t n = co_await sock->async_receive_from(asio::buffer(buf), from,
                                                     asio::redirect_error(use_awaitable, ec));
        if (ec == asio::error::operation_aborted || stopping_) co_return;
        if (ec) continue;
        if (mode_ == Mode::Off) continue;
        auto env = transport_.accept(std::span<const uint8_t>(buf.data(), n), from);
        if (!env) continue;
        try {
            handle_datagram(*env, from);
        } catch (const WireError& e) {
            transport_.reject_malformed(from, e.what());
        }
    }
}

bool Daemon::sender_is_known(uint16_t id, uint32_t ipv4) {
    if (table_.knows_address(id, ipv4)) return true;
    // Autodiscovery: an authentic message from a node not yet seen makes it known, as long
    // as its id really is its address' low 16 bits.
    if (mode_ == Mode::Auto && node_id_from_ipv4(ipv4) == id && id != table_.self() &&
        !table_.contains(id)) {
        table_.add_node(id, ipv4);
        log_configuration();
        return true;
    }
    return false;
}

void Daemon::handle_datagram(const Envelope& env, const udp::endpoint& from) {
    uint32_t src = htonl(from.address().to_v4().to_uint());
    switch (env.type) {
        case MsgType::Info:
            handle_info(env, from);
            return;
        case MsgType::Announce: {
            auto a = decode_announce(env.body);
            if (a.id != env.sender || a.ipv4 != src)
                return transport_.reject_malformed(from, "announcement does not match its sender");
            if (mode_ == Mode::Auto && !sender_is_known(a.id, a.ipv4) &&
                !table_.knows_address(a.id, a.ipv4))
                spdlog::warn("node id #{} claimed by {} is already at another address", a.id,
                             format_ipv4(a.ipv4));
            return;
        }
        case MsgType::Ping: {
            auto p = decode_ping(env.body);
            if (!sender_is_known(env.sender, src)) return transport_.reject_unknown_sender(from, env.sender);
            transport_.send(*info_sock_, from, MsgType::Pong, encode(p));
            return;
        }
        case MsgType::Pong: {
            auto p = decode_ping(env.body);
            if (!sender_is_known(env.sender, src)) return transport_.reject_unknown_sender(from, env.sender);
            if (auto it = pings_.find(p.nonce); it != pings_.end()) {
                it->second.second = true;
                it->second.first->cancel();
            }
            return;
        }
    }
    transport_.reject_unknown_type(from, uint8_t(env.type));
}

void Daemon::handle_info(const Envelope& env, const udp::endpoint& from) {
    uint32_t src = htonl(from.address().to_v4().to_uint());
    auto info = decode_info(env.body);
    const LoadEntry& first = info.entries.front();
    if (first.id != env.sender || first.ipv4 != src || first.age_ms != 0)
        return transport_.reject_malformed(from, "first entry is not the sender itself");
    if (!sender_is_known(env.sender, src)) return transport_.reject_unknown_sender(from, env.sender);
    auto now = Clock::now();
    for (const auto& e : info.entries) {
        if (mode_ == Mode::Auto && !table_.contains(e.id) && e.id != table_.self() &&
            node_id_from_ipv4(e.ipv4) == e.id) {
            table_.add_node(e.id, e.ipv4);
            log_configuration();
        }
        if (admin_.quiet && e.id != env.sender) continue;  // quiet: keep only liveness
        table_.merge(e, now);
    }
    note_transitions();
}

awaitable<std::optional<double>> Daemon::ping(uint16_t id, std::chrono::milliseconds timeout) {
    if (id == table_.self() && mode_ != Mode::Off) co_return 0.0;
    const NodeRecord* r = table_.find(id);
    if (!r || r->ipv4.empty() || mode_ == Mode::Off) co_return std::nullopt;
    uint64_t nonce = ++ping_nonce_;
    asio::steady_timer timer(io_, timeout);
    pings_[nonce] = {&timer, false};
    auto t0 = Clock::now();
    udp::endpoint to(asio::ip::address_v4(ntohl(r->ipv4[0])), opt_.info_port);
    transport_.send(*info_sock_, to, MsgType::Ping, encode(PingBody{nonce}));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
    bool answered = pings_[nonce].second;
    pings_.erase(nonce);
    if (!answered) co_return std::nullopt;
    co_return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

}  // namespace omx
