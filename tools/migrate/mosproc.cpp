// mosproc: what openMosix showed in /proc/PID/{where,lock,nmigs,cantmove,goto}.
//   mosproc PID                 all of them, one "name value" line each
//   mosproc PID where|lock|nmigs|cantmove
//   mosproc PID lock 0|1        unlock / lock (a locked process never moves)
//   mosproc PID goto ID|home    = migrate PID ID
//   mosproc PID selected ID     the node /mfs/selected leads it to (0 = none); children inherit it
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
    "Usage: mosproc PID [where|lock|nmigs|cantmove|migfilter|mignodes|migpolicy|selected|forwarded]\n"
    "       mosproc PID lock 0|1 | mosproc PID goto ID|home | mosproc PID selected ID\n"
    "The per-process openMosix files: where (node id, 0 = home), lock (1 = never moves),\n"
    "nmigs (migrations so far), cantmove (why it cannot move, empty when it can), and the\n"
    "cluster mask migfilter/mignodes/migpolicy (set it with migmask), selected (the node\n"
    "/mfs/selected leads to for it and its children; 0 = none) and forwarded (system calls\n"
    "made at home for it while away).\n";

std::string value(const json& r, const std::string& key) {
    const auto& v = r.at(key);
    return v.is_string() ? v.get<std::string>() : v.dump();
}

int dispatch(const std::vector<std::string>& args) {
    if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
        std::cout << kUsage;
        return kExitOk;
    }
    if (args.empty() || args.size() > 3) throw UsageError("give a PID and optionally a field");
    auto parsed = parse_count(args[0]);
    if (!parsed || *parsed <= 0) throw UsageError("bad PID '" + args[0] + "'");
    long long pid = *parsed;
    static const std::vector<std::string> fields = {"where", "lock", "nmigs", "cantmove", "migfilter", "mignodes", "migpolicy",
                                                    "selected", "forwarded"};
    if (args.size() == 3) {
        if (args[1] == "lock") {
            if (args[2] != "0" && args[2] != "1") throw UsageError("lock takes 0 or 1");
            omx::control::call({{"cmd", "lock"}, {"pid", pid}, {"lock", args[2] == "1" ? 1 : 0}});
            return kExitOk;
        }
        if (args[1] == "goto") {
            omx::control::call({{"cmd", "migrate"}, {"pid", pid}, {"to", args[2]}}, omx::control::socket_path(), 310000);
            return kExitOk;
        }
        if (args[1] == "selected") {
            auto node = parse_count(args[2]);
            if (!node || *node > 65535) throw UsageError("selected takes a node id (0 = none)");
            omx::control::call({{"cmd", "select"}, {"pid", pid}, {"node", *node}});
            return kExitOk;
        }
        throw UsageError("only lock, goto and selected can be written");
    }
    json r = omx::control::call({{"cmd", "process"}, {"pid", pid}});
    if (args.size() == 2) {
        if (std::find(fields.begin(), fields.end(), args[1]) == fields.end()) throw UsageError("no field '" + args[1] + "'");
        std::cout << value(r, args[1]) << "\n";
        return kExitOk;
    }
    for (const auto& f : fields) std::cout << f << " " << value(r, f) << "\n";
    return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    return run_tool("mosproc", [&] { return dispatch(args); });
}
