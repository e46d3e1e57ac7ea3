#include "agent/agent.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/control.h"

extern char** environ;

namespace omx::harness {
namespace asio = boost::asio;
namespace fs = std::filesystem;
using asio::awaitable;
using asio::use_awaitable;
using nlohmann::json;

struct Agent::Run {
    std::string id;
    std::string name;
    pid_t pid = 0;
    uint64_t session = 0;
    std::weak_ptr<JsonLink> link;
    std::string log_path;
    std::chrono::steady_clock::time_point started;
    std::unique_ptr<asio::steady_timer> deadline;
    bool timed_out = false;
};

struct Agent::Session {
    uint64_t id = 0;
    std::shared_ptr<JsonLink> link;
    uint64_t migration_cursor = 0;
    bool cursor_set = false;
};

namespace {

double pages_to_mib(double pages) { return pages * 4096 / (1 << 20); }

double unix_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// MiB of memory in use and in all, from /proc/meminfo (used when omxd does not answer).
std::pair<double, double> meminfo_mb() {
    std::ifstream in("/proc/meminfo");
    std::string key;
    double value = 0, total = 0, available = 0;
    std::string unit;
    while (in >> key >> value) {
        std::getline(in, unit);
        if (key == "MemTotal:") total = value / 1024;
        if (key == "MemAvailable:") available = value / 1024;
    }
    return {total - available, total};
}

double loadavg_load() {
    std::ifstream in("/proc/loadavg");
    double one = 0;
    in >> one;
    return one * 100;
}

std::string hostname() {
    char buf[256] = {};
    ::gethostname(buf, sizeof buf - 1);
    return buf;
}

// The argv of a test as it will be exec'd: through mosrun unless asked otherwise.
std::vector<std::string> test_argv(const json& req, const std::string& bin_dir) {
    if (!req.contains("argv") || !req["argv"].is_array() || req["argv"].empty())
        throw std::invalid_argument("run needs a non-empty \"argv\" array");
    std::vector<std::string> argv;
    if (req.contains("mosrun") && req["mosrun"].is_array()) {
        argv.push_back(bin_dir.empty() ? "mosrun" : bin_dir + "/mosrun");
        for (const auto& o : req["mosrun"]) argv.push_back(o.get<std::string>());
    }
    for (const auto& a : req["argv"]) argv.push_back(a.get<std::string>());
    return argv;
}

// posix_spawn with its attribute and file-action objects owned.
pid_t spawn_in_own_session(const std::vector<std::string>& argv, const std::string& log_path,
                           const std::vector<std::string>& extra_env) {
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    struct Cleanup {
        posix_spawn_file_actions_t* fa;
        posix_spawnattr_t* attr;
        ~Cleanup() {
            posix_spawn_file_actions_destroy(fa);
            posix_spawnattr_destroy(attr);
        }
    } cleanup{&fa, &attr};
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    // A session of its own: the whole tree can be killed at a timeout, and the agent's
    // terminal signals never reach it. Signals the agent ignores are not inherited ignored.
    sigset_t all;
    sigfillset(&all);
    posix_spawnattr_setsigdefault(&attr, &all);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<std::string> env_store(extra_env);
    for (char** e = environ; *e; ++e) env_store.emplace_back(*e);
    std::vector<char*> env;
    for (auto& e : env_store) env.push_back(e.data());
    env.push_back(nullptr);
    pid_t pid = 0;
    if (int rc = posix_spawnp(&pid, args[0], &fa, &attr, args.data(), env.data()); rc != 0)
        throw std::runtime_error(fmt::format("cannot start {}: {}", argv[0], std::strerror(rc)));
    return pid;
}

}  // namespace

std::map<pid_t, pid_t> parent_map() {
    std::map<pid_t, pid_t> parents;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream in(entry.path() / "stat");
        std::string line;
        if (!std::getline(in, line)) continue;
        auto close = line.rfind(')');
        if (close == std::string::npos) continue;
        std::istringstream rest(line.substr(close + 1));
        std::string state;
        pid_t ppid = 0;
        if (rest >> state >> ppid) parents[pid_t(std::stol(name))] = ppid;
    }
    return parents;
}

std::map<pid_t, pid_t> descendants(const std::map<pid_t, pid_t>& parents, const std::set<pid_t>& roots) {
    std::map<pid_t, pid_t> root_of;
    for (const auto& [pid, ppid] : parents) {
        // Walk up until a root or the top; the chain is short (a test's tree).
        pid_t p = pid;
        for (int depth = 0; depth < 64 && p > 1; ++depth) {
            if (roots.count(p)) {
                root_of[pid] = p;
                break;
            }
            auto it = parents.find(p);
            if (it == parents.end()) break;
            p = it->second;
        }
    }
    return root_of;
}

std::string file_tail(const std::string& path, size_t max) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) return "";
    auto size = size_t(in.tellg());
    size_t from = size > max ? size - max : 0;
    in.seekg(std::streamoff(from));
    std::string text(size - from, '\0');
    in.read(text.data(), std::streamsize(text.size()));
    if (from > 0) {
        auto nl = text.find('\n');
        text = "[... earlier output cut ...]\n" + (nl == std::string::npos ? text : text.substr(nl + 1));
    }
    return text;
}

