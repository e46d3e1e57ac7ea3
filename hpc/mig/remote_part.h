#pragma once
// The remote part: supervises a restored process that runs under the migrated-process
// filter, sending every forwarded call to the deputy and answering the process with the
// result, until the process ends.
#include <sys/types.h>

#include <cstdint>

#include "forward.h"

namespace omx::mig {

struct SuperviseStats {
    uint64_t forwarded = 0;   // calls executed at home
    uint64_t refused = 0;     // calls that would need the process home (ENOSYS for now)
    uint64_t signals = 0;     // signals sent to the home PID and passed on
    bool husk_died = false;   // the home side was killed: so was the process
};

// Returns the process's wait status when it ends. `remote` must be our child.
int supervise(pid_t remote, int listener, Deputy& deputy, SuperviseStats* stats = nullptr);

}  // namespace omx::mig
