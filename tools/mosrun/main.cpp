// mosrun: run a command under openMosix's placement and migration options.
//   mosrun [-h|-ID|-jID1-ID2[,..] [-F]] [-l|-L|-k] [-c|-i|-n|-s|-f|[-t tt][-d dec]] [-e|-E] [-r|-R] [-z] cmd [args]
// mosrun becomes the command (exec): PID, parent, exit status, terminal and job control
// are exactly those of the command. The command and everything it starts can migrate;
// omxd starts a deputy for a process when it moves.
#include <libgen.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/control.h"
#include "numbers.h"
#include "tool_main.h"

namespace {

using namespace omx::tools;

const char* kUsage =
    "Usage: mosrun [-h|-ID|-jID1-ID2[,..] [-F]] [-l|-L|-k] [-c|-i|-n|-s|-f|[-t tt][-d dec]] [--allow|--deny LIST]\n"
    "              [-e|-E] [-r|-R] [-z] cmd [args]\n"
    "  -h          run on the home node, locked there\n"
    "  -ID         start on node ID (e.g. -3)\n"
    "  -jA-B,C     start on one node chosen among A..B and C\n"
    "  -F          with -ID/-j: stay home if the node cannot take the process\n"
    "  -l / -L     the process may migrate (default) / is locked home\n"
    "  -k          keep the lock state inherited from the caller\n"
    "  -c / -i     CPU-bound / I/O-bound job hint for the balancer\n"
    "  -n/-s/-f    no / slow / fast load decay;  -t tt, -d dec: decay interval and rate\n"
    "  --allow LIST  the cluster mask: run only on these nodes (or home), e.g. --allow 2-3,5\n"
    "  --deny LIST   the cluster mask: never run on these nodes\n"
    "  -e -E -r -R -z  accepted for compatibility (openMosix 2.4 options without effect here)\n"
    "Aliases: nomig = mosrun -L, runhome = mosrun -h, runon ID = mosrun -ID, cpujob = -c,\n"
    "iojob = -i, nodecay = -n, slowdecay = -s, fastdecay = -f.\n";

struct Plan {
    bool lock = false, keep = false, forced = false;
    std::vector<uint16_t> start_on;   // choose one of these
    std::string hints;                // job hints for the balancer (MOSRUN_HINTS)
    nlohmann::json mask;              // cluster mask request, or null
    std::vector<std::string> command;
};

std::vector<uint16_t> node_list(const std::string& spec) {   // "1-3,7"
    auto list = parse_node_list(spec);
    if (!list) throw UsageError("bad node list '" + spec + "' (ids and ranges: 1-3,7)");
    return *list;
}

Plan parse(std::string tool, std::vector<std::string> args) {
    Plan p;
    // The aliases are mosrun with one option.
    if (tool == "nomig") args.insert(args.begin(), "-L");
    else if (tool == "runhome") args.insert(args.begin(), "-h");
    else if (tool == "cpujob") args.insert(args.begin(), "-c");
    else if (tool == "iojob") args.insert(args.begin(), "-i");
    else if (tool == "nodecay") args.insert(args.begin(), "-n");
    else if (tool == "slowdecay") args.insert(args.begin(), "-s");
    else if (tool == "fastdecay") args.insert(args.begin(), "-f");
    else if (tool == "runon") {
        if (args.empty()) throw UsageError("runon needs a node id");
        args[0] = "-" + args[0];
    }
    size_t i = 0;
    for (; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a.size() < 2 || a[0] != '-') break;
        if (a == "--") {
            ++i;
            break;
        }
        if (a == "--help") throw std::logic_error("help");
        if (a == "--allow" || a == "--deny" || a.rfind("--allow=", 0) == 0 || a.rfind("--deny=", 0) == 0) {
            bool allow = a.rfind("--allow", 0) == 0;
            std::string list;
            if (auto eq = a.find('='); eq != std::string::npos) list = a.substr(eq + 1);
            else if (i + 1 < args.size()) list = args[++i];
            else throw UsageError(a + " needs a node list");
            p.mask = {{"cmd", "mask"}, {"filter", 1}, {"policy", allow ? "allow" : "deny"}, {"nodes", node_list(list)}};
            continue;
        }
        if (std::isdigit(static_cast<unsigned char>(a[1]))) {
            auto id = parse_node_id(a.substr(1));
            if (!id) throw UsageError("bad node id '" + a.substr(1) + "'");
            p.start_on = {*id};
        }
        else if (a[1] == 'j') p.start_on = node_list(a.substr(2));
        else if (a == "-h") p.lock = true;
        else if (a == "-F") p.forced = true;
        else if (a == "-L") p.lock = true;
        else if (a == "-l") p.lock = false;
        else if (a == "-k") p.keep = true;
        else if (a == "-c" || a == "-i" || a == "-n" || a == "-s" || a == "-f") p.hints += a.substr(1);
        else if (a == "-t" || a == "-d") {
            if (i + 1 >= args.size()) throw UsageError(a + " needs a value");
            p.hints += a.substr(1) + args[++i];
        } else if (a == "-e" || a == "-E" || a == "-r" || a == "-R" || a == "-z") {
        } else throw UsageError("unknown option '" + a + "'");
    }
    p.command.assign(args.begin() + long(i), args.end());
    if (p.command.empty()) throw UsageError("no command to run");
    return p;
}

