#include "migrations.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "checkpoint.h"
#include "common/fd.h"
#include "common/net.h"
#include "common/proc.h"
#include "helpers.h"

namespace fs = std::filesystem;

namespace omx {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using json = nlohmann::json;
using local = asio::local::stream_protocol;

namespace {

json fail(const std::string& why) { return {{"ok", false}, {"error", why}}; }

// Starts a helper with one end of a socketpair as fd `channel_fd` (its events, and for a
// deputy our commands) and returns its pid with our end.
std::pair<pid_t, std::unique_ptr<local::socket>> start_helper(asio::io_context& io, const std::vector<std::string>& argv,
                                                              std::vector<std::pair<int, int>> fds, int channel_fd) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        throw std::runtime_error(fmt::format("socketpair: {}", std::strerror(errno)));
    UniqueFd ours(sv[0]), theirs(sv[1]);
    fds.emplace_back(theirs.get(), channel_fd);
    pid_t pid = spawn(argv, fds);
    return {pid, std::make_unique<local::socket>(io, local(), ours.release())};
}

// The next event a helper reports (one JSON object a line); nullopt when it has gone.
awaitable<std::optional<json>> next_line(local::socket& sock, asio::streambuf& buf) {
    for (;;) {
        boost::system::error_code ec;
        co_await asio::async_read_until(sock, buf, '\n', asio::redirect_error(use_awaitable, ec));
        if (ec) co_return std::nullopt;
        std::istream in(&buf);
        std::string line;
        std::getline(in, line);
        json ev = json::parse(line, nullptr, false);
        if (!ev.is_discarded()) co_return ev;
    }
}

}  // namespace

namespace {
void send_line(local::socket& s, const json& j);
}  // namespace

struct Migrations::Deputy {
    pid_t process = 0;       // the migrated process (home PID)
    pid_t helper = 0;        // omx-deputy
    std::unique_ptr<local::socket> sock;
    std::deque<json> events;
    std::unique_ptr<asio::steady_timer> wake;
    uint16_t node = 0;       // 0 = on its way or home
};

struct Migrations::Guest {
    pid_t helper = 0;        // omx-remote
    std::unique_ptr<local::socket> sock;
    json info;               // from its "arrived" event
};

std::optional<uid_t> process_owner(pid_t pid) {
    struct stat st {};
    if (pid <= 0 || ::stat(fmt::format("/proc/{}", pid).c_str(), &st) != 0) return std::nullopt;
    return st.st_uid;
}

std::string process_cantmove(pid_t pid) {
    if (pid == 1) return "system";
    std::error_code ec;
    (void)fs::read_symlink(fmt::format("/proc/{}/exe", pid), ec);
    if (ec) return "system";   // a kernel thread, or not ours to look at
    std::string comm;
    std::ifstream(fmt::format("/proc/{}/comm", pid)) >> comm;
    if (comm.rfind("omx", 0) == 0) return "system";   // our own daemons and helpers
    try {
        return mig::cantmove_reason(pid);
    } catch (const std::exception&) {
        return "system";
    }
}

Migrations::Migrations(asio::io_context& io, MigrationContext ctx)
    : io_(io), ctx_(std::move(ctx)), acceptor_(io), sigchld_(io, SIGCHLD) {}

Migrations::~Migrations() { stop(); }

void Migrations::start() {
    asio::ip::tcp::endpoint ep(asio::ip::tcp::v4(), ctx_.migration_port);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
    spdlog::info("migration: accepting processes on TCP port {}", ctx_.migration_port);
    asio::co_spawn(io_, accept_loop(), asio::detached);
    asio::co_spawn(io_, reap_loop(), asio::detached);
}

void Migrations::stop() {
    stopping_ = true;
    boost::system::error_code ec;
    acceptor_.close(ec);
    sigchld_.cancel(ec);
}

