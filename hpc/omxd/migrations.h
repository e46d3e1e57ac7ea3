#pragma once
// omxd's part in migration: the port-4660 acceptor that starts a remote part (omx-remote)
// for every incoming process, the deputies (omx-deputy) it starts for `migrate`, and what
// it knows of every process that moved: where it is, how often it moved, its lock.
// The processes themselves never depend on omxd: a restart of omxd loses the table, not
// the processes.
#include <utility>  // boost 1.74 awaitable.hpp needs std::exchange
#include <boost/asio.hpp>
#include <nlohmann/json.hpp>
#include <sys/types.h>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>
#include <string>
#include <variant>

namespace omx {

// A process's cluster mask (openMosix migfilter/mignodes/migpolicy): when `filter` is on,
// policy Deny keeps it off the listed nodes, policy Allow lets it only onto them. Its home
// is always allowed. Inherited by children, like the lock.
struct ClusterMask {
    enum Policy { Deny = 0, Allow = 1 };
    bool filter = false;
    Policy policy = Deny;
    std::vector<uint16_t> nodes;

    bool allows(uint16_t node) const;
    uint64_t bits() const;   // mignodes: bit 2^(id-1) for the ids 1..64
    nlohmann::json to_json() const;
    // From a control request: {"filter":0|1, "policy":0|1|"allow"|"deny", "nodes":[ids] or bits}.
    // Throws std::invalid_argument with a user-facing message.
    static ClusterMask from_json(const nlohmann::json& j);
};

// What the balancer needs of a process that is away.
struct AwayProcess {
    pid_t pid = 0;
    uint16_t node = 0;
    double since_move_seconds = 0;
    uint64_t bytes = 0;   // its image as it last moved
};

// One move as the home node saw it, kept for {"cmd":"migrations"} (the stress harness
// records every migration of a run from it).
struct MigrationRecord {
    uint64_t seq = 0;
    double time = 0;            // unix seconds
    pid_t pid = 0;
    std::string command;
    uint16_t from = 0, to = 0;  // node ids (this node's id for home)
    uint64_t bytes = 0;
    double frozen_ms = 0, total_ms = 0;
    std::string outcome;        // "arrived", "home", "lost", "failed: why"
    pid_t session = 0;          // its session id (the stress harness starts each test in a session of its own)
    nlohmann::json to_json() const;
};

struct MigrationContext {
    std::string key_file;
    uint16_t migration_port = 4660;
    int dead_after_ms = 5000;
    std::function<uint16_t()> self;
    // The address of an up node, or an error text (unknown, down, blocked).
    std::function<std::variant<uint32_t, std::string>(uint16_t)> reachable;
    // The least loaded up node other than `exclude` and ourselves that `ok` accepts.
    std::function<std::optional<uint16_t>(uint16_t exclude, std::function<bool(uint16_t)> ok)> least_loaded;
    std::function<bool()> blocked;   // this node takes no guests
    std::string control_socket;      // where a deputy finds us again after our restart
};

class Migrations {
public:
    Migrations(boost::asio::io_context& io, MigrationContext ctx);
    ~Migrations();
    void start();
    void stop();

    // Control requests (docs/control-protocol.md). `uid`: the caller.
    boost::asio::awaitable<nlohmann::json> migrate(pid_t pid, const std::string& to, uid_t uid);
    nlohmann::json process(pid_t pid) const;          // where, nmigs, lock, cantmove
    nlohmann::json set_lock(pid_t pid, bool lock, uid_t uid);
    nlohmann::json set_mask(pid_t pid, const ClusterMask& mask, uid_t uid);
    // oMFS's magic directories: where the process runs, its home, where it last exec'd and
    // the node selected for it (its own or the nearest ancestor's; 0 = none).
    nlohmann::json places(pid_t pid) const;
    nlohmann::json set_selected(pid_t pid, uint16_t node, uid_t uid);
    nlohmann::json processes() const;                 // away processes and guests (mps, mtop)

