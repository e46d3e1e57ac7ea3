// mfstest (HOWTO 13.3): a 10 MB file copied through oMFS to every node and back, its
// SHA-256 checked after each copy. Without oMFS mounted it says so, as omtest did, and
// exits 77 (skipped).
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cluster.h"
#include "mfs.h"
#include "program.h"

using namespace omx::stress;
namespace fs = std::filesystem;

namespace {

struct Options {
    std::string mfs = "/mfs";
    std::string dir = "tmp";
    size_t bytes = 10 << 20;
    unsigned long long seed = 1;
};

std::string read_mountinfo() {
    std::ifstream in("/proc/self/mountinfo");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// The up nodes as omxd sees them; without omxd, the node directories oMFS shows.
std::vector<std::string> node_dirs(const std::string& mfs) {
    std::vector<std::string> nodes;
    if (auto view = cluster_view()) {
        for (int id : view->up) nodes.push_back(std::to_string(id));
        return nodes;
    }
    for (const auto& e : fs::directory_iterator(mfs)) {
        std::string name = e.path().filename().string();
        bool numeric = !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isdigit(c); });
        if (numeric) nodes.push_back(name);
    }
    std::sort(nodes.begin(), nodes.end(), [](const auto& a, const auto& b) { return std::stoi(a) < std::stoi(b); });
    return nodes;
}

void print_leg(const MfsLeg& leg) {
    double rate = leg.seconds > 0 ? double(leg.bytes) / leg.seconds / 1e6 : 0;
    std::printf("node %-4s %-5s %10zu bytes %7.3f s %8.1f MB/s  %s\n", leg.node.c_str(), leg.direction.c_str(), leg.bytes, leg.seconds,
                rate, leg.error.empty() ? "sha256 ok" : leg.error.c_str());
    std::fflush(stdout);
}

Outcome run(const Options& opt) {
    if (!mounted_at(read_mountinfo(), fs::weakly_canonical(opt.mfs).string())) {
        std::printf("oMFS is not mounted at %s! oMFS-test will be disabled.\n", opt.mfs.c_str());
        std::printf("Please mount oMFS before running this openMosix-test\n");
        return Outcome::skip("oMFS is not mounted at " + opt.mfs);
    }
    MfsPlan plan;
    plan.root = opt.mfs;
    plan.workdir = opt.dir + "/mfstest." + std::to_string(::getpid());
    plan.nodes = node_dirs(opt.mfs);
    plan.bytes = opt.bytes;
    plan.seed = opt.seed;
    if (plan.nodes.empty()) return Outcome::fail("no node directories under " + opt.mfs);
    auto legs = mfs_round_trips(plan);
    std::string first;
    for (const auto& leg : legs) {
        print_leg(leg);
        if (!leg.error.empty() && first.empty()) first = "the copy " + leg.direction + " via node " + leg.node + " is wrong: " + leg.error;
    }
    if (!first.empty()) return Outcome::fail(first);
    return Outcome::pass(std::to_string(plan.bytes) + " bytes to " + std::to_string(plan.nodes.size()) +
                         " node(s) and back through " + opt.mfs + ", every SHA-256 right");
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app("mfstest: a file copied through oMFS to every node and back, its SHA-256 checked each time", "mfstest");
    Options opt;
    app.add_option("-s,--size", opt.bytes, "bytes in the file, e.g. 10485760 or 10MiB (default 10 MiB)")
        ->transform(CLI::AsSizeValue(false))
        ->type_name("BYTES")
        ->check(CLI::Range(size_t(1), size_t(std::min<uint64_t>(uint64_t(1) << 40, SIZE_MAX))));   // 1 TiB, or what size_t holds
    app.add_option("--seed", opt.seed, "seed of the file's pseudo-random bytes (default 1)");
    app.add_option("--mfs", opt.mfs, "where oMFS is mounted (default /mfs)");
    app.add_option("-d,--dir", opt.dir, "directory under each node's root to copy into (default tmp)");
    return run_program(app, argc, argv, [&] { return run(opt); });
}
