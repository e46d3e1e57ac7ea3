// mps: ps with openMosix's NODE column (PID TTY NODE STAT TIME COMMAND; NODE 0 = here).
//   mps            every process of this node
//   mps PID...     just these
// The NODE of a process that migrated away comes from omxd; without omxd every process
// is here.
#include <dirent.h>
#include <unistd.h>

#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "common/control.h"
#include "numbers.h"
#include "tool_main.h"

namespace {

using namespace omx::tools;

const char* kUsage =
    "Usage: mps [PID...]\n"
    "Lists this node's processes like ps, with openMosix's NODE column: the node a process\n"
    "runs on now (0 = here, its home).\n";

struct Row {
    long pid = 0;
    std::string tty = "?", stat, time, command;
};

std::string tty_name(long nr) {
    long major = (nr >> 8) & 0xfff, minor = (nr & 0xff) | ((nr >> 12) & 0xfff00);
    if (nr == 0) return "?";
    if (major >= 136 && major <= 143) return fmt::format("pts/{}", minor + (major - 136) * 256);
    if (major == 4) return minor < 64 ? fmt::format("tty{}", minor) : fmt::format("ttyS{}", minor - 64);
    return fmt::format("{}:{}", major, minor);
}

bool read_row(long pid, Row& r) {
    std::ifstream in(fmt::format("/proc/{}/stat", pid));
    std::string line;
    if (!std::getline(in, line)) return false;
    auto open = line.find('('), close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos) return false;
    std::string comm = line.substr(open + 1, close - open - 1);
    std::istringstream f(line.substr(close + 2));
    std::vector<std::string> v{std::istream_iterator<std::string>(f), {}};
    if (v.size() < 13) return false;
    r.pid = pid;
    r.stat = v[0];
    r.tty = tty_name(std::stol(v[4]));
    long ticks = sysconf(_SC_CLK_TCK);
    long secs = (std::stol(v[11]) + std::stol(v[12])) / ticks;
    r.time = fmt::format("{}:{:02}", secs / 60, secs % 60);
    std::ifstream cl(fmt::format("/proc/{}/cmdline", pid));
    std::string cmd((std::istreambuf_iterator<char>(cl)), {});
    for (auto& ch : cmd)
        if (ch == '\0') ch = ' ';
    while (!cmd.empty() && cmd.back() == ' ') cmd.pop_back();
    r.command = cmd.empty() ? "[" + comm + "]" : cmd;
    return true;
}

struct Away {
    int node = 0;
    std::string command;   // as it left: the husk at home has no memory to show it from
};

std::map<long, Away> away_nodes() {
    std::map<long, Away> out;
    try {
        auto r = omx::control::call({{"cmd", "processes"}});
        for (const auto& a : r.at("away"))
            out[a.at("pid").get<long>()] = Away{a.at("node").get<int>(), a.value("command", "")};
    } catch (const std::exception&) {
        // no omxd: nothing is away
    }
    return out;
}

int list(const std::vector<std::string>& args) {
    std::vector<long> pids;
    for (const auto& a : args) {
        auto pid = parse_count(a);
        if (!pid || *pid <= 0) throw UsageError("bad PID '" + a + "'");
        pids.push_back(long(*pid));
    }
    if (pids.empty()) {
        std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir("/proc"), ::closedir);
        while (auto* e = d ? ::readdir(d.get()) : nullptr)
            if (std::isdigit(static_cast<unsigned char>(e->d_name[0]))) pids.push_back(std::stol(e->d_name));
        std::sort(pids.begin(), pids.end());
    }
    auto away = away_nodes();
    std::cout << fmt::format("{:>7} {:<8} {:>4} {:<4} {:>6} {}\n", "PID", "TTY", "NODE", "STAT", "TIME", "COMMAND");
    int missing = 0;
    for (long pid : pids) {
        Row r;
        if (!read_row(pid, r)) {
            ++missing;
            continue;
        }
        int node = 0;
        if (auto it = away.find(pid); it != away.end()) {
            node = it->second.node;
            if (!it->second.command.empty()) r.command = it->second.command;
        }
        std::cout << fmt::format("{:>7} {:<8} {:>4} {:<4} {:>6} {}\n", r.pid, r.tty, node, r.stat, r.time, r.command);
    }
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
