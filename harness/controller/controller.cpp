#include "controller/controller.h"

#include <fmt/format.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <ctime>

namespace omx::harness {
namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using nlohmann::json;

// A waiter woken by whoever has its answer: a reply, an exit event, a lost node.
struct Waiter {
    explicit Waiter(asio::io_context& io) : timer(io, asio::steady_timer::time_point::max()) {}
    asio::steady_timer timer;
    std::optional<json> value;
    void deliver(json j) {
        value = std::move(j);
        timer.cancel();
    }
};

struct Controller::Node {
    NodeInfo info;
    AgentAddress where;
    std::shared_ptr<JsonLink> link;
    int64_t next_rid = 1;
    std::map<int64_t, std::shared_ptr<Waiter>> replies;
    std::map<std::string, std::shared_ptr<Waiter>> exits;   // by test id
    std::chrono::steady_clock::time_point last_answer;
    bool sampling = false;
};

Controller::Controller(asio::io_context& io, ControllerOptions opt)
    : io_(io), opt_(std::move(opt)), key_(ClusterKey::load(opt_.key_file)) {
    if (!opt_.say) opt_.say = [](const std::string&) {};
}

Controller::~Controller() {
    for (auto& n : nodes_)
        if (n->link) n->link->close();
}

double Controller::now() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count(); }

awaitable<void> Controller::sleep(double seconds) {
    asio::steady_timer t(io_, std::chrono::milliseconds(long(seconds * 1000)));
    boost::system::error_code ec;
    co_await t.async_wait(asio::redirect_error(use_awaitable, ec));
}

awaitable<void> Controller::connect(Node& n) {
    asio::ip::tcp::resolver resolver(io_);
    boost::system::error_code ec;
    auto endpoints = co_await resolver.async_resolve(n.where.host, std::to_string(n.where.port),
                                                     asio::redirect_error(use_awaitable, ec));
    if (ec) throw std::runtime_error(fmt::format("agent {}: cannot resolve {}: {}", n.where.host, n.where.host, ec.message()));
    asio::ip::tcp::socket sock(io_);
    asio::steady_timer deadline(io_, std::chrono::seconds(10));
    deadline.async_wait([&](boost::system::error_code e) {
        if (!e) sock.close();
    });
    co_await asio::async_connect(sock, endpoints, asio::redirect_error(use_awaitable, ec));
    if (ec)
        throw std::runtime_error(fmt::format("cannot reach the agent at {}:{}: {} (is omx-agent running there?)",
                                             n.where.host, n.where.port, ec.message()));
    n.link = std::make_shared<JsonLink>(std::move(sock));
    json info = co_await greet_agent(*n.link, key_);
    deadline.cancel();
    n.info.host = info.value("host", n.where.host);
    n.info.address = fmt::format("{}:{}", n.where.host, n.where.port);
    n.info.id = uint16_t(info.value("node", 0));
    n.info.cpus = info.value("cpus", 1);
    n.info.speed = info.value("speed", 0.0);
    n.info.mem_total_mb = info.value("mem_total_mb", 0.0);
    n.last_answer = std::chrono::steady_clock::now();
}

awaitable<void> Controller::read_loop(std::shared_ptr<Node> n) {
    auto link = n->link;
    while (auto msg = co_await link->read()) {
        n->last_answer = std::chrono::steady_clock::now();
        if (msg->value("event", "") == "exit") {
            if (auto w = n->exits.find(msg->value("id", "")); w != n->exits.end()) w->second->deliver(*msg);
        } else if (msg->contains("rid")) {
            if (auto w = n->replies.find((*msg)["rid"].get<int64_t>()); w != n->replies.end()) w->second->deliver(*msg);
        }
    }
    if (!n->info.lost && sampling_) lose(*n, "its agent closed the connection");
}

void Controller::lose(Node& n, const std::string& why) {
    if (n.info.lost) return;
    n.info.lost = true;
    n.info.lost_at = now();
    n.info.lost_reason = why;
    opt_.say(fmt::format("node {} ({}) LOST at {:.0f} s: {}", n.info.id, n.info.host, n.info.lost_at, why));
    if (n.link) n.link->close();
    // Everyone waiting on the node learns it now.
    json lost = {{"lost", why}};
    for (auto& [rid, w] : n.replies) w->deliver(lost);
    for (auto& [id, w] : n.exits) w->deliver(lost);
}

