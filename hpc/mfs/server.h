#pragma once
// The oMFS server of a node: serves this node's files to the other nodes' file systems,
// one thread per connection (a slow disk or a big read holds up that connection only).
// Connections prove the cluster key first (link.h's handshake). The open files of a
// client node outlive its connections by a grace period: a client that gave up on a slow
// answer and connects again finds them still open; one that is gone for good loses them.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <set>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/cluster_key.h"
#include "common/fd.h"
#include "local_files.h"

namespace omx::mfs {

struct ServerOptions {
    std::string mount = kDefaultMount;
    uint16_t port = kDefaultPort;
    std::string address = "0.0.0.0";
    // False while this node refuses oMFS access to its files (mosctl nomfs).
    std::function<bool()> serving = [] { return true; };
    std::chrono::seconds grace{120};   // open files of a node with no connection left
};

class Server {
public:
    Server(ClusterKey key, ServerOptions opt);
    ~Server();
    uint16_t port() const { return port_; }
    uint64_t requests() const { return requests_; }

private:
    void accept_loop();
    void serve_connection(UniqueFd sock);
    std::shared_ptr<LocalFiles> attach(uint16_t node);
    void detach(uint16_t node);

    ClusterKey key_;
    ServerOptions opt_;
    UniqueFd listener_;
    uint16_t port_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<uint64_t> requests_{0};
    std::mutex mu_;
    struct Session {
        std::shared_ptr<LocalFiles> files;
        int connections = 0;
        std::chrono::steady_clock::time_point idle_since{};
    };
    void drop_idle_sessions();
    std::map<uint16_t, Session> sessions_;
    // Connection threads: their sockets (to end them) and how many still run; the
    // destructor waits for them all, since they use this object.
    std::set<int> connections_;
    int running_ = 0;
    std::condition_variable all_ended_;
    std::thread acceptor_;
};

}  // namespace omx::mfs