awaitable<void> Migrations::accept_loop() {
    while (!stopping_) {
        boost::system::error_code ec;
        auto conn = co_await acceptor_.async_accept(asio::redirect_error(use_awaitable, ec));
        if (ec) {
            if (stopping_ || ec == asio::error::operation_aborted) co_return;
            continue;
        }
        std::vector<std::string> argv = {helper_path("omx-remote"), "--socket-fd", "3", "--events-fd", "4",
                                         "--key", ctx_.key_file};
        if (!ctx_.control_socket.empty()) argv.insert(argv.end(), {"--omxd-socket", ctx_.control_socket});
        if (ctx_.blocked()) argv.insert(argv.end(), {"--refuse", fmt::format("node {} is blocked", ctx_.self())});
        auto g = std::make_shared<Guest>();
        try {
            std::tie(g->helper, g->sock) = start_helper(io_, argv, {{conn.native_handle(), 3}}, 4);
        } catch (const std::exception& e) {
            spdlog::error("migration: cannot start a remote part: {}", e.what());
            continue;
        }
        guests_[g->helper] = g;
        asio::co_spawn(io_, guest_reader(g), asio::detached);
    }
}

awaitable<void> Migrations::guest_reader(std::shared_ptr<Guest> g) {
    asio::streambuf buf;
    while (auto next = co_await next_line(*g->sock, buf)) {
        const json& ev = *next;
        std::string what = ev.value("event", "");
        if (what == "arrived") {
            g->info = ev;
            spdlog::info("migration: process {} of node {} arrived (here pid {})", ev.value("home_pid", 0),
                         ev.value("home", 0), ev.value("pid", 0));
        } else {
            spdlog::info("migration: guest process {} of node {} {}", ev.value("home_pid", 0), ev.value("home", 0), what);
        }
    }
    guests_.erase(g->helper);
}

awaitable<void> Migrations::reap_loop() {
    while (!stopping_) {
        boost::system::error_code ec;
        co_await sigchld_.async_wait(asio::redirect_error(use_awaitable, ec));
        if (ec) co_return;
        reap_children();
    }
}

void Migrations::reap_children() {
    int status;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
        guests_.erase(pid);   // also when it never reported (a refused or failed arrival)
        for (auto it = deputies_.begin(); it != deputies_.end(); ++it)
            if (it->second->helper == pid) {
                if (it->second->wake) it->second->wake->cancel();
                break;
            }
    }
}

std::shared_ptr<Migrations::Deputy> Migrations::spawn_deputy(pid_t pid, uint16_t to, uint32_t address,
                                                            const std::string& fork_token) {
    if (known_.size() > 4096) forget_dead();   // the balancer moves many processes over time
    auto d = std::make_shared<Deputy>();
    d->process = pid;
    std::vector<std::string> argv = {helper_path("omx-deputy"), "--pid", std::to_string(pid), "--to", std::to_string(to),
                                     "--address", format_ipv4(address), "--port", std::to_string(ctx_.migration_port),
                                     "--home-id", std::to_string(ctx_.self()), "--key", ctx_.key_file,
                                     "--control-fd", "3", "--dead-after", std::to_string(ctx_.dead_after_ms)};
    if (!ctx_.control_socket.empty()) argv.insert(argv.end(), {"--omxd-socket", ctx_.control_socket});
    if (!fork_token.empty()) argv.insert(argv.end(), {"--fork-token", fork_token});
    std::tie(d->helper, d->sock) = start_helper(io_, argv, {}, 3);
    d->wake = std::make_unique<asio::steady_timer>(io_);
    deputies_[pid] = d;
    asio::co_spawn(io_, deputy_reader(d), asio::detached);
    return d;
}

