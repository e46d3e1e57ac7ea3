// setpe: the cluster table goes through omxd; setpe checks the syntax itself first so a
// typo is reported with its line number even when no daemon runs.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "common/control.h"
#include "common/map.h"
#include "common/net.h"
#include "map_format.h"
#include "model.h"
#include "setpe_args.h"
#include "tool_main.h"

namespace {

using json = nlohmann::json;
using namespace omx::tools;

struct Table {
    std::string text;
    std::string origin;  // what errors name: the file's path or "stdin"
};

Table read_table(const std::optional<std::string>& file) {
    if (file && *file == "-")
        return {std::string(std::istreambuf_iterator<char>(std::cin), {}), "stdin"};
    if (!file) {
        auto found = omx::read_first_map_file();
        if (!found) throw ToolError("no table given and none of /etc/openmosix.map, /etc/mosix.map, "
                                    "/etc/hpc.map exists (use -f FILE or -f -)");
        return {found->text, found->path};
    }
    std::ifstream in(*file);
    if (!in) throw ToolError("cannot read " + *file + ": " + std::strerror(errno));
    std::stringstream ss;
    ss << in.rdbuf();
    return {ss.str(), *file};
}

// -c and -p: what omxd would check, done here so nothing changes.
void check_locally(const omx::ClusterMap& map, const Table& t, const SetpeCommand& c) {
    omx::NodeSet nodes = omx::resolve_map(map, t.origin);
    auto local = omx::local_ipv4_addresses();
    auto mine = omx::find_local_node(nodes, local);
    if (!mine) throw ToolError(omx::not_in_map_message(omx::my_display_address()));
    // omxd finds its own id from its addresses; -p can only confirm that choice.
    if (c.my_id && *c.my_id != *mine)
        throw ToolError("openMosix-ID " + std::to_string(*c.my_id) + " given with -p, but this node's "
                        "address is openMosix #" + std::to_string(*mine) + " in the table");
}

int write_table(const SetpeCommand& c) {
    Table t = read_table(c.file);
    omx::ClusterMap map = omx::parse_map(t.text, t.origin);  // syntax errors without a daemon
    if (c.check_only || c.my_id) check_locally(map, t, c);
    if (c.check_only) return kExitOk;
    omx::control::call({{"cmd", "setmap"}, {"text", t.text}, {"origin", t.origin}});
    if (c.gateways) omx::control::call({{"cmd", "set"}, {"key", "gateways"}, {"value", *c.gateways}});
    return kExitOk;
}

MapView current_map() { return map_from_json(omx::control::call({{"cmd", "map"}})); }

// An empty configuration (after -off) prints nothing: that is the current table.
int read_table_out(const SetpeCommand& c) {
    std::string text = map_text(current_map());
    if (!c.file || *c.file == "-") {
        std::cout << text;
        return kExitOk;
    }
    std::ofstream out(*c.file, std::ios::trunc);
    if (!(out << text) || !out.flush()) throw ToolError("cannot write " + *c.file + ": " + std::strerror(errno));
    return kExitOk;
}

int dispatch(const SetpeCommand& c) {
    switch (c.action) {
        case SetpeAction::Help: std::cout << setpe_usage(); return kExitOk;
        case SetpeAction::Version: std::cout << "setpe (openMosix-ng) " OMX_VERSION "\n"; return kExitOk;
        case SetpeAction::Write: return write_table(c);
        case SetpeAction::Read: return read_table_out(c);
        case SetpeAction::Off: omx::control::call({{"cmd", "off"}}); return kExitOk;
        case SetpeAction::Status: std::cout << init_status_text(current_map()); return kExitOk;
    }
    return kExitFailure;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    return run_tool("setpe", [&] { return dispatch(parse_setpe_args(args)); });
}
