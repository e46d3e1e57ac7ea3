#pragma once
// syscalls' test set (HOWTO 13.3's "kernel syscall test", run under migration): groups of
// system calls, each checking its own results and returning a record of what it saw. The
// record holds no PIDs of children, names of temporary files or times, so a process that
// runs the groups at home and again on other nodes must get the same records every time:
// a record that differs names a call a migrated process does not see as at home.
#include <functional>
#include <string>
#include <vector>

namespace omx::stress {

struct GroupContext {
    std::string dir = "/tmp";        // where the files group makes its temporary directory
    size_t file_bytes = 64 * 1024;   // written, read, truncated by the files group
    size_t pipe_bytes = 32 * 1024;   // sent each way by the pipes group
    long long last_monotonic_ns = 0; // the time group's previous reading (it must not go back)
};

struct SyscallGroup {
    std::string name;
    // The record, or an exception naming the call that went wrong.
    std::function<std::string(GroupContext&)> run;
};

// files, pipes, time, identity, forkexec, signals — in the order they run. signals is last
// because its interval timer is a call a migrated process makes at home (setitimer is not
// in the syscall table), so it may bring the process home.
const std::vector<SyscallGroup>& syscall_groups();

// The groups by name (for --groups); throws std::invalid_argument for an unknown name.
std::vector<SyscallGroup> select_groups(const std::vector<std::string>& names);

// FNV-1a 64 of `data`, as 16 hex digits: the content checksums the records carry.
std::string checksum(const std::string& data);
// `n` bytes of a fixed pseudo-random pattern (the same in every round).
std::string pattern(size_t n, unsigned seed);

}  // namespace omx::stress
