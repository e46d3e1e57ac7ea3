// distkeygen (HOWTO 13.3): KEYS RSA key pairs of BITS bits, split over as many forked
// processes as the cluster has CPUs; every pair is checked (consistency, sign/verify) by
// the worker that made it, and the parent checks that every key was made.
#include <chrono>
#include <iostream>

#include "keys.h"
#include "program.h"
#include "workers.h"

using namespace omx::stress;

int main(int argc, char** argv) {
    CLI::App app("distkeygen: RSA key pairs made and checked by one process per CPU of the cluster", "distkeygen");
    int keys = 4000, bits = 1024, procs = 0;
    app.add_option("-k,--keys", keys, "key pairs in all (default 4000)")->check(CLI::Range(1, 10000000));
    app.add_option("-b,--bits", bits, "RSA modulus bits (default 1024)")->check(CLI::Range(512, 16384));
    app.add_option("-p,--procs", procs, "worker processes (default: the cluster's CPUs)")->check(CLI::Range(1, 4096));
    return run_program(app, argc, argv, [&]() -> std::pair<bool, std::string> {
        if (procs == 0) procs = cluster_cpus();
        procs = std::min(procs, keys);
        auto t0 = std::chrono::steady_clock::now();
        auto results = run_workers(procs, [&](int i) {
            int share = keys / procs + (i < keys % procs ? 1 : 0);
            return make_and_check_keys(share, bits);
        });
        double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        long made = 0;
        int bad = 0;
        std::string first;
        for (const auto& r : results) {
            int share = keys / procs + (r.index < keys % procs ? 1 : 0);
            long count = r.ok() ? std::atol(r.output.c_str()) : -1;
            std::string why = !r.ok() ? "worker " + std::to_string(r.index) + " failed: " + r.output
                            : count != share ? "worker " + std::to_string(r.index) + " made " + std::to_string(count) +
                                                   " keys, not " + std::to_string(share)
                                             : "";
            std::cout << "worker " << r.index << ": " << (why.empty() ? "ok " + r.output : why) << "\n";
            if (why.empty()) made += count;
            else if (!bad++) first = why;
        }
        std::cout << made << " key pairs of " << bits << " bits checked in " << seconds << " s: "
                  << (seconds > 0 ? double(made) / seconds : 0) << " key pairs/s\n";
        if (bad) return {false, std::to_string(bad) + " of " + std::to_string(procs) + " workers wrong: " + first};
        return {true, std::to_string(made) + " key pairs, " + std::to_string(procs) + " workers"};
    });
}
