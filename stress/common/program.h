#pragma once
// The frame of every stress program: CLI11 options, --help, the verdict line, exit status
// 0 when the test passed, 1 when it failed (a wrong result, a worker that died), 2 for a
// bad command line.
#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace omx::stress {

// Parses argv with `app`, then runs `test`, which prints its own table and returns
// whether it passed and a detail for the verdict line.
int run_program(CLI::App& app, int argc, char** argv, const std::function<std::pair<bool, std::string>()>& test);

}  // namespace omx::stress