awaitable<json> Controller::call(Node& n, json req, double timeout_s) {
    if (n.info.lost) co_return json{{"lost", n.info.lost_reason}};
    const int64_t rid = n.next_rid++;
    req["rid"] = rid;
    auto w = std::make_shared<Waiter>(io_);
    n.replies[rid] = w;
    w->timer.expires_after(std::chrono::milliseconds(long(timeout_s * 1000)));
    n.link->send(req);
    boost::system::error_code ec;
    co_await w->timer.async_wait(asio::redirect_error(use_awaitable, ec));
    n.replies.erase(rid);
    if (!w->value) co_return json{{"timeout", true}};
    co_return *w->value;
}

awaitable<void> Controller::sample_node(std::shared_ptr<Node> n) {
    n->sampling = true;
    const double asked = now();
    json ask = {{"op", "sample"}};   // (GCC 12 cannot take a braced list inside co_await)
    json s = co_await call(*n, ask, opt_.lost_after);
    n->sampling = false;
    if (s.contains("timeout")) {
        lose(*n, fmt::format("its agent did not answer for {:.0f} s", opt_.lost_after));
        co_return;
    }
    if (!s.value("ok", false)) co_return;
    const double t = now();
    NodeSample sample;
    sample.t = asked;
    sample.node = n->info.id;
    sample.load = s.value("load", 0.0);
    sample.mem_used_mb = s.value("mem_used_mb", 0.0);
    sample.mem_total_mb = s.value("mem_total_mb", 0.0);
    sample.processes = s.value("processes", 0);
    sample.guests = s.value("guests", 0);
    record_.samples.push_back(sample);
    // The agent's clock says when each move happened; only its distance from the agent's
    // "now" is used, so the nodes' clocks need not agree with ours.
    const double agent_now = s.value("now", 0.0);
    for (const auto& m : s.value("migrations", json::array())) {
        MigrationEvent e;
        e.t = std::max(0.0, t - (agent_now - m.value("time", agent_now)));
        e.home = n->info.id;
        e.pid = m.value("pid", 0);
        e.command = m.value("command", std::string());
        e.from = uint16_t(m.value("from", 0));
        e.to = uint16_t(m.value("to", 0));
        e.bytes = m.value("bytes", uint64_t(0));
        e.frozen_ms = m.value("frozen_ms", 0.0);
        e.total_ms = m.value("total_ms", 0.0);
        e.outcome = m.value("outcome", std::string());
        e.test = m.value("test", std::string());
        record_.migrations.push_back(e);
    }
}

awaitable<void> Controller::sample_loop() {
    auto next = std::chrono::steady_clock::now();
    while (sampling_) {
        for (auto& n : nodes_)
            if (!n->info.lost && !n->sampling) asio::co_spawn(io_, sample_node(n), asio::detached);
        next += std::chrono::milliseconds(long(opt_.sample_interval * 1000));
        asio::steady_timer t(io_, next);
        boost::system::error_code ec;
        co_await t.async_wait(asio::redirect_error(use_awaitable, ec));
    }
}

Controller::Node* Controller::node_for(const TestSpec& spec) {
    if (!spec.node) return nodes_.front().get();
    for (auto& n : nodes_)
        if (n->info.id == *spec.node) return n.get();
    return nullptr;
}

