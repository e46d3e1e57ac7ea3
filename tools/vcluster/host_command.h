#pragma once
// Host programs vcluster runs and reads (ssh-keygen, virsh): output and exit status.
#include <string>
#include <vector>

namespace vcluster {

struct HostCommandResult {
    int status = 0;        // as a shell reports it: the exit code, or 128+signal
    std::string output;    // stdout and stderr together
};

// Runs argv (searched in PATH) with stdin from /dev/null; throws only when it cannot start.
HostCommandResult run_host_command(const std::vector<std::string>& argv);

// The same, throwing with the program's output when it fails; returns that output.
std::string run_host_tool(const std::vector<std::string>& argv);

}  // namespace vcluster
