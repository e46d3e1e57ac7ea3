#include "cluster.h"

#include <fmt/format.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <thread>

#include "common/control.h"
#include "plan.h"
#include "sshd.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace vcluster {

static double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

Cluster::Cluster(ClusterState s) : state_(std::move(s)), backend_(make_backend(state_.backend)) {}

Cluster Cluster::current() {
    auto s = load_state();
    if (!s) throw std::runtime_error(fmt::format("no cluster is up (nothing in {}); start one with `vcluster up N`", state_dir()));
    return Cluster(std::move(*s));
}

void Cluster::up(const std::string& backend_name, const UpOptions& opt, const std::string& bin_dir,
                 double converge_timeout_s) {
    if (auto old = load_state()) {
        if (old->switch_holder.alive())
            throw std::runtime_error(fmt::format("a cluster of {} nodes is already up; run `vcluster down` first", old->size));
        std::cerr << "vcluster: removing the remains of a cluster that died\n";
        down();
    }
    if (opt.nodes < 1 || opt.nodes > kMaxNodes)
        throw std::invalid_argument(fmt::format("cannot make {} nodes: give 1..{}", opt.nodes, kMaxNodes));
    if (!fs::exists(bin_dir + "/omxd"))
        throw std::runtime_error(fmt::format("{}/omxd not found: build first (make{})", bin_dir,
                                             backend_name == "qemu-i386" ? " build-i386" : ""));

    auto t0 = Clock::now();
    ClusterState state;
    state.bin_dir = bin_dir;
    auto backend = make_backend(backend_name);
    try {
        fs::create_directories(state_dir());
        if (opt.sshd) ensure_client_key();
        backend->up(state, opt);
        save_state(state);
        if (opt.sshd)
            for (const auto& n : state.nodes) backend->start_sshd(state, n.id);
    } catch (...) {
        save_state(state);
        std::cerr << "vcluster: up failed; removing what was created\n";
        down();
        throw;
    }
    Cluster c(std::move(state));
    if (!opt.bare) c.wait_converged(converge_timeout_s);   // bare nodes have no daemons yet
    if (opt.sshd) wait_for_sshd_and_write_inventory(c.state_, converge_timeout_s);
    std::cout << format_status_table(c.state_, c.views());
    std::cout << fmt::format("cluster of {} {}nodes up in {:.2f} s\n", opt.nodes, opt.bare ? "bare " : "",
                             seconds_since(t0));
    if (opt.sshd) std::cout << fmt::format("sshd on every node; Ansible inventory in {}\n", inventory_path());
}

int Cluster::down() {
    auto s = load_state();
    if (!s) {
        std::cout << "no cluster is up\n";
        fs::remove_all(state_dir());
        return 0;
    }
    auto backend = make_backend(s->backend);
    auto left = backend->down(*s);
    if (!left.empty()) {
        for (const auto& l : left) std::cerr << "vcluster: could not remove " << l << "\n";
        save_state(*s);
        return 1;
    }
    std::error_code ec;
    fs::remove_all(state_dir(), ec);
    if (ec) {
        std::cerr << fmt::format("vcluster: could not remove {}: {}\n", state_dir(), ec.message());
        return 1;
    }
    std::cout << fmt::format("cluster of {} nodes removed\n", s->size);
    return 0;
}

NodeView Cluster::view(int id) {
    NodeView v;
    v.id = id;
    v.address = node_address(id);
    const NodeRecord* rec = state_.node(id);
    if (!rec) return v;
    v.cpu_share = rec->cpu_share;
    v.partitioned = rec->partitioned;
    v.alive = backend_->node_alive(state_, id);
    if (!v.alive) {
        v.error = "node is gone";
        return v;
    }
    v.daemon_running = !backend_->daemon_pids(state_, id).empty();
    if (!v.daemon_running) {
        v.error = "omxd is not running";
        return v;
    }
    try {
        auto reply = backend_->control(state_, id, {{"cmd", "nodes"}}, 2000);
        for (const auto& n : reply.at("nodes")) {
            if (n.value("up", false)) ++v.sees_up;
            if (n.value("self", false)) v.self = n;
        }
    } catch (const std::exception& e) {
        v.error = e.what();
    }
    return v;
}

std::vector<NodeView> Cluster::views() {
    std::vector<NodeView> out;
    for (const auto& n : state_.nodes) out.push_back(view(n.id));
    return out;
}

bool converged(const std::vector<NodeView>& views, int size) {
    if (int(views.size()) != size) return false;
    for (const auto& v : views)
        if (!v.self || v.sees_up != size) return false;
    return true;
}

