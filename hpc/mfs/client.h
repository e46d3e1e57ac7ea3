#pragma once
// The file system's side of the oMFS protocol: a small pool of authenticated connections
// to one other node's server. A request that gets no answer within the failure timeout,
// or whose connection breaks, fails with EIO: nothing waits on a dead node for longer,
// and other nodes' requests never wait on it at all.
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "common/cluster_key.h"
#include "link.h"
#include "protocol.h"

namespace omx::mfs {

struct ClientOptions {
    uint16_t port = kDefaultPort;
    int timeout_ms = 5000;       // the failure timeout
    size_t max_connections = 8;  // requests to one node in flight at once
};

class NodeClient {
public:
    // `address` gives the node's IPv4 address (network order), nullopt when unknown or down.
    NodeClient(uint16_t node, uint16_t self, const ClusterKey& key, std::function<std::optional<uint32_t>()> address,
               ClientOptions opt);
    Reply call(const Request& q);
    // Several requests sent at once and answered in order: while we take in one answer the
    // server already works on the next (a big read or write cut into pieces). `spread`:
    // over two connections, which the server serves on two threads (pieces whose order
    // does not matter); else on one, in order. On a failure the rest are EIO too.
    std::vector<Reply> call_many(const std::vector<Request>& qs, bool spread = false);
    uint16_t node() const { return node_; }

private:
    std::unique_ptr<mig::Link> take();
    std::unique_ptr<mig::Link> take_if_free();   // nullptr rather than wait
    // With a free slot: an idle connection, or a new one (the lock is let go to connect).
    std::unique_ptr<mig::Link> take_locked(std::unique_lock<std::mutex>& lock);
    std::unique_ptr<mig::Link> connect();
    void give_back(std::unique_ptr<mig::Link> link);
    void forget_idle();

    uint16_t node_, self_;
    const ClusterKey& key_;
    std::function<std::optional<uint32_t>()> address_;
    ClientOptions opt_;
    std::mutex mu_;
    std::condition_variable freed_;
    std::vector<std::unique_ptr<mig::Link>> idle_;
    size_t in_use_ = 0;
};

}  // namespace omx::mfs
