#pragma once
// A migrated process's clocks. CLOCK_MONOTONIC and CLOCK_BOOTTIME count from each kernel's
// boot, so a process moved to a node that booted later (another VM, a rebooted machine)
// would see them jump back. The checkpoint records them as the process saw them; the
// restore puts the process in a time namespace of its own whose offsets make them carry on
// from there (they stand still while the process is frozen, as in CRIU). Kernels without
// time namespaces (User-Mode Linux, CONFIG_TIME_NS unset) keep their own clocks.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace omx::mig {

struct ProcessClocks {
    int64_t monotonic_ns = 0;
    int64_t boottime_ns = 0;
};

// The offsets of /proc/<pid>/timens_offsets ("monotonic S N" / "boottime S N" lines, or
// the clock ids 1 and 7); nullopt when the text is not that.
std::optional<ProcessClocks> parse_timens_offsets(const std::string& text);
// The text that sets `offsets` when written to /proc/self/timens_offsets.
std::string format_timens_offsets(const ProcessClocks& offsets);

// The clocks as process `pid` sees them now: ours plus its time namespace's offsets.
ProcessClocks clocks_of(pid_t pid);

// Moves the caller (single-threaded: a child just forked) into a new time namespace where
// the clocks read `want` now. False, with errno, when the kernel cannot (no time
// namespaces); the caller then keeps the node's clocks.
bool enter_time_namespace_at(const ProcessClocks& want);

}  // namespace omx::mig