awaitable<void> Controller::run_once(const TestSpec& spec, const std::string& id, Node& n, TestResult& r) {
    const int live_nodes = int(std::count_if(nodes_.begin(), nodes_.end(), [](auto& x) { return !x->info.lost; }));
    r.argv = expand_command(spec.command, cluster_cpus_, live_nodes);
    json req = {{"op", "run"}, {"id", id}, {"name", r.name}, {"argv", r.argv}, {"timeout", spec.timeout}};
    if (spec.use_mosrun) req["mosrun"] = spec.mosrun;
    auto exit = std::make_shared<Waiter>(io_);
    n.exits[id] = exit;
    json started = co_await call(n, req, 30);
    if (!started.value("ok", false)) {
        n.exits.erase(id);
        r.status = Status::Broken;
        r.reason = started.contains("lost")      ? fmt::format("node {} lost: {}", n.info.id, started["lost"].get<std::string>())
                   : started.contains("timeout") ? "the agent did not start it within 30 s"
                                                 : "the agent could not start it: " + started.value("error", "");
        co_return;
    }
    // The agent enforces the timeout; ours is the backstop for an agent that hangs.
    exit->timer.expires_after(std::chrono::milliseconds(long((spec.timeout + 30) * 1000)));
    boost::system::error_code ec;
    co_await exit->timer.async_wait(asio::redirect_error(use_awaitable, ec));
    n.exits.erase(id);
    if (!exit->value) {
        json kill = {{"op", "kill"}, {"id", id}};
        co_await call(n, kill, 5);
        r.status = Status::Fail;
        r.reason = fmt::format("no result from the agent {:.0f} s after the timeout", 30.0);
        co_return;
    }
    const json& ev = *exit->value;
    if (ev.contains("lost") && !n.info.lost) {   // the suite's timeout ended it
        r.status = Status::Fail;
        r.reason = ev["lost"].get<std::string>();
        co_return;
    }
    if (ev.contains("lost")) {
        r.status = Status::Fail;
        r.reason = fmt::format("node {} ({}) was lost at {:.0f} s while the test ran: {}", n.info.id, n.info.host,
                               n.info.lost_at, ev["lost"].get<std::string>());
        co_return;
    }
    r.retval = ev.value("retval", -1);
    if (!r.log.empty()) r.log += "\n";
    r.log += ev.value("log", "");
    std::tie(r.status, r.reason) = classify_exit(r.retval, ev.value("signal", 0), ev.value("timed_out", false),
                                                 spec.timeout, ev.value("log", ""));
}

awaitable<void> Controller::run_test(const TestSpec& spec, size_t index, int copy, size_t slot) {
    TestResult r;
    r.name = spec.processes > 1 ? fmt::format("{}#{}", spec.name, copy + 1) : spec.name;
    r.start = now();
    r.argv = spec.command;
    Node* n = node_for(spec);
    std::string id = fmt::format("t{}-{}", index + 1, copy + 1);
    if (!n) {
        r.status = Status::Broken;
        r.reason = fmt::format("node {} is not among the agents of this run", *spec.node);
    } else if (n->info.lost) {
        r.node = n->info.id;
        r.status = Status::Broken;
        r.reason = fmt::format("node {} ({}) was lost at {:.0f} s, before the test started: {}", n->info.id,
                               n->info.host, n->info.lost_at, n->info.lost_reason);
    } else {
        r.node = n->info.id;
        opt_.say(fmt::format("[{:6.1f} s] {} started on node {}", now(), r.name, r.node));
        int round = 0;
        do {
            co_await run_once(spec, fmt::format("{}-{}", id, ++round), *n, r);
        } while (r.status == Status::Pass && spec.duration > 0 && now() - r.start < spec.duration);
        if (round > 1) r.reason = r.status == Status::Pass ? "" : fmt::format("round {}: {}", round, r.reason);
    }
    r.duration = now() - r.start;
    opt_.say(fmt::format("[{:6.1f} s] {} {} after {:.1f} s{}{}", now(), r.name,
                         r.status == Status::Pass ? "PASSED" : r.status == Status::Skip ? "SKIPPED"
                         : r.status == Status::Fail ? "FAILED" : "BROKEN",
                         r.duration, r.reason.empty() ? "" : ": ", r.reason));
    record_.tests[slot] = std::move(r);
}

