// acceptance: the HOWTO's small programs as the migration acceptance set — a busy loop that
// runs away, a shmget and a pthreads process that must stay (and say why), a pipe pair
// that keeps talking across nodes, awk jobs the balancer spreads. Each is a child of this
// program, checked through omxd.
#include <signal.h>

#include <iostream>
#include <map>

#include "program.h"
#include "programs.h"
#include "subtests.h"

using namespace omx::stress;

namespace {

struct Options {
    std::string only;
    int wait_s = 30;
    int timeout_s = 300;
    int awk_n = 10000;
    int messages = 300;
};

const std::vector<SubtestName>& all_subtests() {
    static const std::vector<SubtestName> all = {{'a', "busyloop"}, {'b', "shmget"}, {'c', "pipe"}, {'d', "pthreads"}, {'e', "awk"}};
    return all;
}

Outcome run_one(char letter, const AcceptanceContext& ctx) {
    static const std::map<char, Outcome (*)(const AcceptanceContext&)> tests = {
        {'a', test_busyloop}, {'b', test_shmget}, {'c', test_pipe}, {'d', test_pthreads}, {'e', test_awk}};
    try {
        return tests.at(letter)(ctx);
    } catch (const std::exception& e) {
        return Outcome::fail(e.what());
    }
}

Outcome run(const Options& opt) {
    auto chosen = select_subtests(opt.only, all_subtests());
    auto view = cluster_view();
    if (!view) return Outcome::skip("omxd is not running: nothing can migrate");
    // A child gone away from its pipe must fail a sub-test, not kill the program.
    ::signal(SIGPIPE, SIG_IGN);
    AcceptanceContext ctx{*view, std::chrono::seconds(opt.wait_s), std::chrono::seconds(opt.timeout_s), opt.awk_n, opt.messages};
    std::vector<SubtestOutcome> results;
    for (const auto& which : chosen) {
        results.push_back({which, run_one(which.letter, ctx)});
        std::cout << subtest_line(results.back()) << std::endl;
    }
    return combine_subtests(results);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app("acceptance: the HOWTO's small programs as the migration acceptance set, checked through omxd", "acceptance");
    Options opt;
    app.add_option("--only", opt.only, "sub-tests to run, by letter or name: a busyloop, b shmget, c pipe, d pthreads, e awk (default all)")
        ->check([](const std::string& s) {
            try {
                select_subtests(s, all_subtests());
                return std::string();
            } catch (const std::exception& e) {
                return std::string(e.what());
            }
        });
    app.add_option("-w,--wait", opt.wait_s, "seconds the balancer has to move a busy loop or spread the awk jobs (default 30)")
        ->check(CLI::Range(1, 86400));
    app.add_option("-t,--timeout", opt.timeout_s, "seconds a child has to finish its work (default 300)")->check(CLI::Range(1, 86400));
    app.add_option("-N,--awk-n", opt.awk_n, "the awk loops' bound: N x N iterations (default 10000, as the HOWTO)")
        ->check(CLI::Range(1, 1000000));
    app.add_option("-m,--messages", opt.messages, "numbers the pipe pair exchanges (default 300)")->check(CLI::Range(3, 10000000));
    return run_program(app, argc, argv, [&] { return run(opt); });
}
