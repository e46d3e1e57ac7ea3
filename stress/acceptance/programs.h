#pragma once
// acceptance's sub-tests: the HOWTO's small programs, each run as a child of acceptance
// and checked through omxd. Children are owned by Child objects, so whatever way a
// sub-test ends, they are killed and reaped.
#include <chrono>

#include "cluster.h"
#include "program.h"

namespace omx::stress {

struct AcceptanceContext {
    ClusterView view;
    std::chrono::seconds wait{30};      // for the balancer to spread processes
    std::chrono::seconds timeout{300};  // for a child to finish its work
    int awk_n = 10000;                  // the awk loops' bound
    int messages = 300;                 // numbers the pipe pair exchanges
};

Outcome test_busyloop(const AcceptanceContext& ctx);   // (a) runs away from home
Outcome test_shmget(const AcceptanceContext& ctx);     // (b) refused: mem_lock
Outcome test_pipe(const AcceptanceContext& ctx);       // (c) keeps talking while away
Outcome test_pthreads(const AcceptanceContext& ctx);   // (d) refused: clone_vm, finishes
Outcome test_awk(const AcceptanceContext& ctx);        // (e) spread by the balancer

}  // namespace omx::stress