Agent::Agent(asio::io_context& io, AgentOptions opt)
    : io_(io), opt_(std::move(opt)), key_(ClusterKey::load(opt_.key_file)), acceptor_(io), sigchld_(io, SIGCHLD) {
    if (opt_.control_socket.empty()) opt_.control_socket = control::socket_path();
}

json Agent::omxd(const json& request) const { return control::call(request, opt_.control_socket, 2000); }

json Agent::self_node() const {
    const json reply = omxd({{"cmd", "nodes"}});   // kept: a range-for over a temporary's member dangles
    for (const auto& n : reply["nodes"])
        if (n.value("self", false)) return n;
    return json::object();
}

Agent::~Agent() {
    for (auto& [pid, run] : runs_) ::kill(-pid, SIGKILL);
}

void Agent::start() {
    fs::create_directories(opt_.work_dir);
    if (!opt_.bin_dir.empty()) {
        const char* path = std::getenv("PATH");
        ::setenv("PATH", (opt_.bin_dir + ":" + (path ? path : "/usr/bin:/bin")).c_str(), 1);
    }
    asio::ip::tcp::endpoint ep(asio::ip::make_address(opt_.listen), opt_.port);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    boost::system::error_code ec;
    acceptor_.bind(ep, ec);
    if (ec) throw std::runtime_error(fmt::format("cannot listen on {}:{}: {}", opt_.listen, opt_.port, ec.message()));
    acceptor_.listen();
    asio::co_spawn(io_, accept_loop(), asio::detached);
    asio::co_spawn(io_, reap_loop(), asio::detached);
    spdlog::info("omx-agent listening on {}:{}", opt_.listen, port());
}

uint16_t Agent::port() const { return acceptor_.local_endpoint().port(); }

void Agent::stop() {
    boost::system::error_code ec;
    acceptor_.close(ec);
    sigchld_.cancel(ec);
}

awaitable<void> Agent::accept_loop() {
    while (acceptor_.is_open()) {
        boost::system::error_code ec;
        auto sock = co_await acceptor_.async_accept(asio::redirect_error(use_awaitable, ec));
        if (ec) {
            if (ec == asio::error::operation_aborted) co_return;
            continue;
        }
        asio::co_spawn(io_, serve(std::make_shared<JsonLink>(std::move(sock))), asio::detached);
    }
}

awaitable<void> Agent::serve(std::shared_ptr<JsonLink> link) {
    Session s{next_session_++, link};
    try {
        co_await accept_controller(*link, key_, info());
    } catch (const std::exception& e) {
        spdlog::warn("{}", e.what());
        link->close();
        co_return;
    }
    spdlog::info("controller {} connected", link->peer());
    while (auto req = co_await link->read()) {
        json reply;
        try {
            reply = handle(s, *req);
        } catch (const std::exception& e) {
            reply = {{"ok", false}, {"error", e.what()}};
        }
        if (req->contains("rid")) reply["rid"] = (*req)["rid"];
        link->send(reply);
    }
    // Nobody is left to report to: the tests of this controller end with it.
    spdlog::info("controller {} went away", link->peer());
    kill_session_runs(s);
}

json Agent::handle(Session& s, const json& req) {
    const std::string op = req.value("op", "");
    if (op == "ping") return {{"ok", true}, {"now", unix_now()}};
    if (op == "sample") return sample(s);
    if (op == "run") return start_run(s, req);
    if (op == "kill") return kill_run(req.value("id", ""));
    if (op == "info") return info();
    return {{"ok", false}, {"error", "unknown op '" + op + "' (ping, info, sample, run, kill)"}};
}

json Agent::info() const {
    json j = {{"host", hostname()}, {"node", 0}, {"cpus", int(::sysconf(_SC_NPROCESSORS_ONLN))}, {"speed", 0},
              {"mem_total_mb", meminfo_mb().second}, {"version", 1}, {"omxd", false}};
    try {
        if (json n = self_node(); !n.empty()) {
            j["node"] = n.value("id", 0);
            j["cpus"] = n.value("cpus", 1);
            j["speed"] = n.value("speed", 0);
            j["mem_total_mb"] = pages_to_mib(n.value("tmem", 0.0));
        }
        j["omxd"] = true;
    } catch (const std::exception& e) {
        j["omxd_error"] = e.what();
    }
    return j;
}