double Cluster::wait_converged(double timeout_s) {
    auto t0 = Clock::now();
    std::vector<NodeView> last;
    while (seconds_since(t0) < timeout_s) {
        last = views();
        if (converged(last, state_.size)) return seconds_since(t0);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::string laggards;
    for (const auto& v : last)
        if (!v.self || v.sees_up != state_.size)
            laggards += fmt::format("\n  node {}: {}", v.id,
                                    v.self ? fmt::format("sees {} of {} up", v.sees_up, state_.size) : v.error);
    throw std::runtime_error(fmt::format("the cluster did not converge within {:.0f} s (it stays up; see "
                                         "`vcluster status` and `vcluster logs N`):{}",
                                         timeout_s, laggards));
}

int Cluster::exec(int node, const std::vector<std::string>& argv) { return backend_->exec(state_, node, argv); }

void Cluster::kill_daemon(int node) {
    auto pids = backend_->daemon_pids(state_, node);
    if (pids.empty()) throw std::runtime_error(fmt::format("omxd is not running on node {}", node));
    backend_->kill_daemons(state_, node);
    auto t0 = Clock::now();
    while (!backend_->daemon_pids(state_, node).empty()) {
        if (seconds_since(t0) > 5) throw std::runtime_error(fmt::format("omxd on node {} survived SIGKILL", node));
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

void Cluster::crash(int node) {
    if (!state_.node(node)) throw std::invalid_argument(fmt::format("no node {} in this cluster", node));
    backend_->crash(state_, node);
    save_state(state_);
}

void Cluster::revive(int node) {
    if (!backend_->node_alive(state_, node))
        throw std::runtime_error(fmt::format("node {} is gone; `vcluster down` and `up` again", node));
    if (state_.node(node)->crashed) {
        backend_->uncrash(state_, node);
        save_state(state_);
    }
    if (sshd_enabled() && !sshd_answers(state_, node)) backend_->start_sshd(state_, node);   // a crash killed it
    if (!backend_->daemon_pids(state_, node).empty()) {
        std::cout << fmt::format("omxd already runs on node {}\n", node);
        return;
    }
    backend_->start_daemon(state_, node);
    auto t0 = Clock::now();
    for (;;) {
        try {
            backend_->control(state_, node, {{"cmd", "status"}}, 1000);
            return;
        } catch (const std::exception& e) {
            if (seconds_since(t0) > 10)
                throw std::runtime_error(fmt::format("omxd on node {} did not answer within 10 s: {} (see `vcluster logs {}`)",
                                                     node, e.what(), node));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

void Cluster::partition(const std::vector<int>& nodes) {
    backend_->partition(state_, nodes);
    save_state(state_);
}

void Cluster::heal() {
    backend_->heal(state_);
    save_state(state_);
}

void Cluster::slow(int node, double cores) {
    backend_->set_cpu_share(state_, node, cores);
    save_state(state_);
}

static std::string cpu_text(double cores) { return cores > 0 ? fmt::format("{:.2f}", cores) : "-"; }

std::string format_status_table(const ClusterState& state, const std::vector<NodeView>& views) {
    std::string out = fmt::format("vcluster: {} {} nodes, {}, state in {}\n", state.size, state.backend,
                                  state.autodiscovery ? "autodiscovery" : "map /etc/openmosix.map", state_dir());
    out += fmt::format("{:<5} {:<13} {:<8} {:>5} {:>5} {:>6} {:>5} {:>10} {:>5}  {}\n", "NODE", "ADDRESS", "OMXD",
                       "CPU", "LOAD", "SPEED", "CPUS", "FREE(MiB)", "UTIL", "SEES");
    for (const auto& v : views) {
        std::string omxd = !v.alive ? "gone" : v.daemon_running ? "running" : "stopped";
        std::string sees = v.self ? fmt::format("{}/{} up", v.sees_up, state.size) : v.error;
        if (v.partitioned) sees += " (partitioned)";
        if (v.self) {
            const auto& s = *v.self;
            out += fmt::format("{:<5} {:<13} {:<8} {:>5} {:>5} {:>6} {:>5} {:>10} {:>4}%  {}\n", v.id, v.address, omxd,
                               cpu_text(v.cpu_share), s.value("load", 0), s.value("speed", 0), s.value("cpus", 0),
                               s.value("mem", 0L) * 4096 / (1 << 20), s.value("util", 0), sees);
        } else {
            out += fmt::format("{:<5} {:<13} {:<8} {:>5} {:>5} {:>6} {:>5} {:>10} {:>5}  {}\n", v.id, v.address, omxd,
                               cpu_text(v.cpu_share), "-", "-", "-", "-", "-", sees);
        }
    }
    return out;
}

nlohmann::json status_json(const ClusterState& state, const std::vector<NodeView>& views) {
    nlohmann::json j = {{"backend", state.backend},
                        {"size", state.size},
                        {"autodiscovery", state.autodiscovery},
                        {"state_dir", state_dir()},
                        {"converged", converged(views, state.size)},
                        {"nodes", nlohmann::json::array()}};
    for (const auto& v : views) {
        nlohmann::json n = {{"id", v.id},
                            {"address", v.address},
                            {"alive", v.alive},
                            {"daemon_running", v.daemon_running},
                            {"cpu_share", v.cpu_share},
                            {"partitioned", v.partitioned},
                            {"sees_up", v.sees_up}};
        if (v.self) n["self"] = *v.self;
        if (!v.error.empty()) n["error"] = v.error;
        j["nodes"].push_back(n);
    }
    return j;
}

}  // namespace vcluster
