// migmask: a process's cluster mask, openMosix's /proc/PID/{migfilter,mignodes,migpolicy}.
//   migmask PID                 show it
//   migmask PID allow LIST      it may run only on these nodes (and at home)
//   migmask PID deny LIST       it may run anywhere but on these nodes
//   migmask PID off             no mask
// Children inherit the mask of their nearest ancestor that has one.
#include <iostream>
#include <string>
#include <vector>

#include "common/control.h"
#include "numbers.h"
#include "tool_main.h"

namespace {

using namespace omx::tools;
using json = nlohmann::json;

const char* kUsage =
    "Usage: migmask PID [allow LIST | deny LIST | off]\n"
    "Shows or sets the cluster mask of process PID (of this node): the nodes it may migrate to.\n"
    "  allow LIST   only these nodes (its home node is always allowed), e.g. allow 2-3,5\n"
    "  deny LIST    any node but these\n"
    "  off          no mask: any node\n"
    "Shown as openMosix's migfilter (0/1), mignodes (bit 2^(id-1) per node) and migpolicy\n"
    "(0 = deny the listed nodes, 1 = allow only them), then in words. Children inherit it.\n";

std::string join(const json& nodes) {
    std::string out;
    for (const auto& n : nodes) out += (out.empty() ? "" : ",") + n.dump();
    return out;
}

void show(const json& r) {
    std::cout << "migfilter " << r.value("migfilter", 0) << "\n"
              << "mignodes " << r.value("mignodes", uint64_t(0)) << "\n"
              << "migpolicy " << r.value("migpolicy", 0) << "\n";
    const json nodes = r.value("mask_nodes", json::array());
    if (!r.value("migfilter", 0)) std::cout << "may run on: any node\n";
    else if (r.value("migpolicy", 0) == 1) std::cout << "may run on: its home node" << (nodes.empty() ? "" : " and nodes " + join(nodes)) << "\n";
    else std::cout << "may run on: any node" << (nodes.empty() ? "" : " but nodes " + join(nodes)) << "\n";
}

int dispatch(const std::vector<std::string>& args) {
    if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
        std::cout << kUsage;
        return kExitOk;
    }
    if (args.empty()) throw UsageError("give a PID");
    auto pid = parse_count(args[0]);
    if (!pid || *pid <= 0) throw UsageError("bad PID '" + args[0] + "'");
    json req = {{"cmd", "process"}, {"pid", *pid}};
    if (args.size() == 2 && args[1] == "off") {
        req = {{"cmd", "mask"}, {"pid", *pid}, {"filter", 0}};
    } else if (args.size() == 3 && (args[1] == "allow" || args[1] == "deny")) {
        auto nodes = parse_node_list(args[2]);
        if (!nodes) throw UsageError("bad node list '" + args[2] + "' (ids and ranges: 1-3,7)");
        req = {{"cmd", "mask"}, {"pid", *pid}, {"filter", 1}, {"policy", args[1]}, {"nodes", *nodes}};
    } else if (args.size() != 1) {
        throw UsageError("give PID, then nothing, allow LIST, deny LIST or off");
    }
    show(omx::control::call(req));
    return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    return run_tool("migmask", [&] { return dispatch(args); });
}
