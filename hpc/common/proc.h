#pragma once
// What /proc tells about a process, read the same way by omxd, the deputy and the tools.
#include <sys/types.h>

#include <cstdint>
#include <string>

namespace omx {

// Its command line with the arguments separated by spaces; "" for a kernel thread, a
// process gone, or one whose memory is released (a husk).
std::string command_line(pid_t pid);

// The text of /proc/PID/status ("" when the process is gone), and one field of it: a mask
// (SigPnd:, SigCgt:, ... in hex; 0 when absent) or a number (TracerPid:, ...).
std::string proc_status(pid_t pid);
uint64_t status_mask(const std::string& status, const char* key);
long status_number(const std::string& status, const char* key, long absent = -1);

}  // namespace omx