awaitable<RunRecord> Controller::run(const Suite& suite, std::string suite_file) {
    t0_ = std::chrono::steady_clock::now();
    record_ = {};
    record_.suite = suite.name;
    record_.suite_file = std::move(suite_file);
    {
        std::time_t t = std::time(nullptr);
        char buf[32];
        std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", std::localtime(&t));
        record_.started_at = buf;
        char host[256] = {};
        ::gethostname(host, sizeof host - 1);
        record_.controller = host;
        utsname u{};
        ::uname(&u);
        record_.kernel = u.release;
    }
    for (const auto& a : opt_.agents) {
        auto n = std::make_shared<Node>();
        n->where = a;
        co_await connect(*n);
        if (n->info.id == 0) n->info.id = uint16_t(nodes_.size() + 1);   // no omxd there: inventory order
        opt_.say(fmt::format("agent {} is node {} ({}), {} CPU(s)", n->info.address, n->info.id, n->info.host, n->info.cpus));
        cluster_cpus_ += n->info.cpus;
        nodes_.push_back(n);
        asio::co_spawn(io_, read_loop(n), asio::detached);
    }
    sampling_ = true;
    asio::co_spawn(io_, sample_loop(), asio::detached);

    // Tests in order; a background test runs on while the next ones start. Each copy is a
    // result of its own, in the order of the suite.
    std::vector<std::string> slot_ids;
    for (size_t i = 0; i < suite.tests.size(); ++i)
        for (int c = 0; c < suite.tests[i].processes; ++c) {
            TestResult r;
            r.name = suite.tests[i].processes > 1 ? fmt::format("{}#{}", suite.tests[i].name, c + 1) : suite.tests[i].name;
            r.argv = suite.tests[i].command;
            r.status = Status::Broken;
            r.reason = "not started: the suite's timeout passed";
            record_.tests.push_back(r);
            slot_ids.push_back(fmt::format("t{}-{}", i + 1, c + 1));
        }
    size_t running = 0, slot = 0;
    auto all_done = std::make_shared<asio::steady_timer>(io_);
    auto start = [&](const TestSpec& spec, size_t index, int copy, std::shared_ptr<asio::steady_timer> done) {
        ++running;
        asio::co_spawn(io_, run_test(spec, index, copy, slot++), [&running, done, all_done](std::exception_ptr) {
            --running;
            done->cancel();
            all_done->cancel();
        });
    };
    const auto deadline = t0_ + std::chrono::milliseconds(long(suite.timeout * 1000));
    for (size_t i = 0; i < suite.tests.size(); ++i) {
        const auto& spec = suite.tests[i];
        auto done = std::make_shared<asio::steady_timer>(io_);
        size_t before = running;
        for (int c = 0; c < spec.processes; ++c) start(spec, i, c, done);
        if (spec.background) continue;
        while (running > before && std::chrono::steady_clock::now() < deadline) {
            done->expires_at(deadline);
            boost::system::error_code ec;
            co_await done->async_wait(asio::redirect_error(use_awaitable, ec));
        }
        if (std::chrono::steady_clock::now() >= deadline) break;
    }
    while (running > 0 && std::chrono::steady_clock::now() < deadline) {
        all_done->expires_at(deadline);
        boost::system::error_code ec;
        co_await all_done->async_wait(asio::redirect_error(use_awaitable, ec));
    }
    if (running > 0) {
        opt_.say(fmt::format("the suite's timeout of {:.0f} s passed: ending the tests still running", suite.timeout));
        for (auto& n : nodes_)
            for (auto& [id, w] : n->exits) {
                if (n->link && n->link->open()) n->link->send({{"op", "kill"}, {"id", id}});
                w->deliver(json{{"lost", "the suite's timeout passed"}});
            }
        while (running > 0) co_await sleep(0.1);
    }
    co_await sleep(opt_.sample_interval * 1.5);   // the last moves reach us with the next samples
    sampling_ = false;
    // Test ids are "tI-C-R" (test, copy, round); a migration recorded under one is that test's.
    for (const auto& m : record_.migrations)
        for (size_t i = 0; i < slot_ids.size(); ++i)
            if (m.test.rfind(slot_ids[i] + "-", 0) == 0) ++record_.tests[i].migrations;
    record_.runtime = now();
    for (const auto& n : nodes_) {
        record_.nodes.push_back(n->info);
        if (n->link) n->link->close();   // the agents end what is left of ours
    }
    co_return record_;
}

}  // namespace omx::harness
