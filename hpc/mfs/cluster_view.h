#pragma once
// What the file system knows of the cluster, from the node's omxd (control socket): this
// node's id, every node's address and whether it is up, whether this node refuses oMFS
// (mosctl nomfs), and for the magic directories where a process runs, its home, where it
// last exec'd and the node selected for it. Refreshed once a second; when omxd is away
// the last view stays (and magic names point here).
#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace omx::mfs {

struct NodeInfo {
    uint32_t address = 0;   // IPv4, network order; 0 = none known
    bool up = false;
};

struct ProcessPlaces {
    uint16_t here = 0, home = 0, lastexec = 0, selected = 0;
};

class ClusterView {
public:
    explicit ClusterView(std::string control_socket, uint16_t self_hint = 0);
    ~ClusterView();
    void start();   // background refresh; the first refresh is made before it returns (≤ 3 s)

    uint16_t self() const { return self_; }
    bool nomfs() const { return nomfs_; }
    std::map<uint16_t, NodeInfo> nodes() const;
    std::optional<uint32_t> address(uint16_t node) const;   // nullopt when unknown or down
    // Asks omxd again now (at most every 200 ms): a node that just came up is known at once.
    void refresh_soon();
    // For the magic names; a thread id is taken as its process.
    ProcessPlaces places(pid_t pid) const;

    // From omxd's {"cmd":"nodes"} and {"cmd":"status"} answers (public for the tests).
    void apply(const nlohmann::json& nodes_reply, const nlohmann::json& status_reply);

private:
    bool refresh();
    std::string socket_;
    std::atomic<uint16_t> self_;
    std::atomic<bool> nomfs_{false};
    mutable std::mutex mu_;
    std::map<uint16_t, NodeInfo> nodes_;
    std::atomic<bool> stop_{false};
    std::condition_variable wake_;
    std::mutex wake_mu_;
    std::thread refresher_;
    std::mutex refresh_mu_;
    std::chrono::steady_clock::time_point last_refresh_{};
};

// The process a thread id belongs to (its Tgid), or `tid` when /proc does not say.
pid_t process_of(pid_t tid);

}  // namespace omx::mfs