awaitable<void> Migrations::deputy_reader(std::shared_ptr<Deputy> d) {
    asio::streambuf buf;
    while (auto next = co_await next_line(*d->sock, buf)) {
        const json& ev = *next;
        std::string what = ev.value("event", "");
        Known& k = known_[d->process];
        if (what == "arrived") {
            const uint16_t from = d->node ? d->node : ctx_.self();
            d->node = uint16_t(ev.value("node", 0));
            k.where = d->node;
            ++k.nmigs;
            k.moved_at = std::chrono::steady_clock::now();
            k.bytes = ev.value("bytes", uint64_t(0));
            if (double ms = ev.value("total_ms", 0.0); ms > 1 && k.bytes > (1u << 20))   // small images say little
                bandwidth_ = 0.7 * bandwidth_ + 0.3 * (double(k.bytes) / (ms / 1000.0));
            spdlog::info("migration: process {} now runs on node {} (frozen {:.1f} ms, {} bytes)", d->process, d->node,
                         ev.value("frozen_ms", 0.0), ev.value("bytes", 0));
            record_move({.pid = d->process, .command = k.command, .from = from, .to = d->node, .bytes = k.bytes,
                         .frozen_ms = ev.value("frozen_ms", 0.0), .total_ms = ev.value("total_ms", 0.0),
                         .outcome = "arrived"});
        } else if (what == "home") {
            d->node = 0;
            k.where = 0;
            ++k.nmigs;
            k.moved_at = std::chrono::steady_clock::now();
            spdlog::info("migration: process {} is home from node {}", d->process, ev.value("from", 0));
            record_move({.pid = d->process, .command = k.command, .from = uint16_t(ev.value("from", 0)),
                         .to = ctx_.self(), .outcome = "home"});
        } else if (what == "lost") {
            spdlog::warn("migration: node {} running process {} was lost; the process was killed", ev.value("node", 0),
                         d->process);
            record_move({.pid = d->process, .command = k.command, .from = uint16_t(ev.value("node", 0)),
                         .to = uint16_t(ev.value("node", 0)), .outcome = "lost"});
        } else if (what == "failed" || what == "error") {
            k.last_error = ev.value("error", "");
            spdlog::warn("migration: process {}: {}", d->process, k.last_error);
            record_move({.pid = d->process, .command = k.command, .from = d->node ? d->node : ctx_.self(),
                         .to = uint16_t(ev.value("node", 0)), .outcome = "failed: " + k.last_error});
        } else if (what == "exec") {
            k.command = ev.value("command", "");
            k.lastexec = d->node;
            continue;
        } else if (what == "calls") {
            k.forwarded = ev.value("forwarded", uint64_t(0));
            continue;
        } else if (what == "forked") {
            adopt_forked_child(d->process, ev);
            continue;   // not an answer to anything a control request waits for
        }
        d->events.push_back(ev);
        d->wake->cancel();
    }
    // The deputy ended: the process is home (or ended) and has no deputy until it moves again.
    if (auto it = deputies_.find(d->process); it != deputies_.end() && it->second == d) {
        deputies_.erase(it);
        if (auto k = known_.find(d->process); k != known_.end()) k->second.where = 0;
    }
    d->events.push_back(json{{"event", "gone"}});
    d->wake->cancel();
}

// A process away forked: its child runs there too and needs a deputy of its own, which
// takes over the husk the parent's deputy made for it.
void Migrations::adopt_forked_child(pid_t parent, const json& ev) {
    pid_t child = ev.value("child", 0);
    auto node = uint16_t(ev.value("node", 0));
    std::string token = ev.value("token", "");
    // Where the parent runs, as its deputy knows it: the child is born there even when the
    // node has since been blocked.
    auto address = parse_ipv4(ev.value("address", ""));
    if (child <= 0 || token.empty() || !address) {
        spdlog::warn("migration: child {} of process {} cannot follow it to node {}; killed", child, parent, node);
        if (child > 0) ::kill(child, SIGKILL);
        return;
    }
    known_[child].command = known_[parent].command;
    try {
        spawn_deputy(child, node, *address, token);
        spdlog::info("migration: process {} forked on node {}: child {}", parent, node, child);
    } catch (const std::exception& e) {
        spdlog::error("migration: cannot start the deputy of child {}: {}", child, e.what());
        ::kill(child, SIGKILL);
    }
}

