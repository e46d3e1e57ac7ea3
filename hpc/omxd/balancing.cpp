// The balancing loop (docs/balancing.md): every second or so, what this node knows of the
// cluster and of its own processes goes to plan_round (balancer.h), and its moves are
// carried out through the same path as `migrate`.
#include <spdlog/spdlog.h>

#include "daemon.h"

namespace omx {

using asio::awaitable;
using asio::use_awaitable;

namespace {

constexpr double kPendingSeconds = 3.0;      // until gossip shows what a move did
constexpr double kSustainSeconds = 3.0;      // a source node's load counts when it lasts this long
constexpr double kRefusedSeconds = 60.0;     // a process that could not move is left alone this long

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

bool ours(const std::string& comm) { return comm.rfind("omx", 0) == 0; }

}  // namespace

awaitable<void> Daemon::balance_loop() {
    std::uniform_int_distribution<int> jitter(800, 1200);   // nodes do not balance in lockstep
    while (!stopping_) {
        balance_timer_.expires_after(std::chrono::milliseconds(jitter(balance_rng_)));
        boost::system::error_code ec;
        co_await balance_timer_.async_wait(asio::redirect_error(use_awaitable, ec));
        if (stopping_) co_return;
        try {
            balance_once();
        } catch (const std::exception& e) {
            spdlog::warn("balancer: {}", e.what());
        }
    }
}

std::vector<BalanceNode> Daemon::balance_nodes() {
    std::vector<BalanceNode> out;
    const auto& res = meter_.resources();
    for (const auto& [id, r] : table_.nodes()) {
        BalanceNode n;
        n.id = id;
        if (id == table_.self()) {
            n.speed = current_speed();
            n.cpus = res.cpus;
            n.runq = self_demand_;
            n.keeps = admin_.stay || admin_.lstay;
            n.free_bytes = res.mem_pages * 4096;
            n.total_bytes = res.tmem_pages * 4096;
        } else {
            if (!r.up || !r.latest) continue;
            const LoadEntry& e = *r.latest;
            n.speed = std::max<double>(1, e.speed);
            n.cpus = std::max<double>(1, e.cpus);
            n.runq = double(e.load) * n.speed * n.cpus / 10000.0;
            n.accepts = !(e.status & (kStatusBlock | kStatusQuiet));
            n.keeps = e.status & kStatusStay;
            n.free_bytes = e.mem * 4096;
            n.total_bytes = e.tmem * 4096;
        }
        // What it sustained over the last rounds (recorded before this round's pending moves).
        auto& history = runq_history_[id];
        history.emplace_back(Clock::now(), n.runq);
        while (!history.empty() && seconds_since(history.front().first) > kSustainSeconds) history.pop_front();
        n.sustained_runq = n.runq;
        double sum = 0;
        for (const auto& [at, q] : history) n.sustained_runq = std::min(n.sustained_runq, q), sum += q;
        // As a target, a node counts with its load averaged over the same seconds: the load
        // it gossips jumps at every short command started there (a monitoring probe, a
        // shell) and falls slowly, which alone would keep work off it for seconds.
        if (id != table_.self()) n.runq = std::min(n.runq, sum / double(history.size()));
        // A recent move of ours that the node's gossip does not show yet.
        if (auto p = pending_.find(id); p != pending_.end() && seconds_since(p->second.at) < kPendingSeconds) {
            n.runq = std::max(n.runq, p->second.runq);
            n.free_bytes = std::min(n.free_bytes, p->second.free_bytes);
        }
        out.push_back(n);
    }
    return out;
}

std::vector<uint16_t> Daemon::mask_targets(const ClusterMask& mask) const {
    std::vector<uint16_t> out;
    if (!mask.filter) return out;
    for (const auto& [id, r] : table_.nodes())
        if (mask.allows(id)) out.push_back(id);
    if (out.empty()) out.push_back(table_.self());   // nowhere but home (empty means anywhere)
    return out;
}

std::vector<BalanceProcess> Daemon::balance_processes(const BalanceTuning& tuning, bool memory_short) {
    std::vector<BalanceProcess> out;
    const uint16_t self = table_.self();
    auto guests = migrations_->guest_pids();
    for (const auto& [pid, u] : sampler_.processes()) {
        if (ours(u.comm) || guests.count(pid) || guests.count(u.ppid) || migrations_->has_deputy(pid)) continue;
        if (auto r = refused_.find(pid); r != refused_.end() && seconds_since(r->second) < kRefusedSeconds) continue;
        bool busy_enough = u.demand >= tuning.min_demand && u.busy_seconds >= tuning.min_cpu_seconds;
        if (!busy_enough && !memory_short) continue;   // the checks below read /proc: only for candidates
        if (migrations_->busy(pid) || migrations_->locked(pid)) continue;
        BalanceProcess p;
        p.pid = pid;
        p.on = self;
        p.demand = u.demand;
        p.cpu_seconds = u.busy_seconds;
        p.age_seconds = u.age_seconds;
        p.since_move_seconds = migrations_->since_move_seconds(pid);
        p.bytes = u.rss_bytes;
        p.allowed = mask_targets(migrations_->mask(pid));
        p.cpu_moves = !u.hints.iojob;
        out.push_back(std::move(p));
    }
    // Our processes away count as CPU-bound (we cannot watch them there); they move when
    // the node they are on is clearly slower for them than another.
    for (const auto& a : migrations_->away()) {
        if (migrations_->busy(a.pid)) continue;
        BalanceProcess p;
        p.pid = a.pid;
        p.on = a.node;
        p.demand = 1;
        p.cpu_seconds = p.age_seconds = 1e6;
        p.since_move_seconds = a.since_move_seconds;
        p.bytes = a.bytes;
        p.allowed = mask_targets(migrations_->mask(a.pid));
        out.push_back(std::move(p));
    }
    return out;
}

void Daemon::balance_once() {
    if (mode_ == Mode::Off || admin_.quiet || !migrations_) return;
    DecayTuning decay{double(admin_.decay_interval), double(admin_.slow_decay), double(admin_.fast_decay)};
    sampler_.update(sampler_.read_proc(::getpid()),
                    std::chrono::duration<double>(Clock::now().time_since_epoch()).count(), decay);
    // This node's run queue as the decision sees it: what its processes ask of the CPU now
    // (guests and our helpers included; husks, whose process runs elsewhere, not). The
    // decayed count of runnable tasks lags by seconds and counts every short-lived command.
    self_demand_ = 0;
    for (const auto& [pid, u] : sampler_.processes())
        if (!migrations_->has_deputy(pid)) self_demand_ += u.demand;
    for (auto it = refused_.begin(); it != refused_.end();)
        it = seconds_since(it->second) > kRefusedSeconds ? refused_.erase(it) : std::next(it);

    BalanceTuning tuning = balance_tuning_;
    tuning.bandwidth = migrations_->bandwidth();
    auto nodes = balance_nodes();
    if (nodes.size() < 2) return;
    bool memory_short = false;
    for (const auto& n : nodes)
        if (n.id == table_.self() && n.total_bytes && double(n.free_bytes) < tuning.min_free_share * double(n.total_bytes))
            memory_short = true;
    auto procs = balance_processes(tuning, memory_short);
    remember_view(nodes, procs);
    if (procs.empty()) return;
    auto moves = plan_round(table_.self(), nodes, procs, tuning, balance_rng_, nodes.size() - 1);
    for (const auto& m : moves) {
        const BalanceProcess& p = *std::find_if(procs.begin(), procs.end(), [&](const auto& x) { return x.pid == m.pid; });
        auto target = std::find_if(nodes.begin(), nodes.end(), [&](const auto& n) { return n.id == m.to; });
        pending_[m.to] = {Clock::now(), target->runq + p.demand,
                          target->free_bytes > p.bytes ? target->free_bytes - p.bytes : 0};
        if (m.usher)
            spdlog::info("balancer: node {} is short of memory: process {} ({} MiB) goes from node {} to node {}",
                         m.from, m.pid, p.bytes >> 20, m.from, m.to);
        else
            spdlog::info("balancer: process {} (demand {:.2f}) goes from node {} to node {}: {:.2f} times faster there",
                         m.pid, p.demand, m.from, m.to, m.gain);
        asio::co_spawn(io_, carry_out(m.pid, m.to), asio::detached);
    }
}

// The last round's view, for {"cmd":"balancer"}: what the decision saw.
void Daemon::remember_view(const std::vector<BalanceNode>& nodes, const std::vector<BalanceProcess>& procs) {
    nlohmann::json jn = nlohmann::json::array(), jp = nlohmann::json::array();
    for (const auto& n : nodes)
        jn.push_back({{"id", n.id}, {"speed", n.speed}, {"cpus", n.cpus}, {"runq", n.runq},
                      {"sustained_runq", n.sustained_runq}, {"accepts", n.accepts}, {"keeps", n.keeps},
                      {"free_bytes", n.free_bytes}, {"total_bytes", n.total_bytes}});
    for (const auto& p : procs)
        jp.push_back({{"pid", p.pid}, {"on", p.on}, {"demand", p.demand}, {"busy_seconds", p.cpu_seconds},
                      {"since_move_seconds", std::min(p.since_move_seconds, 1e6)}, {"bytes", p.bytes},
                      {"allowed", p.allowed}, {"cpu_moves", p.cpu_moves}});
    last_view_ = {{"nodes", jn}, {"candidates", jp}};
}

awaitable<void> Daemon::carry_out(pid_t pid, uint16_t to) {
    std::string where = to == table_.self() ? "home" : std::to_string(to);
    auto reply = co_await migrations_->migrate(pid, where, 0);
    if (reply.value("ok", false)) {
        ++balancer_moves_;
        co_return;
    }
    refused_[pid] = Clock::now();
    spdlog::info("balancer: process {} stays: {}", pid, reply.value("error", std::string("?")));
}

}  // namespace omx