// After our exec, asks omxd to move us (we are then the command) to the chosen node.
void place_after_exec(pid_t self, uint16_t node, bool quiet_failure) {
    pid_t helper = ::fork();
    if (helper != 0) {
        if (helper > 0) ::waitpid(helper, nullptr, 0);
        return;
    }
    if (::fork() != 0) _exit(0);   // the placer is nobody's child: no zombie for the command
    std::string before = std::filesystem::read_symlink("/proc/self/exe").string();
    for (int i = 0; i < 2000; ++i) {   // up to 2 s for the exec
        std::error_code ec;
        auto exe = std::filesystem::read_symlink("/proc/" + std::to_string(self) + "/exe", ec);
        if (ec) _exit(0);
        if (exe.string() != before) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    try {
        omx::control::call({{"cmd", "migrate"}, {"pid", self}, {"to", std::to_string(node)}},
                           omx::control::socket_path(), 310000);
    } catch (const std::exception& e) {
        if (!quiet_failure) std::cerr << "mosrun: the process stays on its home node: " << e.what() << "\n";
    }
    _exit(0);
}

int run(const std::string& tool, const std::vector<std::string>& args) {
    Plan p;
    try {
        p = parse(tool, args);
    } catch (const std::logic_error& e) {
        if (std::string(e.what()) != "help") throw;
        std::cout << kUsage;
        return kExitOk;
    }
    pid_t self = ::getpid();
    try {
        if (!p.keep) omx::control::call({{"cmd", "lock"}, {"pid", self}, {"lock", p.lock ? 1 : 0}});
        if (!p.mask.is_null()) {
            p.mask["pid"] = self;
            omx::control::call(p.mask);
        }
    } catch (const omx::control::NotRunning&) {
        std::cerr << "mosrun: omxd is not running on this node: " << p.command[0] << " runs here only\n";
        p.start_on.clear();
    } catch (const omx::control::CommandError& e) {
        std::cerr << "mosrun: omxd refused the job's options (" << e.what() << "); " << p.command[0]
                  << " runs without them\n";
    }
    if (!p.hints.empty()) ::setenv("MOSRUN_HINTS", p.hints.c_str(), 1);
    if (!p.start_on.empty() && !p.lock) {
        std::mt19937 rng(std::random_device{}());
        place_after_exec(self, p.start_on[rng() % p.start_on.size()], p.forced);
    }
    std::vector<char*> argv;
    for (auto& a : p.command) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    throw ToolError(std::string("cannot run ") + argv[0] + ": " + std::strerror(errno));
}

}  // namespace

int main(int argc, char** argv) {
    std::string tool = ::basename(argv[0]);
    std::vector<std::string> args(argv + 1, argv + argc);
    int rc = run_tool("mosrun", [&] { return run(tool, args); });
    return rc == kExitFailure ? 127 : rc;   // like a shell when the command cannot run
}