void Migrations::adopt_deputy(const json& req, uid_t uid, pid_t helper, local::socket sock) {
    pid_t pid = req.value("pid", 0);
    auto node = uint16_t(req.value("node", 0));
    auto refuse = [&](const std::string& why) {
        send_line(sock, {{"ok", false}, {"error", why}});
        spdlog::warn("migration: deputy {} of process {} not taken back: {}", helper, pid, why);
    };
    if (uid != 0) return refuse("only root may report as a deputy");
    if (pid <= 0 || node == 0) return refuse("a deputy names its process and the node it runs on");
    if (auto it = deputies_.find(pid); it != deputies_.end() && it->second->helper != helper)
        return refuse(fmt::format("process {} already has a deputy", pid));
    auto d = std::make_shared<Deputy>();
    d->process = pid;
    d->helper = helper;
    d->node = node;
    d->sock = std::make_unique<local::socket>(std::move(sock));
    d->wake = std::make_unique<asio::steady_timer>(io_);
    Known& k = known_[pid];
    k.where = node;
    k.nmigs = std::max<uint32_t>(k.nmigs, req.value("nmigs", 0u));
    if (k.command.empty()) k.command = req.value("command", "");
    deputies_[pid] = d;
    send_line(*d->sock, {{"ok", true}});
    spdlog::info("migration: the deputy of process {} (on node {}) reported back", pid, node);
    asio::co_spawn(io_, deputy_reader(d), asio::detached);
}

void Migrations::adopt_guest(const json& req, uid_t uid, pid_t helper, local::socket sock) {
    std::error_code ec;
    bool ours = fs::read_symlink(fmt::format("/proc/{}/exe", helper), ec) == fs::path(helper_path("omx-remote"));
    if ((uid != 0 && !ours) || guests_.count(helper) || req.value("home_pid", 0) <= 0) {
        send_line(sock, {{"ok", false}, {"error", "not a remote part we can take back"}});
        return;
    }
    auto g = std::make_shared<Guest>();
    g->helper = helper;
    g->sock = std::make_unique<local::socket>(std::move(sock));
    g->info = req;
    g->info.erase("cmd");
    g->info["event"] = "arrived";
    guests_[helper] = g;
    send_line(*g->sock, {{"ok", true}});
    spdlog::info("migration: the remote part of process {} of node {} reported back", req.value("home_pid", 0),
                 req.value("home", 0));
    asio::co_spawn(io_, guest_reader(g), asio::detached);
}

awaitable<json> Migrations::next_event(std::shared_ptr<Deputy> d, std::chrono::milliseconds timeout) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (d->events.empty() && std::chrono::steady_clock::now() < until) {
        d->wake->expires_at(until);
        boost::system::error_code ec;
        co_await d->wake->async_wait(asio::redirect_error(use_awaitable, ec));
    }
    if (d->events.empty()) co_return json{{"event", "timeout"}};
    json ev = d->events.front();
    d->events.pop_front();
    co_return ev;
}

// openMosix's lock and cluster mask are inherited: the nearest ancestor (or the process)
// that set one decides.
template <class T>
std::optional<T> Migrations::inherited(pid_t pid, std::optional<T> Known::*field) const {
    for (int depth = 0; pid > 1 && depth < 64; ++depth) {
        if (auto it = known_.find(pid); it != known_.end() && it->second.*field) return it->second.*field;
        std::ifstream in(fmt::format("/proc/{}/stat", pid));
        std::string line;
        if (!std::getline(in, line)) return std::nullopt;
        auto close = line.rfind(')');
        if (close == std::string::npos) return std::nullopt;
        std::istringstream rest(line.substr(close + 2));
        char state;
        pid_t ppid = 0;
        rest >> state >> ppid;
        pid = ppid;
    }
    return std::nullopt;
}

