#include "daemon.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <filesystem>
#include <random>

#include "common/net.h"
#include "speed.h"

namespace omx {

const char* to_string(Mode m) {
    switch (m) {
        case Mode::Map: return "map";
        case Mode::Auto: return "auto";
        case Mode::Off: return "off";
    }
    return "?";
}

Daemon::Daemon(asio::io_context& io, Options opt, ClusterKey key)
    : io_(io),
      opt_(std::move(opt)),
      transport_(std::move(key), 0),
      table_(opt_.down_timeout, std::random_device{}()),
      info_sock_(std::make_shared<Transport::udp::socket>(io)),
      gossip_timer_(io),
      sample_timer_(io),
      balance_timer_(io) {
    std::filesystem::create_directories(opt_.state_dir);
    std::string warning;
    admin_ = AdminState::load(opt_.state_dir + "/admin.json", &warning);
    if (!warning.empty()) spdlog::warn("{}", warning);
    core_speed_ = calibrate_core_speed();
    spdlog::info("calibrated core speed {} (100 = 1 GHz scalar core); node speed {}", core_speed_,
                 current_speed());
}

uint32_t Daemon::current_speed() const {
    if (admin_.speed_set) return admin_.speed_set;
    const auto& r = meter_.resources();
    return effective_speed(core_speed_, r.quota_cores, r.cpus);
}

void Daemon::configure_at_start() {
    if (!opt_.map_file.empty()) {
        auto file = read_first_map_file({opt_.map_file});
        if (!file) throw std::runtime_error("cannot read map file " + opt_.map_file);
        apply_map(parse_map(file->text, file->path), file->path);
        return;
    }
    if (!opt_.autodiscovery && !opt_.omdiscd) {
        if (auto file = read_first_map_file()) {
            apply_map(parse_map(file->text, file->path), file->path);
            return;
        }
        spdlog::info("no map file ({}): using autodiscovery", fmt::join(kMapSearchOrder, ", "));
    }
    start_autodiscovery();
}

void Daemon::apply_map(const ClusterMap& map, const std::string& origin) {
    NodeSet nodes = resolve_map(map, origin);
    auto self = find_local_node(nodes, local_ipv4_addresses());
    if (!self) throw MapError(not_in_map_message(my_display_address()));
    close_discovery();
    map_ = map;
    mode_ = Mode::Map;
    source_ = origin;
    table_.configure(nodes, *self);
    transport_.set_self(*self);
    log_configuration();
}

void Daemon::start_autodiscovery() {
    std::string iface = opt_.iface;
    if (iface.empty()) {
        auto def = default_route_interface();
        if (!def)
            throw std::runtime_error(
                "Unable to determine address of default interface. Use -i IFACE.\n"
                "Unable to initialize network. Exiting.");
        iface = *def;
    }
    auto ip = interface_ipv4(iface);
    if (!ip)
        throw std::runtime_error("Unable to determine address of interface " + iface +
                                 ".\nUnable to initialize network. Exiting.");
    self_ip_ = *ip;
    uint16_t self = node_id_from_ipv4(*ip);
    if (self == 0)
        throw std::runtime_error("address " + format_ipv4(*ip) +
                                 " gives node id 0 (low 16 bits): pick another address");
    NodeSet me;
    me[self] = NodeAddress{self, {*ip}, format_ipv4(*ip)};
    map_ = {};
    mode_ = Mode::Auto;
    source_ = "autodiscovery";
    table_.configure(me, self);
    transport_.set_self(self);

    using udp = Transport::udp;
    disc_sock_ = std::make_shared<udp::socket>(io_);
    disc_sock_->open(udp::v4());
    disc_sock_->set_option(udp::socket::reuse_address(true));
    disc_sock_->bind(udp::endpoint(udp::v4(), opt_.discovery_port));
    auto group = asio::ip::make_address_v4(kDiscoveryGroup);
    auto local = asio::ip::address_v4(ntohl(*ip));
    disc_sock_->set_option(asio::ip::multicast::join_group(group, local));
    disc_sock_->set_option(asio::ip::multicast::outbound_interface(local));
    disc_sock_->set_option(asio::ip::multicast::hops(1));
    disc_sock_->set_option(asio::ip::multicast::enable_loopback(false));
    spdlog::info("autodiscovery on {} ({}), group {}:{}", iface, format_ipv4(*ip), kDiscoveryGroup,
                 opt_.discovery_port);
    log_configuration();
    if (!stopping_ && info_sock_->is_open()) asio::co_spawn(io_, receive_loop(disc_sock_), asio::detached);
}

void Daemon::go_off() {
    mode_ = Mode::Off;
    source_.clear();
    close_discovery();
    table_.clear();
    transport_.set_self(0);
    spdlog::info("openMosix is now disabled on this node");
}

uint32_t Daemon::primary_address() const {
    if (mode_ == Mode::Auto) return self_ip_;
    if (auto* r = table_.find(table_.self()); r && !r->ipv4.empty()) return r->ipv4[0];
    return 0;
}

void Daemon::log_configuration() const {
    spdlog::info("openMosix configuration changed: This is openMosix #{} (of {} configured)",
                 table_.self(), table_.configured());
    for (const auto& [id, r] : table_.nodes())
        if (!r.ipv4.empty()) spdlog::info("openMosix #{} is at IP address {}", id, format_ipv4(r.ipv4[0]));
}

void Daemon::start() {
    using udp = Transport::udp;
    info_sock_->open(udp::v4());
    info_sock_->set_option(udp::socket::reuse_address(true));
    info_sock_->bind(udp::endpoint(udp::v4(), opt_.info_port));
    info_sock_->non_blocking(true);

    std::filesystem::create_directories(opt_.run_dir);
    std::string ctl = opt_.control_socket.empty() ? opt_.run_dir + "/control.sock" : opt_.control_socket;
    control_ = std::make_unique<ControlServer>(
        io_, ctl, [this](const nlohmann::json& req, uid_t uid) { return handle(req, uid); });
    control_->on_channel("deputy", [this](const nlohmann::json& req, uid_t uid, pid_t peer,
                                          asio::local::stream_protocol::socket sock) {
        if (migrations_) migrations_->adopt_deputy(req, uid, peer, std::move(sock));
    });
    control_->on_channel("guest", [this](const nlohmann::json& req, uid_t uid, pid_t peer,
                                         asio::local::stream_protocol::socket sock) {
        if (migrations_) migrations_->adopt_guest(req, uid, peer, std::move(sock));
    });
    control_->start();
    if (opt_.metrics_port) {
        metrics_ = std::make_unique<MetricsServer>(io_, opt_.metrics_address, opt_.metrics_port,
                                                   [this] { return metrics_text(); });
        metrics_->start();
    }
    start_migrations();
    mfs_ = std::make_unique<MfsMount>(io_, MfsSettings{opt_.mfs, opt_.mfs_mount, opt_.dfsa, opt_.key_file, ctl,
                                                       opt_.run_dir + "/mfs.json", int(opt_.down_timeout.count())});
    mfs_->start();
    asio::co_spawn(io_, receive_loop(info_sock_), asio::detached);
    if (disc_sock_) asio::co_spawn(io_, receive_loop(disc_sock_), asio::detached);
    asio::co_spawn(io_, sample_loop(), asio::detached);
    asio::co_spawn(io_, gossip_loop(), asio::detached);
    asio::co_spawn(io_, balance_loop(), asio::detached);
    spdlog::info("omxd {} running: node #{} ({} mode), info port {}, control {}{}", OMX_VERSION,
                 table_.self(), to_string(mode_), opt_.info_port, ctl,
                 metrics_ ? fmt::format(", metrics :{}", opt_.metrics_port) : "");
}

void Daemon::stop() {
    stopping_ = true;
    boost::system::error_code ec;
    gossip_timer_.cancel();
    sample_timer_.cancel();
    balance_timer_.cancel();
    info_sock_->close(ec);
    close_discovery();
    if (control_) control_->stop();
    if (metrics_) metrics_->stop();
    if (migrations_) migrations_->stop();
    if (mfs_) mfs_->stop();
}

void Daemon::start_migrations() {
    MigrationContext ctx;
    ctx.key_file = opt_.key_file;
    ctx.migration_port = opt_.migration_port;
    ctx.dead_after_ms = int(opt_.down_timeout.count());
    ctx.control_socket = opt_.control_socket.empty() ? opt_.run_dir + "/control.sock" : opt_.control_socket;
    ctx.self = [this] { return table_.self(); };
    ctx.blocked = [this] { return admin_.block; };
    ctx.reachable = [this](uint16_t id) -> std::variant<uint32_t, std::string> {
        const NodeRecord* r = table_.find(id);
        if (!r || r->ipv4.empty()) return fmt::format("no openMosix node #{} in this cluster", id);
        if (!r->up) return fmt::format("node {} is down", id);
        if (r->latest && (r->latest->status & kStatusBlock)) return fmt::format("node {} is blocked (mosctl block)", id);
        return r->ipv4[0];
    };
    ctx.least_loaded = [this](uint16_t exclude, std::function<bool(uint16_t)> ok) -> std::optional<uint16_t> {
        std::optional<uint16_t> best;
        double best_load = 0;
        for (const auto& [id, r] : table_.nodes()) {
            if (id == exclude || id == table_.self() || !r.up || !r.latest || (r.latest->status & kStatusBlock) || !ok(id)) continue;
            double load = double(r.latest->load) / std::max<uint16_t>(1, r.latest->cpus);
            if (!best || load < best_load) best = id, best_load = load;
        }
        return best;
    };
    migrations_ = std::make_unique<Migrations>(io_, std::move(ctx));
    try {
        migrations_->start();
    } catch (const std::exception& e) {
        spdlog::error("migration: cannot listen on TCP port {}: {}; no process can arrive here", opt_.migration_port, e.what());
    }
}

void Daemon::close_discovery() {
    if (!disc_sock_) return;
    boost::system::error_code ec;
    disc_sock_->close(ec);
    disc_sock_.reset();
}

void Daemon::save_admin() {
    try {
        admin_.save(opt_.state_dir + "/admin.json");
    } catch (const std::exception& e) {
        spdlog::error("cannot save admin state: {}", e.what());
    }
}

}  // namespace omx
