#pragma once
// What /proc tells about a process, read the same way by omxd, the deputy and the tools.
#include <sys/types.h>

#include <string>

namespace omx {

// Its command line with the arguments separated by spaces; "" for a kernel thread, a
// process gone, or one whose memory is released (a husk).
std::string command_line(pid_t pid);

}  // namespace omx
