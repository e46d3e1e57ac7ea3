#pragma once
// What every administration tool does at its edge: turn an exception into one message on
// stderr ("<tool>: <what>") and an exit status, the same way for every tool.
#include <functional>
#include <stdexcept>
#include <string>

namespace omx::tools {

// Exit statuses shared by the tools (scripts such as the init script rely on them).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the request failed, or no daemon
inline constexpr int kExitUsage = 2;    // the command line was wrong

// The command line cannot be understood; printed with a hint to --help, exit 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};
// A failure the tool itself detected (bad value, node down...); exit 1.
struct ToolError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// What mosctl, setpe and showmap say when omxd does not answer on its socket.
inline constexpr const char* kNotRunningText = "omxd is not running on this node";
// What openMosix's monitor always said in that case (kept word for word).
inline constexpr const char* kNotOpenMosixText = "This is NOT a openMosix system!";

// "<tool>: <message>" — a multi-line message keeps its later lines unprefixed, the way
// openMosix printed its two-line "not in the table" complaint.
std::string error_line(const std::string& tool, const std::string& message);

// Runs `body` and maps what it throws to one stderr message and an exit status:
// UsageError -> 2, NotRunning -> `not_running_text`, anything else -> its what(), 1.
int run_tool(const std::string& tool, const std::function<int()>& body,
             const std::string& not_running_text = kNotRunningText);

}  // namespace omx::tools