    // For the balancer.
    std::vector<AwayProcess> away() const;
    bool has_deputy(pid_t pid) const { return deputies_.count(pid) != 0; }
    bool busy(pid_t pid) const { return moving_.count(pid) != 0; }   // a move is under way
    bool locked(pid_t pid) const;
    ClusterMask mask(pid_t pid) const;      // its own or the nearest ancestor's
    double since_move_seconds(pid_t pid) const;
    double bandwidth() const { return bandwidth_; }   // bytes/s migrations have moved at
    // The moves recorded after sequence number `since` (the last 1000 are kept).
    nlohmann::json migration_log(uint64_t since) const;
    std::set<pid_t> guest_pids() const;     // the local PIDs of the processes running here for others
    // A deputy started by an earlier omxd (we restarted) reports back: its connection to
    // the control socket becomes its channel.
    void adopt_deputy(const nlohmann::json& req, uid_t uid, pid_t helper, boost::asio::local::stream_protocol::socket sock);
    // Likewise a remote part started by an earlier omxd, for its guest (it runs as the
    // guest's user: what vouches for it is that the peer runs our omx-remote).
    void adopt_guest(const nlohmann::json& req, uid_t uid, pid_t helper, boost::asio::local::stream_protocol::socket sock);
    boost::asio::awaitable<nlohmann::json> expel();   // guests sent home; waits
    boost::asio::awaitable<nlohmann::json> bring();   // own processes brought home; waits

private:
    struct Deputy;
    struct Guest;
    struct Known {
        uint16_t where = 0;
        uint32_t nmigs = 0;
        std::optional<bool> lock;   // set by mosrun/mosproc; children inherit it
        std::string last_error;
        std::string command;   // its command line as it left (the husk's memory is released)
        std::optional<ClusterMask> mask;
        std::optional<uint16_t> selected;   // /mfs/selected (mosproc PID selected N); inherited
        uint16_t lastexec = 0;              // node of its last exec while away (0 = none seen)
        uint64_t forwarded = 0;             // calls its deputy made at home for it
        uint64_t bytes = 0;
        std::chrono::steady_clock::time_point moved_at{};   // last arrival anywhere (or home)
    };

    boost::asio::awaitable<nlohmann::json> migrate_now(pid_t pid, const std::string& to, uid_t uid);
    boost::asio::awaitable<void> accept_loop();
    boost::asio::awaitable<void> deputy_reader(std::shared_ptr<Deputy> d);
    boost::asio::awaitable<void> guest_reader(std::shared_ptr<Guest> g);
    void reap_children();
    boost::asio::awaitable<void> reap_loop();
    std::shared_ptr<Deputy> spawn_deputy(pid_t pid, uint16_t to, uint32_t address, const std::string& fork_token = {});
    void adopt_forked_child(pid_t parent, const nlohmann::json& ev);
    boost::asio::awaitable<nlohmann::json> next_event(std::shared_ptr<Deputy> d, std::chrono::milliseconds timeout);
    boost::asio::awaitable<void> wait_until(std::function<bool()> done, std::chrono::milliseconds timeout);
    void forget_dead();
    void record_move(MigrationRecord r);
    template <class T> std::optional<T> inherited(pid_t pid, std::optional<T> Known::*field) const;

    boost::asio::io_context& io_;
    MigrationContext ctx_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::signal_set sigchld_;
    std::map<pid_t, std::shared_ptr<Deputy>> deputies_;   // by the migrated process's PID
    std::map<pid_t, std::shared_ptr<Guest>> guests_;      // by the remote part's PID
    std::map<pid_t, Known> known_;
    std::set<pid_t> moving_;
    double bandwidth_ = 100e6;
    std::deque<MigrationRecord> move_log_;
    uint64_t next_move_seq_ = 1;
    bool stopping_ = false;
};

// For a process of this node: the openMosix cantmove word, or "" when it may move.
std::string process_cantmove(pid_t pid);
// The uid owning a process, or nullopt when there is no such process.
std::optional<uid_t> process_owner(pid_t pid);

}  // namespace omx
