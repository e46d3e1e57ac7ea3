#pragma once
// The deputy's side of a migration (link.h), on the home node: send the process to a
// target, serve its forwarded calls inside the husk while it is away, pass signals on,
// take it back home, and end the husk the way the process ended. One deputy process per
// migrated process (omx-deputy, started by omxd): a call that blocks at home blocks only
// the process that made it, as in openMosix.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/cluster_key.h"
#include "forward.h"
#include "link.h"
#include "tracee.h"

namespace omx::mig {

struct Target {
    uint16_t id = 0;
    uint32_t ipv4 = 0;   // network byte order
    uint16_t port = 4660;
};

struct MigrationFigures {
    double frozen_ms = 0;   // process stopped: seize to running on the target
    double total_ms = 0;    // connect to arrival
    uint64_t image_bytes = 0;
};

class DeputySession {
public:
    DeputySession(pid_t pid, const ClusterKey& key, uint16_t home_id, int dead_after_ms);
    ~DeputySession();

    // Who starts the deputy of a child the process forks where it runs (omxd).
    struct ForkHelper {
        std::function<bool()> available;
        std::function<bool(pid_t child, const std::string& token)> start;   // false: not reported
    };
    void set_fork_helper(ForkHelper h) { fork_helper_ = std::move(h); }
    // Told the process's new command line when it execs where it runs.
    void on_exec(std::function<void(const std::string& command)> f) { on_exec_ = std::move(f); }

    // Sends the process away. On any failure (refused, target died, image rejected) the
    // process runs on at home and this throws with the reason (CantMove for cantmove).
    MigrationFigures migrate_out(const Target& t);

    // For the child of a process that forked away: takes over its husk (left parked by the
    // parent's deputy) and links it to the child, which the target already holds under
    // `token`. On failure the child is killed: it could not be made.
    MigrationFigures adopt(const Target& t, const std::string& token);

    enum class Ended { Exited, NodeLost, HuskGone, CameHome };
    // Serves the away process until it ends, its node is lost, the husk is killed, or
    // `command` (polled between calls, at most every 20 ms) returns true: come home.
    // `command_fd()` (or -1) wakes the loop when a command may be waiting; `tick` runs at
    // every look at the husk (every 20 ms at most).
    Ended serve(const std::function<int()>& command_fd, const std::function<bool()>& command,
                const std::function<void()>& tick = {});

    // Brings the process home into its husk. False (with `why`) when it could not: it
    // then runs on where it was.
    bool come_home(std::string& why, MigrationFigures* figures = nullptr);

    uint16_t where() const { return away_ ? node_ : 0; }
    int end_status() const { return end_status_; }
    uint64_t forwarded() const { return forwarded_; }

private:
    void serve_call(const std::vector<uint8_t>& payload);
    void serve_fork(const std::vector<uint8_t>& payload);
    void serve_exec_check(const std::vector<uint8_t>& payload);
    void note_exec(const std::vector<uint8_t>& payload);
    void serve_map_file(const std::vector<uint8_t>& payload);
    // The requests of the process where it runs; false for other messages.
    bool serve_request(Msg type, const std::vector<uint8_t>& payload);
    void open_link(const Target& t, const MigrationRequest& req);
    void end_husk(int status);
    void lose_husk();
    void forget_process();

    pid_t pid_;
    const ClusterKey& key_;
    uint16_t home_id_;
    int dead_after_ms_;
    std::optional<Tracee> husk_;
    std::optional<Deputy> deputy_;
    std::optional<Link> link_;
    bool away_ = false;
    uint16_t node_ = 0;
    int end_status_ = 0;
    uint64_t forwarded_ = 0;
    ForkHelper fork_helper_;
    // Husks of children forked away, parked until their own deputy seizes them: one that
    // nobody adopts (omxd died before starting its deputy) is killed after a while.
    std::vector<std::pair<pid_t, std::chrono::steady_clock::time_point>> parked_;
    void check_parked();
    std::function<void(const std::string&)> on_exec_;
};

}  // namespace omx::mig
