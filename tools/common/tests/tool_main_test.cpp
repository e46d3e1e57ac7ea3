#include "tool_main.h"

#include <gtest/gtest.h>

#include "common/control.h"

namespace omx::tools {
namespace {

int run_capturing(const std::function<int()>& body, std::string& err,
                  const std::string& not_running = kNotRunningText) {
    testing::internal::CaptureStderr();
    int rc = run_tool("mosctl", body, not_running);
    err = testing::internal::GetCapturedStderr();
    return rc;
}

TEST(ToolMain, ExitStatusesAndOneMessage) {
    std::string err;
    EXPECT_EQ(run_capturing([] { return 0; }, err), 0);
    EXPECT_EQ(err, "");
    EXPECT_EQ(run_capturing([]() -> int { throw control::NotRunning("x"); }, err), 1);
    EXPECT_EQ(err, "mosctl: omxd is not running on this node\n");
    EXPECT_EQ(run_capturing([]() -> int { throw control::NotRunning("x"); }, err, kNotOpenMosixText), 1);
    EXPECT_EQ(err, "mosctl: This is NOT a openMosix system!\n");
    EXPECT_EQ(run_capturing([]() -> int { throw control::CommandError("permission denied: 'set' needs root"); }, err), 1);
    EXPECT_EQ(err, "mosctl: permission denied: 'set' needs root\n");
    EXPECT_EQ(run_capturing([]() -> int { throw UsageError("unknown command 'x'"); }, err), 2);
    EXPECT_EQ(err, "mosctl: unknown command 'x'\nTry 'mosctl --help' for more information.\n");
}

TEST(ToolMain, TwoLineDaemonErrorKeepsOpenMosixWording) {
    EXPECT_EQ(error_line("setpe", "the supplied table is well-formatted,\nbut my IP address (10.210.0.1) is not there!"),
              "setpe: the supplied table is well-formatted,\nbut my IP address (10.210.0.1) is not there!");
}

}  // namespace
}  // namespace omx::tools