bool Migrations::locked(pid_t pid) const { return inherited(pid, &Known::lock).value_or(false); }

ClusterMask Migrations::mask(pid_t pid) const { return inherited(pid, &Known::mask).value_or(ClusterMask{}); }

json MigrationRecord::to_json() const {
    return {{"seq", seq}, {"time", time}, {"pid", pid}, {"command", command}, {"from", from}, {"to", to},
            {"bytes", bytes}, {"frozen_ms", frozen_ms}, {"total_ms", total_ms}, {"outcome", outcome},
            {"session", session}};
}

namespace {

// Field 6 of /proc/PID/stat; 0 when the process is gone.
pid_t session_of(pid_t pid) {
    std::ifstream in(fmt::format("/proc/{}/stat", pid));
    std::string line;
    if (!std::getline(in, line)) return 0;
    auto close = line.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream rest(line.substr(close + 1));
    std::string state;
    pid_t ppid = 0, pgrp = 0, session = 0;
    rest >> state >> ppid >> pgrp >> session;
    return session;
}

}  // namespace

void Migrations::record_move(MigrationRecord r) {
    r.seq = next_move_seq_++;
    r.session = session_of(r.pid);
    r.time = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    move_log_.push_back(std::move(r));
    if (move_log_.size() > 1000) move_log_.pop_front();
}

json Migrations::migration_log(uint64_t since) const {
    json events = json::array();
    for (const auto& r : move_log_)
        if (r.seq > since) events.push_back(r.to_json());
    return {{"ok", true}, {"next", next_move_seq_ - 1}, {"events", events}};
}

void Migrations::forget_dead() {
    for (auto it = known_.begin(); it != known_.end();)
        it = process_owner(it->first) ? std::next(it) : known_.erase(it);
}

namespace {

void send_line(local::socket& s, const json& j) {
    std::string line = j.dump() + "\n";
    boost::system::error_code ec;
    asio::write(s, asio::buffer(line), ec);
}

json arrived_reply(const json& ev) {
    return {{"ok", true}, {"node", ev.value("node", 0)}, {"frozen_ms", ev.value("frozen_ms", 0.0)},
            {"total_ms", ev.value("total_ms", 0.0)}, {"bytes", ev.value("bytes", 0)}};
}

}  // namespace

awaitable<json> Migrations::migrate(pid_t pid, const std::string& to, uid_t uid) {
    if (moving_.count(pid)) co_return fail(fmt::format("process {} is already on its way", pid));
    moving_.insert(pid);
    json reply;
    try {
        reply = co_await migrate_now(pid, to, uid);
    } catch (...) {
        moving_.erase(pid);
        throw;
    }
    moving_.erase(pid);
    co_return reply;
}