json Agent::start_run(Session& s, const json& req) {
    const std::string id = req.value("id", "");
    if (id.empty() || id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != std::string::npos)
        throw std::invalid_argument("run needs an \"id\" of letters, digits, '-', '_' or '.'");
    for (const auto& [pid, r] : runs_)
        if (r->id == id) throw std::invalid_argument("a test with id " + id + " is already running");
    auto argv = test_argv(req, opt_.bin_dir);
    auto run = std::make_shared<Run>();
    run->id = id;
    run->name = req.value("name", id);
    run->session = s.id;
    run->link = s.link;
    run->log_path = fmt::format("{}/{}.log", opt_.work_dir, id);
    run->started = std::chrono::steady_clock::now();
    run->pid = spawn_in_own_session(argv, run->log_path, {"OMX_TEST=" + run->name});
    runs_[run->pid] = run;
    pid_test_[run->pid] = id;
    if (session_test_.size() > 100000) session_test_.clear();
    session_test_[run->pid] = id;
    if (double timeout = req.value("timeout", 0.0); timeout > 0) {
        run->deadline = std::make_unique<asio::steady_timer>(io_, std::chrono::milliseconds(long(timeout * 1000)));
        run->deadline->async_wait([this, pid = run->pid, weak = std::weak_ptr<Run>(run)](boost::system::error_code ec) {
            auto r = weak.lock();
            if (ec || !r) return;
            r->timed_out = true;
            ::kill(-pid, SIGKILL);
        });
    }
    spdlog::info("test {} started as process {}: {}", id, run->pid, fmt::join(argv, " "));
    return {{"ok", true}, {"pid", run->pid}, {"id", id}};
}

json Agent::kill_run(const std::string& id) {
    for (const auto& [pid, r] : runs_)
        if (r->id == id) {
            ::kill(-pid, SIGKILL);
            return {{"ok", true}};
        }
    return {{"ok", false}, {"error", "no running test " + id}};
}

void Agent::kill_session_runs(const Session& s) {
    for (const auto& [pid, r] : runs_)
        if (r->session == s.id) ::kill(-pid, SIGKILL);
}

json Agent::sample(Session& s) {
    json out = {{"ok", true}, {"now", unix_now()}, {"omxd", false}};
    std::set<pid_t> away;
    int guests = 0;
    json migrations = json::array();
    try {
        if (json n = self_node(); !n.empty()) {
            const double total = pages_to_mib(n.value("tmem", 0.0));
            out["load"] = n.value("load", 0.0);
            out["mem_total_mb"] = total;
            out["mem_used_mb"] = total - pages_to_mib(n.value("mem", 0.0));
            out["node"] = n.value("id", 0);
        }
        json procs = omxd({{"cmd", "processes"}});
        for (const auto& a : procs["away"]) away.insert(a.value("pid", 0));
        guests = int(procs["guests"].size());
        // The first sample only sets the cursor: older moves belong to no run of ours.
        json log = omxd({{"cmd", "migrations"}, {"since", s.migration_cursor}});
        if (s.cursor_set) migrations = log["events"];
        s.migration_cursor = log.value("next", uint64_t(0));
        s.cursor_set = true;
        out["omxd"] = true;
    } catch (const std::exception& e) {
        auto [used, total] = meminfo_mb();
        out["load"] = loadavg_load();
        out["mem_used_mb"] = used;
        out["mem_total_mb"] = total;
        out["omxd_error"] = e.what();
    }
    std::set<pid_t> roots;
    for (const auto& [pid, r] : runs_) roots.insert(pid);
    int here = 0;
    for (const auto& [pid, root] : descendants(parent_map(), roots)) {
        pid_test_[pid] = runs_.at(root)->id;
        if (!away.count(pid)) ++here;
    }
    // A process may have moved and ended between two samples: its session (omxd records it)
    // still says whose it was.
    for (auto& m : migrations) {
        if (auto t = pid_test_.find(m.value("pid", 0)); t != pid_test_.end()) m["test"] = t->second;
        else if (auto st = session_test_.find(m.value("session", 0)); st != session_test_.end()) m["test"] = st->second;
    }
    out["processes"] = here + guests;
    out["guests"] = guests;
    out["running"] = int(runs_.size());
    out["migrations"] = migrations;
    return out;
}

awaitable<void> Agent::reap_loop() {
    while (true) {
        boost::system::error_code ec;
        co_await sigchld_.async_wait(asio::redirect_error(use_awaitable, ec));
        if (ec) co_return;
        reap();
    }
}

void Agent::reap() {
    int status = 0;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) finish(pid, status);
}

void Agent::finish(pid_t pid, int wait_status) {
    auto it = runs_.find(pid);
    if (it == runs_.end()) return;
    auto run = it->second;
    runs_.erase(it);
    // Whatever it left behind in its session goes with it.
    ::kill(-pid, SIGKILL);
    if (run->deadline) run->deadline->cancel();
    const double duration = std::chrono::duration<double>(std::chrono::steady_clock::now() - run->started).count();
    int retval = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
    json ev = {{"event", "exit"}, {"id", run->id}, {"pid", pid}, {"retval", retval},
               {"signal", WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : 0}, {"duration", duration},
               {"timed_out", run->timed_out}, {"log", file_tail(run->log_path, 64 * 1024)}};
    std::error_code ec;
    fs::remove(run->log_path, ec);
    for (auto p = pid_test_.begin(); p != pid_test_.end();)
        p = p->second == run->id ? pid_test_.erase(p) : std::next(p);
    spdlog::info("test {} (process {}) ended: {}{}", run->id, pid, retval, run->timed_out ? " (timed out)" : "");
    if (auto link = run->link.lock()) link->send(ev);
}

}  // namespace omx::harness
