#pragma once
// The frame of every stress program: CLI11 options, --help, the verdict line, exit status
// 0 when the test passed, 1 when it failed (a wrong result, a worker that died), 2 for a
// bad command line and 77 when it could not run here (automake's "skipped": mfstest
// without oMFS, acceptance without omxd), so a harness tells "not tested" from "broken".
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <utility>

namespace omx::stress {

enum class Verdict { pass, fail, skip };

inline constexpr int kExitPass = 0;
inline constexpr int kExitFail = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitSkip = 77;

// What a test found: its verdict and the detail for the verdict line.
struct Outcome {
    Verdict verdict = Verdict::fail;
    std::string detail;

    static Outcome pass(std::string d) { return {Verdict::pass, std::move(d)}; }
    static Outcome fail(std::string d) { return {Verdict::fail, std::move(d)}; }
    static Outcome skip(std::string d) { return {Verdict::skip, std::move(d)}; }
};

int exit_status(Verdict v);
const char* verdict_word(Verdict v);   // PASS, FAIL, SKIP
// "name: PASS|FAIL|SKIP detail".
std::string verdict_line(const std::string& name, Verdict v, const std::string& detail);

// Parses argv with `app`, then runs `test`, which prints its own table and returns its
// outcome; prints the verdict line and returns the exit status (an exception is a FAIL).
int run_program(CLI::App& app, int argc, char** argv, const std::function<Outcome()>& test);

// The same for a test that cannot be skipped: pass or fail and a detail.
int run_program(CLI::App& app, int argc, char** argv, const std::function<std::pair<bool, std::string>()>& test);

}  // namespace omx::stress