awaitable<json> Migrations::migrate_now(pid_t pid, const std::string& to, uid_t uid) {
    auto owner = process_owner(pid);
    if (!owner) co_return fail(fmt::format("no process {} on this node", pid));
    if (uid != 0 && uid != *owner) co_return fail(fmt::format("process {} is not yours", pid));
    auto dep = deputies_.count(pid) ? deputies_.at(pid) : nullptr;
    uint16_t target = 0;
    if (to == "home") {
        target = ctx_.self();
    } else if (to == "balance") {
        ClusterMask m = mask(pid);
        auto best = ctx_.least_loaded(dep ? dep->node : ctx_.self(), [m](uint16_t id) { return m.allows(id); });
        if (!best) co_return fail("no other node is up to balance to");
        target = *best;
    } else {
        size_t used = 0;
        long id = -1;
        try {
            id = std::stol(to, &used);
        } catch (const std::exception&) {
        }
        if (id < 1 || id > 65535 || used != to.size()) co_return fail(fmt::format("bad node '{}': give a node id, home or balance", to));
        target = uint16_t(id);
    }
    if (target == ctx_.self()) {
        if (!dep || dep->node == 0) co_return json{{"ok", true}, {"node", 0}, {"note", "already home"}};
        dep->events.clear();
        send_line(*dep->sock, {{"cmd", "home"}});
        for (;;) {
            json ev = co_await next_event(dep, std::chrono::seconds(120));
            std::string what = ev.value("event", "");
            if (what == "home") co_return json{{"ok", true}, {"node", 0}};
            if (what == "ended" || what == "killed" || what == "lost" || what == "gone")
                co_return fail(fmt::format("process {} ended before it came home", pid));
            if (what == "timeout") co_return fail(fmt::format("process {} did not come home within 120 s", pid));
        }
    }
    if (dep && dep->node == target) co_return json{{"ok", true}, {"node", target}, {"note", "already there"}};
    if (locked(pid)) co_return fail(fmt::format("process {} is locked (user_lock): unlock it to move it", pid));
    if (!mask(pid).allows(target))
        co_return fail(fmt::format("process {} may not go to node {}: its cluster mask excludes it (migmask)", pid, target));
    auto address = ctx_.reachable(target);
    if (auto* why = std::get_if<std::string>(&address)) co_return fail(*why);
    uint32_t ip = std::get<uint32_t>(address);
    if (dep) {
        dep->events.clear();
        send_line(*dep->sock, {{"cmd", "goto"}, {"node", target}, {"address", format_ipv4(ip)}, {"port", ctx_.migration_port}});
        for (;;) {
            json ev = co_await next_event(dep, std::chrono::seconds(120));
            std::string what = ev.value("event", "");
            if (what == "home") continue;
            if (what == "arrived") co_return arrived_reply(ev);
            if (what == "failed") co_return fail(fmt::format("process {} stays home: {}", pid, ev.value("error", "")));
            if (what == "timeout") co_return fail(fmt::format("no answer about process {} within 120 s", pid));
            co_return fail(fmt::format("process {} ended on its way", pid));
        }
    }
    if (auto why = process_cantmove(pid); !why.empty())
        co_return fail(fmt::format("process {} cannot migrate ({})", pid, why));
    known_[pid].command = command_line(pid);
    auto d = spawn_deputy(pid, target, ip);
    json ev = co_await next_event(d, std::chrono::seconds(300));
    std::string what = ev.value("event", "");
    if (what == "arrived") co_return arrived_reply(ev);
    if (what == "failed" && ev.contains("cantmove"))
        co_return fail(fmt::format("process {} cannot migrate ({})", pid, ev.value("cantmove", "")));
    if (what == "failed" || what == "error")
        co_return fail(fmt::format("process {} stays home: {}", pid, ev.value("error", "")));
    co_return fail(fmt::format("process {} stays home: its deputy ended ({})", pid, what));
}

json Migrations::process(pid_t pid) const {
    auto owner = process_owner(pid);
    if (!owner) return fail(fmt::format("no process {} on this node", pid));
    auto it = known_.find(pid);
    Known k = it == known_.end() ? Known{} : it->second;
    auto dep = deputies_.find(pid);
    uint16_t where = dep != deputies_.end() ? dep->second->node : 0;
    json j = {{"ok", true}, {"pid", pid}, {"where", where}, {"nmigs", k.nmigs}, {"lock", locked(pid) ? 1 : 0},
              {"selected", inherited(pid, &Known::selected).value_or(0)}, {"forwarded", k.forwarded},
              {"cantmove", where ? std::string() : process_cantmove(pid)}};
    j.update(mask(pid).to_json());
    return j;
}

