// mosctl: each openMosix administration verb becomes one or a few control requests to the
// local omxd (docs/control-protocol.md); all printing is in tools/common/mosctl_format.
#include <fmt/format.h>

#include <iostream>
#include <string>
#include <vector>

#include "common/control.h"
#include "model.h"
#include "mosctl_args.h"
#include "mosctl_format.h"
#include "numbers.h"
#include "tool_main.h"

namespace {

using json = nlohmann::json;
using namespace omx::tools;

json request(const json& req) { return omx::control::call(req); }

DaemonStatus daemon_status() { return status_from_json(request({{"cmd", "status"}})); }

AdminInfo admin() { return admin_from_json(request({{"cmd", "admin"}}).value("admin", json::object())); }

// This node's id; queries about "this node" make no sense before setpe -w.
uint16_t this_node(const DaemonStatus& s) {
    if (!s.enabled || s.self == 0) throw ToolError("openMosix is not configured on this node (see setpe -w)");
    return s.self;
}

NodeInfo fetch_node(uint16_t id) {
    return node_from_json(request({{"cmd", "node"}, {"id", id}}).value("node", json::object()));
}

void set_admin(const std::string& key, const json& value) {
    request({{"cmd", "set"}, {"key", key}, {"value", value}});
}

int print(const std::string& text) {
    std::cout << text;
    return kExitOk;
}

int whois(const MosctlCommand& c) {
    json req = {{"cmd", "whois"}};
    if (!c.args.empty()) req["query"] = c.args[0];
    json r = request(req);
    WhoisAnswer a{r.value("id", uint16_t(0)), r.value("address", std::string()), r.value("host", std::string())};
    return print(whois_text(a, c.args.empty()));
}

// getload/getspeed/getmem/getfree/getutil: one integer, for scripts.
int get_value(const MosctlCommand& c) {
    DaemonStatus s = daemon_status();
    uint16_t id = c.node ? *c.node : this_node(s);
    NodeInfo n = fetch_node(id);
    if (!n.up) throw ToolError("openMosix #" + std::to_string(id) + " is down");
    // The node table learns this node's speed at the next info round; the admin
    // speed is the one `setspeed` just changed, which is what the user expects back.
    if (n.self && c.verb == MosctlVerb::GetSpeed) n.speed = s.admin.speed;
    return print(std::to_string(getter_value(c.verb, n)) + "\n");
}

int status(const MosctlCommand& c) {
    DaemonStatus s = daemon_status();
    uint16_t id = c.node ? *c.node : this_node(s);
    NodeInfo n = fetch_node(id);
    if (n.self) {
        // Our own flags as just set, not as last broadcast (that lags by one info round).
        n.block = s.admin.block, n.stay = s.admin.stay, n.lstay = s.admin.lstay;
        n.quiet = s.admin.quiet, n.nomfs = s.admin.nomfs;
    }
    return print(node_status_text(n, n.self ? &s.admin : nullptr));
}

// openMosix's kind of ping: an authenticated answer from the node's omxd.
int isup(const MosctlCommand& c) {
    uint16_t id = c.node ? *c.node : this_node(daemon_status());
    json r = request({{"cmd", "ping"}, {"id", id}, {"timeout_ms", 1000}});
    bool up = r.value("up", false);
    std::cout << (up ? "up" : "down") << "\n";
    return up ? kExitOk : kExitFailure;
}

// The yardstick: a processor type's speed, a node's current speed, or this node's.
int setyard(const MosctlCommand& c) {
    const std::string& what = c.args[0];
    long long yard = 0;
    if (what == "this") {
        yard = daemon_status().admin.speed;
    } else if (auto id = parse_node_id(what)) {
        NodeInfo n = fetch_node(*id);
        if (!n.up) throw ToolError("openMosix #" + what + " is down: its speed is unknown");
        yard = n.speed;
    } else if (auto known = processor_yardstick(what)) {
        yard = *known;
    } else {
        throw ToolError("unknown processor type '" + what + "' (PIII, an openMosix-ID or this)");
    }
    set_admin("yardstick", yard);
    return kExitOk;
}

int setdecay(const MosctlCommand& c) {
    set_admin("decay_interval", c.numbers[0]);
    if (c.numbers.size() == 3) {
        set_admin("slow_decay", c.numbers[1]);
        set_admin("fast_decay", c.numbers[2]);
    }
    return kExitOk;
}

// /proc/hpc/admin/version's line, and what oMFS does here (HOWTO 11.5: mixing nodes with
// DFSA on and off is a common error; this says which this one is).
int node_version() {
    json s = request({{"cmd", "status"}});
    json mfs = s.value("mfs", json::object());
    std::string line = !mfs.value("mounted", false)
                           ? "oMFS: not mounted (DFSA off)"
                           : fmt::format("oMFS: mounted at {} (DFSA {})", mfs.value("mount", std::string()),
                                         mfs.value("dfsa", false) ? "on" : "off");
    return print(fmt::format("openMosix version: {}\n{}\n", s.value("version", std::string()), line));
}

int dispatch(const MosctlCommand& c) {
    using V = MosctlVerb;
    switch (c.verb) {
        case V::Help: return print(mosctl_usage());
        case V::Version: return print("mosctl (openMosix-ng) " OMX_VERSION "\n");
        case V::SetFlag: set_admin(c.flag_key, c.flag_value); return kExitOk;
        case V::Expel: request({{"cmd", "expel"}}); return kExitOk;   // waits until done
        case V::Bring: request({{"cmd", "bring"}}); return kExitOk;
        case V::GetTune: return print(tune_text(admin()));
        case V::GetYard: return print(std::to_string(admin().yardstick) + "\n");
        case V::GetDecay: return print(decay_text(admin()));
        case V::Whois: return whois(c);
        case V::GetLoad: case V::GetSpeed: case V::GetMem: case V::GetFree: case V::GetUtil:
            return get_value(c);
        case V::Status: return status(c);
        case V::IsUp: return isup(c);
        case V::SetYard: return setyard(c);
        case V::SetSpeed: set_admin("speed", c.numbers[0]); return kExitOk;
        case V::SetDecay: return setdecay(c);
        case V::NodeVersion: return node_version();
    }
    return kExitFailure;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    return run_tool("mosctl", [&] { return dispatch(parse_mosctl_args(args)); });
}
