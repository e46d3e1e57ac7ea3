// migrate: ask omxd to move a process, as openMosix's `migrate PID {ID|home|balance}`.
// Waits until the process runs where it was sent (or stays home, with the reason).
#include <iostream>
#include <string>
#include <vector>

#include "common/control.h"
#include "numbers.h"
#include "tool_main.h"

namespace {

using namespace omx::tools;

const char* kUsage =
    "Usage: migrate [-v] PID {ID|home|balance}\n"
    "Moves process PID (of this node) to node ID, back home, or to the least loaded node.\n"
    "Returns when the process runs there; when it cannot move it keeps running where it was\n"
    "and the reason is printed. -v prints the freeze time and the image size.\n";

int dispatch(std::vector<std::string> args) {
    bool verbose = false;
    if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
        std::cout << kUsage;
        return kExitOk;
    }
    if (!args.empty() && args[0] == "-v") {
        verbose = true;
        args.erase(args.begin());
    }
    if (args.size() != 2) throw UsageError("give a PID and a node id, home or balance");
    auto pid = parse_count(args[0]);
    if (!pid || *pid <= 0) throw UsageError("bad PID '" + args[0] + "'");
    auto reply = omx::control::call({{"cmd", "migrate"}, {"pid", *pid}, {"to", args[1]}},
                                    omx::control::socket_path(), 310000);
    if (verbose)
        std::cout << "process " << *pid << " runs on " << (reply.value("node", 0) ? "node " + std::to_string(reply.value("node", 0)) : std::string("its home node"))
                  << (reply.contains("frozen_ms") ? ", frozen " + std::to_string(reply.value("frozen_ms", 0.0)) + " ms, " +
                                                        std::to_string(reply.value("bytes", 0)) + " bytes"
                                                  : std::string())
                  << "\n";
    return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    return run_tool("migrate", [&] { return dispatch(args); });
}
