// Control-socket commands (docs/control-protocol.md): one function per request type.
#include <spdlog/spdlog.h>

#include <set>

#include "common/net.h"
#include "daemon.h"

namespace omx {

using asio::awaitable;
using json = nlohmann::json;

namespace {

json fail(const std::string& why) { return {{"ok", false}, {"error", why}}; }

uint16_t node_id_arg(const json& req) {
    if (!req.contains("id")) throw std::invalid_argument("missing node id");
    const auto& v = req.at("id");
    long long id = -1;
    if (v.is_number_integer()) id = v.get<long long>();
    else if (v.is_string()) {
        try {
            size_t used = 0;
            id = std::stoll(v.get<std::string>(), &used);
            if (used != v.get<std::string>().size()) id = -1;
        } catch (const std::exception&) {
        }
    }
    if (id < 1 || id > 65535) throw std::invalid_argument("bad node id " + v.dump() + " (1..65535)");
    return uint16_t(id);
}

pid_t pid_arg(const json& req) {
    if (!req.contains("pid") || !req.at("pid").is_number_integer() || req.at("pid").get<long long>() <= 0)
        throw std::invalid_argument("missing or bad \"pid\"");
    return pid_t(req.at("pid").get<long long>());
}

}  // namespace

json Daemon::node_json(const NodeRecord& r) const {
    bool self = r.id == table_.self();
    json j = {{"id", r.id},
              {"address", r.ipv4.empty() ? "" : format_ipv4(r.ipv4[0])},
              {"host", r.host.empty() && !r.ipv4.empty() ? format_ipv4(r.ipv4[0]) : r.host},
              {"self", self},
              {"up", r.up}};
    const LoadEntry e = r.latest.value_or(LoadEntry{});
    uint16_t status = r.latest ? e.status : uint16_t(kStatusConfigured);
    if (!r.up) status = uint16_t(status & ~kStatusUp);
    j.update({{"load", e.load}, {"speed", e.speed}, {"cpus", e.cpus}, {"util", e.util},
              {"mem", e.mem}, {"rmem", e.rmem}, {"tmem", e.tmem}, {"status", status},
              {"block", bool(status & kStatusBlock)}, {"stay", bool(status & kStatusStay)},
              {"lstay", bool(status & kStatusLstay)}, {"quiet", bool(status & kStatusQuiet)},
              {"nomfs", bool(status & kStatusNoMfs)}});
    long long age = r.latest ? std::chrono::duration_cast<std::chrono::milliseconds>(
                                   Clock::now() - r.heard_at).count()
                             : -1;
    j["age_ms"] = age;
    return j;
}

json Daemon::balancer_json() const {
    const BalanceTuning& t = balance_tuning_;
    return {{"ok", true},
            {"active", mode_ != Mode::Off && !admin_.quiet},
            {"moves", balancer_moves_},
            {"bandwidth", migrations_ ? migrations_->bandwidth() : t.bandwidth},
            {"tuning", {{"margin", t.margin}, {"min_demand", t.min_demand}, {"min_cpu_seconds", t.min_cpu_seconds},
                        {"cooldown_seconds", t.cooldown_seconds}, {"max_cost_share", t.max_cost_share},
                        {"min_free_share", t.min_free_share}}},
            {"view", last_view_}};
}

json Daemon::admin_json() const {
    json a = admin_.to_json();
    a["speed"] = current_speed();
    a["calibrated_speed"] = core_speed_;
    return a;
}

json Daemon::status_json() const {
    uint32_t addr = primary_address();
    return {{"ok", true},
            {"version", OMX_VERSION},
            {"enabled", mode_ != Mode::Off},
            {"self", table_.self()},
            {"mode", to_string(mode_)},
            {"source", source_},
            {"address", addr ? format_ipv4(addr) : ""},
            {"admin", admin_json()},
            {"configured", table_.configured()},
            {"up", table_.up_count()},
            {"mfs", mfs_ ? mfs_->status() : json{{"enabled", false}, {"mounted", false}, {"dfsa", false}}}};
}

json Daemon::map_json() const {
    json lines = json::array(), nodes = json::array();
    if (mode_ == Mode::Map) {
        for (const auto& l : map_.lines) lines.push_back({{"first", l.first}, {"host", l.host}, {"count", l.count}});
    } else {
        for (const auto& [id, r] : table_.nodes())
            if (!r.ipv4.empty()) lines.push_back({{"first", id}, {"host", format_ipv4(r.ipv4[0])}, {"count", 1}});
    }
    for (const auto& [id, r] : table_.nodes()) {
        json addrs = json::array();
        for (uint32_t a : r.ipv4) addrs.push_back(format_ipv4(a));
        nodes.push_back({{"id", id}, {"addresses", addrs},
                         {"host", r.host.empty() && !r.ipv4.empty() ? format_ipv4(r.ipv4[0]) : r.host}});
    }
    return {{"ok", true}, {"mode", to_string(mode_)}, {"source", source_},
            {"self", table_.self()}, {"lines", lines}, {"nodes", nodes}};
}

json Daemon::whois(const std::string& q) const {
    auto answer = [&](const NodeRecord& r) {
        std::string addr = r.ipv4.empty() ? "" : format_ipv4(r.ipv4[0]);
        std::string host = r.host;
        if ((host.empty() || parse_ipv4(host)) && !r.ipv4.empty())
            host = reverse_lookup(r.ipv4[0]).value_or(addr);
        return json{{"ok", true}, {"id", r.id}, {"address", addr}, {"host", host}};
    };
    if (mode_ == Mode::Off) return fail("openMosix is not configured on this node");
    if (q.empty()) return answer(*table_.find(table_.self()));
    bool numeric = !q.empty() && q.find_first_not_of("0123456789") == std::string::npos;
    if (numeric) {
        long id = q.size() <= 5 ? std::stol(q) : -1;
        if (id >= 1 && id <= 65535)
            if (auto* r = table_.find(uint16_t(id))) return answer(*r);
        return fail("no openMosix node #" + q);
    }
    auto ip = resolve_ipv4(q);
    if (!ip) return fail("cannot resolve '" + q + "'");
    for (const auto& [id, r] : table_.nodes())
        for (uint32_t a : r.ipv4)
            if (a == *ip) return answer(r);
    return fail(q + " (" + format_ipv4(*ip) + ") is not an openMosix node of this cluster");
}

awaitable<json> Daemon::handle(const json& req, uid_t uid) {
    const std::string cmd = req.value("cmd", std::string());
    static const std::set<std::string> needs_root = {"setmap", "off", "set", "expel", "bring"};
    if (needs_root.count(cmd) && uid != 0) co_return fail("permission denied: '" + cmd + "' needs root");
    try {
        if (cmd == "status") co_return status_json();
        if (cmd == "admin") co_return json{{"ok", true}, {"admin", admin_json()}};
        if (cmd == "counters") co_return json{{"ok", true}, {"counters", transport_.counters().to_json()}};
        if (cmd == "map") co_return map_json();
        if (cmd == "nodes") {
            json nodes = json::array();
            for (const auto& [id, r] : table_.nodes()) nodes.push_back(node_json(r));
            co_return json{{"ok", true}, {"self", table_.self()}, {"nodes", nodes}};
        }
        if (cmd == "node") {
            uint16_t id = node_id_arg(req);
            const NodeRecord* r = table_.find(id);
            if (!r) co_return fail("no such node " + std::to_string(id));
            co_return json{{"ok", true}, {"node", node_json(*r)}};
        }
        if (cmd == "whois") co_return whois(req.value("query", std::string()));
        if (cmd == "ping") {
            uint16_t id = node_id_arg(req);
            if (!table_.contains(id)) co_return fail("no such node " + std::to_string(id));
            int timeout = std::clamp(req.value("timeout_ms", 1000), 1, 30000);
            auto rtt = co_await ping(id, std::chrono::milliseconds(timeout));
            co_return json{{"ok", true}, {"up", bool(rtt)}, {"rtt_us", rtt ? *rtt : -1.0}};
        }
        if (cmd == "set") {
            if (!req.contains("key") || !req.at("key").is_string() || !req.contains("value"))
                co_return fail("set needs \"key\" and \"value\"");
            std::string key = req.at("key").get<std::string>();
            admin_.set(key, req.at("value"));
            save_admin();
            spdlog::info("admin: {} set to {}", key, req.at("value").dump());
            co_return json{{"ok", true}, {"admin", admin_json()}};
        }
        if (cmd == "setmap") {
            if (!req.contains("text") || !req.at("text").is_string()) co_return fail("setmap needs \"text\"");
            std::string origin = req.value("origin", std::string("stdin"));
            // Parse and resolve fully before touching anything: a bad map keeps the old one.
            ClusterMap map = parse_map(req.at("text").get<std::string>(), origin);
            apply_map(map, origin);
            co_return status_json();
        }
        if (cmd == "off") {
            go_off();
            co_return status_json();
        }
        if (cmd == "expel") co_return co_await migrations_->expel();
        if (cmd == "bring") co_return co_await migrations_->bring();
        if (cmd == "migrate") {
            if (!req.contains("to")) co_return fail("migrate needs \"to\": a node id, home or balance");
            std::string to = req.at("to").is_string() ? req.at("to").get<std::string>() : req.at("to").dump();
            co_return co_await migrations_->migrate(pid_arg(req), to, uid);
        }
        if (cmd == "process") co_return migrations_->process(pid_arg(req));
        if (cmd == "mfs") co_return migrations_->places(pid_arg(req));
        if (cmd == "select") {
            long node = req.value("node", -1L);
            if (node < 0 || node > 65535) co_return fail("\"node\" must be a node id (0 = none)");
            co_return migrations_->set_selected(pid_arg(req), uint16_t(node), uid);
        }
        if (cmd == "lock") co_return migrations_->set_lock(pid_arg(req), req.value("lock", 1) != 0, uid);
        if (cmd == "processes") co_return migrations_->processes();
        if (cmd == "mask") co_return migrations_->set_mask(pid_arg(req), ClusterMask::from_json(req), uid);
        if (cmd == "balancer") co_return balancer_json();
        if (cmd == "migrations") co_return migrations_->migration_log(req.value("since", uint64_t(0)));
        co_return fail(cmd.empty() ? "request has no \"cmd\"" : "unknown command '" + cmd + "'");
    } catch (const MapError& e) {
        co_return fail(e.what());
    } catch (const std::invalid_argument& e) {
        co_return fail(e.what());
    } catch (const nlohmann::json::exception& e) {
        co_return fail(std::string("bad request: ") + e.what());
    }
}

}  // namespace omx
