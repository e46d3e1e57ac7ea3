// eatmem (HOWTO 13.3): one process per CPU of the cluster, each computing sin + sqrt of a
// value LOOPS times and writing its loop count and final value to a file; the parent
// checks every file against the value it computes itself.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "eat.h"
#include "program.h"
#include "workers.h"

using namespace omx::stress;

int main(int argc, char** argv) {
    CLI::App app("eatmem: CPU workers that write their loop count to a file; checks every count", "eatmem");
    int procs = 0;
    long loops = 1000000;
    std::string dir = "/tmp";
    app.add_option("-p,--procs", procs, "worker processes (default: the cluster's CPUs)")->check(CLI::Range(1, 4096));
    app.add_option("-l,--loops", loops, "sin+sqrt loops per worker (default 1000000)")->check(CLI::Range(1L, kMaxEatLoops));
    app.add_option("-d,--dir", dir, "where the workers write their files (default /tmp)")->check(CLI::ExistingDirectory);
    return run_program(app, argc, argv, [&]() -> std::pair<bool, std::string> {
        if (procs == 0) procs = cluster_cpus();
        std::string stem = dir + "/eatmem." + std::to_string(::getpid()) + ".";
        auto results = run_workers(procs, [&](int i) {
            std::ofstream(stem + std::to_string(i)) << format_eat(eat(loops)) << "\n";
            return std::string();
        });
        EatResult expected = eat(loops);
        int bad = 0;
        std::string first;
        for (const auto& r : results) {
            std::string path = stem + std::to_string(r.index);
            std::ifstream in(path);
            std::stringstream text;
            text << in.rdbuf();
            std::string why = !r.ok() ? "worker " + std::to_string(r.index) + " failed: " + r.output
                                      : check_eat(text.str(), expected);
            std::filesystem::remove(path);
            std::cout << "worker " << r.index << ": " << (why.empty() ? "ok " + format_eat(expected) : why) << "\n";
            if (!why.empty() && !bad++) first = why;
        }
        if (bad) return {false, std::to_string(bad) + " of " + std::to_string(procs) + " workers wrong: " + first};
        return {true, std::to_string(procs) + " workers x " + std::to_string(loops) + " loops"};
    });
}
