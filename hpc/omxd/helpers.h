#pragma once
// omxd's helper programs (omx-deputy, omx-remote, omx-mfs): where they are and how they
// start.
#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace omx {

// A program installed next to omxd.
std::string helper_path(const char* name);

// Starts `argv` with `fds` (parent fd -> fd number in the child) and nothing else open but
// stderr, in a session of its own: helpers outlive an omxd restart and its signals.
pid_t spawn(const std::vector<std::string>& argv, const std::vector<std::pair<int, int>>& fds);

}  // namespace omx
