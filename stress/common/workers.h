#pragma once
// What every stress program shares: how many processes to fork (the cluster's CPUs, as
// omxd knows them), and forking workers that each report one line of result over a pipe.
// A worker's result is what the parent checks; a worker that dies or says nothing fails.
#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace omx::stress {

// CPUs of the up nodes of the cluster (omxd's "nodes"), or of this machine without omxd.
int cluster_cpus();

struct WorkerResult {
    int index = 0;
    pid_t pid = 0;
    int status = 0;            // wait status
    std::string output;        // what it wrote to its pipe
    bool ok() const;           // exited 0
};

// Forks `n` workers running body(index) (its return value is its output, its exit status
// 0; an exception makes it exit 1 with the message as output) and waits for all of them.
std::vector<WorkerResult> run_workers(int n, const std::function<std::string(int)>& body);

// "name: PASS|FAIL detail" — the one line each program ends with (the harness reads it).
std::string verdict_line(const std::string& name, bool pass, const std::string& detail);

}  // namespace omx::stress
