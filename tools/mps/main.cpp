// mps: ps with openMosix's NODE column (PID TTY NODE STAT TIME COMMAND; NODE 0 = here).
//   mps            every process of this node
//   mps PID...     just these
// The NODE of a process that migrated away comes from omxd; without omxd every process
// is here. Reading /proc and asking omxd is tools/common/process_table (shared with mtop).
#include <unistd.h>

#include <fmt/format.h>

#include <iostream>
#include <string>
#include <vector>

#include "numbers.h"
#include "process_table.h"
#include "tool_main.h"

namespace {

using namespace omx::tools;

const char* kUsage =
    "Usage: mps [PID...]\n"
    "Lists this node's processes like ps, with openMosix's NODE column: the node a process\n"
    "runs on now (0 = here, its home).\n";

std::vector<long> parse_pids(const std::vector<std::string>& args) {
    std::vector<long> pids;
    for (const auto& a : args) {
        auto pid = parse_count(a);
        if (!pid || *pid <= 0) throw UsageError("bad PID '" + a + "'");
        pids.push_back(long(*pid));
    }
    return pids;
}

int list(const std::vector<std::string>& args) {
    std::vector<long> pids = parse_pids(args);
    if (pids.empty()) pids = all_pids();
    auto away = away_processes();
    int missing = 0;
    auto processes = read_processes(pids, &missing);
    mark_away(processes, away);
    std::cout << fmt::format("{:>7} {:<8} {:>4} {:<4} {:>6} {}\n", "PID", "TTY", "NODE", "STAT", "TIME", "COMMAND");
    long ticks = sysconf(_SC_CLK_TCK);
    for (const auto& p : processes)
        std::cout << fmt::format("{:>7} {:<8} {:>4} {:<4} {:>6} {}\n", p.pid, p.tty, p.node, p.state,
                                 cpu_time_text(p.ticks, ticks), p.command);
    return args.empty() || missing == 0 ? kExitOk : kExitFailure;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
        std::cout << kUsage;
        return kExitOk;
    }
    return run_tool("mps", [&] { return list(args); });
}
