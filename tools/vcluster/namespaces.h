#pragma once
// Processes that hold namespaces, and running things inside them. No `ip netns` files:
// a node's namespaces live exactly as long as its holder process (PID 1 of the node's PID
// namespace), so killing the holder removes the node, its mounts and its links at once.
#include <sched.h>

#include <functional>
#include <string>
#include <vector>

#include "common/fd.h"
#include "state.h"

namespace vcluster {

// Starts a holder: a child that unshares `clone_flags` (always including CLONE_NEWPID, so
// it is PID 1 there and reaps orphans), is moved into `cgroups` by us, runs `setup` (mounts,
// hostname...; throwing reports the error back) and then sleeps until killed.
// Returns its reference once `setup` succeeded; throws with setup's message otherwise.
ProcessRef spawn_holder(int clone_flags, const std::string& name,
                        const std::vector<std::string>& cgroups,
                        const std::function<void()>& setup);

// Kills a holder (and so everything in its PID namespace) and waits until it is gone.
void kill_holder(const ProcessRef& holder, int timeout_ms = 5000);

struct RunOptions {
    std::vector<std::string> cgroups;  // moved into these before exec
    std::string path_prefix;           // prepended to PATH (where our binaries are)
    bool detach = false;               // new session, stdin from /dev/null, don't wait
    int output_fd = -1;                // with detach: stdout and stderr go here
};

// Runs argv inside all namespaces of `holder` (net, uts, ipc, pid, mnt).
// Attached: returns the exit status the way a shell reports it (128+signal when killed).
// Detached: returns the started process's pid as seen from the host.
int run_in_node(const ProcessRef& holder, const std::vector<std::string>& argv, const RunOptions& opt);

// Runs argv in the network namespace of `holder` only (for `ip`), feeding `input` on
// stdin. Throws with the command's output when it fails.
void run_in_netns(const ProcessRef& holder, const std::vector<std::string>& argv, const std::string& input = "");

// A TCP connection to address:port made from inside holder's network namespace (the
// switch's, for the host to reach node services); the socket keeps that namespace after we
// return to ours. Throws naming the address when it cannot connect within timeout_ms.
omx::UniqueFd connect_in_netns(const ProcessRef& holder, const std::string& address, int port, int timeout_ms);

// Host pids of the processes in holder's PID namespace whose command name is one of `comms`
// (every process there but the holder when `comms` is empty).
std::vector<int> processes_in_node(const ProcessRef& holder, const std::vector<std::string>& comms);

}  // namespace vcluster
