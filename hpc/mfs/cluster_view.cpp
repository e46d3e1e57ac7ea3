#include "cluster_view.h"

#include <fmt/format.h>

#include <fstream>

#include "common/control.h"
#include "common/net.h"

namespace omx::mfs {

using nlohmann::json;

ClusterView::ClusterView(std::string control_socket, uint16_t self_hint)
    : socket_(std::move(control_socket)), self_(self_hint) {}

ClusterView::~ClusterView() {
    stop_ = true;
    wake_.notify_all();
    if (refresher_.joinable()) refresher_.join();
}

void ClusterView::start() {
    for (int i = 0; i < 30 && !refresh(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    refresher_ = std::thread([this] {
        std::unique_lock lock(wake_mu_);
        while (!stop_) {
            wake_.wait_for(lock, std::chrono::seconds(1));
            if (!stop_) refresh();
        }
    });
}

void ClusterView::refresh_soon() {
    std::lock_guard lock(refresh_mu_);
    if (std::chrono::steady_clock::now() - last_refresh_ < std::chrono::milliseconds(200)) return;
    refresh();
}

bool ClusterView::refresh() {
    last_refresh_ = std::chrono::steady_clock::now();
    try {
        auto nodes = control::call({{"cmd", "nodes"}}, socket_, 2000);
        auto status = control::call({{"cmd", "status"}}, socket_, 2000);
        apply(nodes, status);
        return true;
    } catch (const std::exception&) {
        return false;   // omxd away: the last view stays
    }
}

void ClusterView::apply(const json& nodes_reply, const json& status_reply) {
    std::map<uint16_t, NodeInfo> fresh;
    for (const auto& n : nodes_reply.value("nodes", json::array())) {
        NodeInfo info;
        if (auto a = parse_ipv4(n.value("address", std::string()))) info.address = *a;
        info.up = n.value("up", false);
        fresh[uint16_t(n.value("id", 0))] = info;
    }
    if (uint16_t self = uint16_t(status_reply.value("self", 0))) self_ = self;
    nomfs_ = status_reply.value("admin", json::object()).value("nomfs", false);
    std::lock_guard lock(mu_);
    nodes_ = std::move(fresh);
}

std::map<uint16_t, NodeInfo> ClusterView::nodes() const {
    std::lock_guard lock(mu_);
    return nodes_;
}

std::optional<uint32_t> ClusterView::address(uint16_t node) const {
    std::lock_guard lock(mu_);
    auto it = nodes_.find(node);
    if (it == nodes_.end() || !it->second.up || !it->second.address) return std::nullopt;
    return it->second.address;
}

ProcessPlaces ClusterView::places(pid_t pid) const {
    ProcessPlaces p{self_, self_, self_, self_};
    try {
        auto r = control::call({{"cmd", "mfs"}, {"pid", process_of(pid)}}, socket_, 2000);
        auto node = [&](const char* key, uint16_t fallback) {
            uint16_t v = uint16_t(r.value(key, 0));
            return v ? v : fallback;
        };
        p.here = node("here", p.here);
        p.home = node("home", p.home);
        p.lastexec = node("lastexec", p.home);
        p.selected = node("selected", p.here);
    } catch (const std::exception&) {
    }
    return p;
}

pid_t process_of(pid_t tid) {
    std::ifstream in(fmt::format("/proc/{}/status", tid));
    std::string key;
    long v;
    while (in >> key) {
        if (key == "Tgid:" && in >> v) return pid_t(v);
        in.ignore(1 << 16, '\n');
    }
    return tid;
}

}  // namespace omx::mfs
