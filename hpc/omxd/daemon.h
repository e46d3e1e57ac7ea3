#pragma once
// omxd: one event loop holding the node's membership, load vector, admin state and the
// control and metrics endpoints. Gossip, discovery and control are separate units wired
// here; the control commands are in commands.cpp.
#include <utility>  // boost 1.74 awaitable.hpp needs std::exchange
#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "admin_state.h"
#include "balancer.h"
#include "common/map.h"
#include "control_server.h"
#include "load_meter.h"
#include "metrics.h"
#include "migrations.h"
#include "mfs_mount.h"
#include "node_table.h"
#include "options.h"
#include "process_sampler.h"
#include "transport.h"

namespace omx {

namespace asio = boost::asio;

enum class Mode { Map, Auto, Off };
const char* to_string(Mode m);

class Daemon {
public:
    Daemon(asio::io_context& io, Options opt, ClusterKey key);

    // Initial configuration from the command line / map files / autodiscovery. Throws a
    // std::runtime_error with the user-facing message when the node cannot start.
    void configure_at_start();
    void start();
    void stop();

    // Control-socket entry point (commands.cpp). `uid` is the peer's uid.
    asio::awaitable<nlohmann::json> handle(const nlohmann::json& req, uid_t uid);
    std::string metrics_text() const;  // metrics.cpp

private:
    // configuration
    void apply_map(const ClusterMap& map, const std::string& origin);
    void start_autodiscovery();
    void go_off();
    void close_discovery();
    void log_configuration() const;
    void start_migrations();
    uint32_t primary_address() const;

    // gossip (gossip.cpp)
    asio::awaitable<void> sample_loop();
    asio::awaitable<void> gossip_loop();
    asio::awaitable<void> receive_loop(std::shared_ptr<Transport::udp::socket> sock);
    void gossip_once();
    void announce_once();
    void handle_datagram(const Envelope& env, const Transport::udp::endpoint& from);
    void handle_info(const Envelope& env, const Transport::udp::endpoint& from);
    bool sender_is_known(uint16_t id, uint32_t ipv4);
    void note_transitions();
    void forget_dead_nodes();
    LoadEntry self_entry();
    uint32_t current_speed() const;
    asio::awaitable<std::optional<double>> ping(uint16_t id, std::chrono::milliseconds timeout);

    // balancing (balancing.cpp)
    asio::awaitable<void> balance_loop();
    void balance_once();
    std::vector<BalanceNode> balance_nodes();
    std::vector<BalanceProcess> balance_processes(const BalanceTuning& tuning, bool memory_short);
    std::vector<uint16_t> mask_targets(const ClusterMask& mask) const;
    asio::awaitable<void> carry_out(pid_t pid, uint16_t to);
    void remember_view(const std::vector<BalanceNode>& nodes, const std::vector<BalanceProcess>& procs);

    // commands (commands.cpp)
    nlohmann::json node_json(const NodeRecord& r) const;
    nlohmann::json status_json() const;
    nlohmann::json map_json() const;
    nlohmann::json admin_json() const;
    nlohmann::json balancer_json() const;
    nlohmann::json whois(const std::string& q) const;
    void save_admin();

    asio::io_context& io_;
    Options opt_;
    Transport transport_;
    AdminState admin_;
    LoadMeter meter_;
    NodeTable table_;
    Mode mode_ = Mode::Off;
    std::string source_;          // map path, "stdin", "autodiscovery"
    ClusterMap map_;              // as configured (map mode)
    uint32_t self_ip_ = 0;        // autodiscovery address
    uint32_t core_speed_ = 100;
    uint64_t heartbeat_ = 0;
    // Shared with their receive coroutines, which may outlive a reconfiguration.
    std::shared_ptr<Transport::udp::socket> info_sock_;
    std::shared_ptr<Transport::udp::socket> disc_sock_;
    asio::steady_timer gossip_timer_;
    asio::steady_timer sample_timer_;
    std::map<uint64_t, std::pair<asio::steady_timer*, bool>> pings_;
    uint64_t ping_nonce_ = 0;
    std::map<uint16_t, Clock::time_point> down_since_;
    std::unique_ptr<ControlServer> control_;
    std::unique_ptr<MetricsServer> metrics_;
    std::unique_ptr<Migrations> migrations_;
    std::unique_ptr<MfsMount> mfs_;
    struct Pending {   // a move of ours the target's gossip may not show yet
        Clock::time_point at;
        double runq = 0;
        uint64_t free_bytes = 0;
    };
    asio::steady_timer balance_timer_;
    ProcessSampler sampler_;
    BalanceTuning balance_tuning_;
    std::mt19937 balance_rng_{std::random_device{}()};
    std::map<uint16_t, Pending> pending_;
    std::map<pid_t, Clock::time_point> refused_;
    uint64_t balancer_moves_ = 0;
    double self_demand_ = 0;   // this node's run queue for the balancer (balancing.cpp)
    nlohmann::json last_view_;   // the last round's nodes and candidates, for {"cmd":"balancer"}
    std::map<uint16_t, std::deque<std::pair<Clock::time_point, double>>> runq_history_;   // per node, the last seconds
    bool stopping_ = false;
};

}  // namespace omx
