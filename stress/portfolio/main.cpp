// portfolio (HOWTO 13.2): the Monte-Carlo portfolio simulation in 3 x CPUs processes; each
// finds the best of its random portfolios (yield ratio = mean / stddev of the monthly
// return); the parent prints the table and recomputes every worker's outcome to check it.
#include <cstdio>
#include <iostream>

#include "portfolio.h"
#include "program.h"
#include "workers.h"

using namespace omx::stress;

int main(int argc, char** argv) {
    CLI::App app("portfolio: Monte-Carlo portfolio simulation in 3 x CPUs processes, each result checked", "portfolio");
    int procs = 0, portfolios = 2000, months = 120;
    uint64_t seed = 1;
    app.add_option("-p,--procs", procs, "worker processes (default: 3 x the cluster's CPUs)")->check(CLI::Range(1, 4096));
    app.add_option("-n,--portfolios", portfolios, "random portfolios per worker (default 2000)")->check(CLI::Range(1, 100000000));
    app.add_option("-m,--months", months, "months simulated (default 120)")->check(CLI::Range(2, 100000));
    app.add_option("--seed", seed, "first worker's seed (worker i uses seed + i)");
    return run_program(app, argc, argv, [&]() -> std::pair<bool, std::string> {
        if (procs == 0) procs = 3 * cluster_cpus();
        auto results = run_workers(procs, [&](int i) { return format_outcome(simulate_portfolios(seed + uint64_t(i), portfolios, months)); });
        std::printf("%-8s %10s %10s %12s\n", "worker", "mean %", "stddev %", "yield ratio");
        int bad = 0;
        std::string first;
        for (const auto& r : results) {
            std::string why = !r.ok() ? "worker " + std::to_string(r.index) + " failed: " + r.output
                                      : check_outcome(r.output, simulate_portfolios(seed + uint64_t(r.index), portfolios, months));
            if (auto o = parse_outcome(r.output); why.empty() && o)
                std::printf("%-8d %10.4f %10.4f %12.4f\n", r.index, o->mean, o->stddev, o->ratio);
            else
                std::printf("%-8d %s\n", r.index, why.c_str());
            if (!why.empty() && !bad++) first = why;
        }
        std::fflush(stdout);
        if (bad) return {false, std::to_string(bad) + " of " + std::to_string(procs) + " workers wrong: " + first};
        return {true, std::to_string(procs) + " workers x " + std::to_string(portfolios) + " portfolios x " +
                          std::to_string(months) + " months"};
    });
}
