#include "client.h"

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <iostream>

namespace omx::mfs {

NodeClient::NodeClient(uint16_t node, uint16_t self, const ClusterKey& key,
                       std::function<std::optional<uint32_t>()> address, ClientOptions opt)
    : node_(node), self_(self), key_(key), address_(std::move(address)), opt_(opt) {}

std::unique_ptr<mig::Link> NodeClient::take() {
    std::unique_lock lock(mu_);
    bool got = freed_.wait_for(lock, std::chrono::milliseconds(opt_.timeout_ms),
                               [&] { return !idle_.empty() || in_use_ < opt_.max_connections; });
    if (!got) return nullptr;
    return take_locked(lock);
}

std::unique_ptr<mig::Link> NodeClient::take_if_free() {
    std::unique_lock lock(mu_);
    if (idle_.empty() && in_use_ >= opt_.max_connections) return nullptr;
    return take_locked(lock);
}

std::unique_ptr<mig::Link> NodeClient::take_locked(std::unique_lock<std::mutex>& lock) {
    ++in_use_;
    if (!idle_.empty()) {
        auto link = std::move(idle_.back());
        idle_.pop_back();
        return link;
    }
    lock.unlock();   // connecting may take the whole timeout: not under the lock
    return connect();
}

// A new connection for a slot already counted in use (given back empty on failure).
std::unique_ptr<mig::Link> NodeClient::connect() {
    try {
        auto addr = address_();
        if (!addr) throw std::runtime_error(fmt::format("node {} is unknown or down", node_));
        auto link = std::make_unique<mig::Link>(mig::connect_tcp(*addr, opt_.port, opt_.timeout_ms, opt_.timeout_ms));
        link->handshake_as_home(key_, self_, opt_.timeout_ms);
        return link;
    } catch (const std::exception& e) {
        std::cerr << fmt::format("omx-mfs: node {}: {}\n", node_, e.what());
        give_back(nullptr);
        return nullptr;
    }
}

void NodeClient::give_back(std::unique_ptr<mig::Link> link) {
    std::lock_guard lock(mu_);
    --in_use_;
    if (link) idle_.push_back(std::move(link));
    freed_.notify_one();
}

void NodeClient::forget_idle() {
    std::lock_guard lock(mu_);
    idle_.clear();   // they lead to the same node: likely as dead as the one that failed
}

Reply NodeClient::call(const Request& q) { return std::move(call_many({q}).front()); }

std::vector<Reply> NodeClient::call_many(const std::vector<Request>& qs, bool spread) {
    std::vector<Reply> out;
    std::vector<std::unique_ptr<mig::Link>> links;
    links.push_back(take());
    if (!links[0]) {
        out.assign(qs.size(), result_only(-EIO));
        return out;
    }
    if (spread && qs.size() > 1)
        if (auto second = take_if_free()) links.push_back(std::move(second));
    auto link_of = [&](size_t i) -> mig::Link& { return *links[i % links.size()]; };
    try {
        for (size_t i = 0; i < qs.size(); ++i) link_of(i).send(mig::Msg::Call, qs[i].payload(), encode_fields(qs[i]));
        for (size_t i = 0; i < qs.size(); ++i) {
            const Request& q = qs[i];
            mig::Msg type;
            std::vector<uint8_t> payload;
            if (!link_of(i).receive(type, payload, opt_.timeout_ms))
                throw mig::LinkClosed(fmt::format("no answer to {} within {} ms", op_name(q.op), opt_.timeout_ms));
            if (type != mig::Msg::Result) throw WireError(fmt::format("unexpected {}", mig::to_string(type)));
            Reply r = decode_reply(std::move(payload));
            // The server forgot our open files (it restarted, or saw us gone): they are lost.
            if (r.result == -EBADF && q.handle) r.result = -EIO;
            out.push_back(std::move(r));
        }
        for (auto& l : links) give_back(std::move(l));
    } catch (const std::exception& e) {
        std::cerr << fmt::format("omx-mfs: node {}: {}\n", node_, e.what());
        for (size_t i = 0; i < links.size(); ++i) give_back(nullptr);
        forget_idle();
        out.resize(qs.size(), result_only(-EIO));
    }
    return out;
}

}  // namespace omx::mfs
