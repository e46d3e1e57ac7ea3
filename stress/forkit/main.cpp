// forkit (HOWTO 13.3): like eatmem with 3 x CPUs forked workers and no file I/O: each
// reports its loop count and final value over a pipe, the parent checks them.
#include <iostream>

#include "eat.h"
#include "program.h"
#include "workers.h"

using namespace omx::stress;

int main(int argc, char** argv) {
    CLI::App app("forkit: 3 x CPUs forked CPU workers, no file I/O; checks every result", "forkit");
    int procs = 0;
    long loops = 1000000;
    app.add_option("-p,--procs", procs, "worker processes (default: 3 x the cluster's CPUs)")->check(CLI::Range(1, 4096));
    app.add_option("-l,--loops", loops, "sin+sqrt loops per worker (default 1000000)")->check(CLI::Range(1L, kMaxEatLoops));
    return run_program(app, argc, argv, [&]() -> std::pair<bool, std::string> {
        if (procs == 0) procs = 3 * cluster_cpus();
        auto results = run_workers(procs, [&](int) { return format_eat(eat(loops)); });
        EatResult expected = eat(loops);
        int bad = 0;
        std::string first;
        for (const auto& r : results) {
            std::string why = !r.ok() ? "worker " + std::to_string(r.index) + " failed: " + r.output
                                      : check_eat(r.output, expected);
            std::cout << "worker " << r.index << ": " << (why.empty() ? "ok " + r.output : why) << "\n";
            if (!why.empty() && !bad++) first = why;
        }
        if (bad) return {false, std::to_string(bad) + " of " + std::to_string(procs) + " workers wrong: " + first};
        return {true, std::to_string(procs) + " workers x " + std::to_string(loops) + " loops"};
    });
}