json Migrations::set_mask(pid_t pid, const ClusterMask& m, uid_t uid) {
    auto owner = process_owner(pid);
    if (!owner) return fail(fmt::format("no process {} on this node", pid));
    if (uid != 0 && uid != *owner) return fail(fmt::format("process {} is not yours", pid));
    if (known_.size() > 4096) forget_dead();
    known_[pid].mask = m;
    // A process already away on a node its new mask excludes comes home.
    if (auto d = deputies_.find(pid); d != deputies_.end() && d->second->node && !m.allows(d->second->node)) {
        spdlog::info("migration: process {} comes home: its new cluster mask excludes node {}", pid, d->second->node);
        send_line(*d->second->sock, {{"cmd", "home"}});
    }
    return process(pid);
}

json Migrations::places(pid_t pid) const {
    const uint16_t self = ctx_.self();
    json j = {{"ok", true}, {"pid", pid}, {"here", self}, {"home", self}, {"lastexec", self}};
    for (const auto& [helper, g] : guests_)
        if (!g->info.is_null() && g->info.value("pid", 0) == pid) {   // running here for another node
            j["home"] = g->info.value("home", 0);
            return j;
        }
    if (auto d = deputies_.find(pid); d != deputies_.end() && d->second->node) j["here"] = d->second->node;
    if (auto k = known_.find(pid); k != known_.end() && k->second.lastexec) j["lastexec"] = k->second.lastexec;
    j["selected"] = inherited(pid, &Known::selected).value_or(0);
    return j;
}

json Migrations::set_selected(pid_t pid, uint16_t node, uid_t uid) {
    auto owner = process_owner(pid);
    if (!owner) return fail(fmt::format("no process {} on this node", pid));
    if (uid != 0 && uid != *owner) return fail(fmt::format("process {} is not yours", pid));
    if (known_.size() > 4096) forget_dead();
    known_[pid].selected = node;
    return places(pid);
}

std::vector<AwayProcess> Migrations::away() const {
    std::vector<AwayProcess> out;
    for (const auto& [pid, d] : deputies_)
        if (d->node) {
            auto k = known_.find(pid);
            out.push_back({pid, d->node, since_move_seconds(pid), k == known_.end() ? 0 : k->second.bytes});
        }
    return out;
}

double Migrations::since_move_seconds(pid_t pid) const {
    auto it = known_.find(pid);
    if (it == known_.end() || it->second.moved_at.time_since_epoch().count() == 0) return 1e9;
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - it->second.moved_at).count();
}

std::set<pid_t> Migrations::guest_pids() const {
    std::set<pid_t> out;
    for (const auto& [helper, g] : guests_) {
        out.insert(helper);
        if (!g->info.is_null()) out.insert(pid_t(g->info.value("pid", 0)));
    }
    return out;
}

bool ClusterMask::allows(uint16_t node) const {
    if (!filter) return true;
    bool listed = std::find(nodes.begin(), nodes.end(), node) != nodes.end();
    return policy == Allow ? listed : !listed;
}

uint64_t ClusterMask::bits() const {
    uint64_t b = 0;
    for (uint16_t id : nodes)
        if (id >= 1 && id <= 64) b |= uint64_t(1) << (id - 1);
    return b;
}

json ClusterMask::to_json() const {
    return {{"migfilter", filter ? 1 : 0}, {"mignodes", bits()}, {"migpolicy", int(policy)},
            {"mask_nodes", nodes}};
}

