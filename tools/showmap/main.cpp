// showmap: this node's id and the cluster table, from omxd's "map" reply.
#include <iostream>
#include <string>
#include <vector>

#include "common/control.h"
#include "map_format.h"
#include "model.h"
#include "tool_main.h"

namespace {

using namespace omx::tools;

const char* kUsage =
    "Usage: showmap\n"
    "Prints this node's openMosix-ID and the cluster table (ids in hex, as openMosix did).\n";

int show() {
    MapView map = map_from_json(omx::control::call({{"cmd", "map"}}));
    if (map_disabled(map)) throw ToolError("openMosix is not configured on this node (setpe -off, or no table yet)");
    std::cout << showmap_text(map);
    return kExitOk;
}

int dispatch(const std::vector<std::string>& args) {
    if (args.empty()) return show();
    if (args[0] == "--help" || args[0] == "-h") {
        std::cout << kUsage;
        return kExitOk;
    }
    if (args[0] == "--version" || args[0] == "-V") {
        std::cout << "showmap (openMosix-ng) " OMX_VERSION "\n";
        return kExitOk;
    }
    throw UsageError("unexpected argument '" + args[0] + "'");
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    return run_tool("showmap", [&] { return dispatch(args); });
}