ClusterMask ClusterMask::from_json(const json& j) {
    ClusterMask m;
    auto number = [&](const char* key, long long lo, long long hi) -> std::optional<long long> {
        if (!j.contains(key)) return std::nullopt;
        const json& v = j.at(key);
        if (!v.is_number_integer() || v.get<long long>() < lo || v.get<long long>() > hi)
            throw std::invalid_argument(fmt::format("bad \"{}\": {} ({}..{})", key, v.dump(), lo, hi));
        return v.get<long long>();
    };
    m.filter = number("filter", 0, 1).value_or(1) == 1;
    if (j.contains("policy") && j.at("policy").is_string()) {
        std::string p = j.at("policy").get<std::string>();
        if (p == "allow") m.policy = Allow;
        else if (p == "deny") m.policy = Deny;
        else throw std::invalid_argument("bad \"policy\": " + p + " (allow or deny)");
    } else {
        m.policy = Policy(number("policy", 0, 1).value_or(0));
    }
    if (j.contains("nodes")) {
        const json& n = j.at("nodes");
        if (n.is_array()) {
            for (const auto& v : n) {
                if (!v.is_number_integer() || v.get<long long>() < 1 || v.get<long long>() > 65535)
                    throw std::invalid_argument("bad node id " + v.dump() + " in \"nodes\" (1..65535)");
                m.nodes.push_back(uint16_t(v.get<long long>()));
            }
        } else if (n.is_number_unsigned() || n.is_number_integer()) {   // openMosix mignodes bits
            uint64_t bits = n.get<uint64_t>();
            for (int i = 0; i < 64; ++i)
                if (bits & (uint64_t(1) << i)) m.nodes.push_back(uint16_t(i + 1));
        } else {
            throw std::invalid_argument("\"nodes\" is a list of node ids or a mignodes bit mask");
        }
    }
    std::sort(m.nodes.begin(), m.nodes.end());
    m.nodes.erase(std::unique(m.nodes.begin(), m.nodes.end()), m.nodes.end());
    return m;
}

json Migrations::set_lock(pid_t pid, bool lock, uid_t uid) {
    auto owner = process_owner(pid);
    if (!owner) return fail(fmt::format("no process {} on this node", pid));
    if (uid != 0 && uid != *owner) return fail(fmt::format("process {} is not yours", pid));
    if (known_.size() > 4096) forget_dead();
    known_[pid].lock = lock;
    return process(pid);
}

json Migrations::processes() const {
    json away = json::array(), guests = json::array();
    for (const auto& [pid, d] : deputies_)
        if (d->node) {
            auto k = known_.find(pid);
            away.push_back({{"pid", pid}, {"node", d->node}, {"command", k == known_.end() ? "" : k->second.command}});
        }
    for (const auto& [helper, g] : guests_)
        if (!g->info.is_null()) guests.push_back(g->info);
    return {{"ok", true}, {"away", away}, {"guests", guests}};
}

awaitable<void> Migrations::wait_until(std::function<bool()> done, std::chrono::milliseconds timeout) {
    asio::steady_timer t(io_);
    auto until = std::chrono::steady_clock::now() + timeout;
    while (!done() && std::chrono::steady_clock::now() < until) {
        t.expires_after(std::chrono::milliseconds(50));
        boost::system::error_code ec;
        co_await t.async_wait(asio::redirect_error(use_awaitable, ec));
    }
}

awaitable<json> Migrations::expel() {
    size_t n = 0;
    for (const auto& [helper, g] : guests_)
        if (!g->info.is_null()) {
            ::kill(helper, SIGTERM);   // the remote part asks the process's home to take it back
            ++n;
        }
    co_await wait_until([this] { return guests_.empty(); }, std::chrono::seconds(120));
    if (!guests_.empty()) co_return fail(fmt::format("{} guest process(es) did not leave within 120 s", guests_.size()));
    co_return json{{"ok", true}, {"moved", n}};
}

awaitable<json> Migrations::bring() {
    size_t n = 0;
    for (const auto& [pid, d] : deputies_)
        if (d->node) {
            send_line(*d->sock, {{"cmd", "home"}});
            ++n;
        }
    co_await wait_until([this] {
        for (const auto& [pid, d] : deputies_)
            if (d->node) return false;
        return true;
    }, std::chrono::seconds(120));
    size_t still_away = 0;
    for (const auto& [pid, d] : deputies_)
        if (d->node) ++still_away;
    if (still_away) co_return fail(fmt::format("{} process(es) did not come home within 120 s", still_away));
    co_return json{{"ok", true}, {"moved", n}};
}

}  // namespace omx
