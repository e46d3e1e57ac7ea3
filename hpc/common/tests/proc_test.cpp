#include <gtest/gtest.h>
#include <unistd.h>

#include "common/proc.h"

using namespace omx;

TEST(Proc, StatusFieldsAreFoundByTheirWholeName) {
    std::string status = "Name:\tx\nPid:\t42\nPPid:\t7\nTracerPid:\t0\nSigPnd:\t0000000000000100\nShdPnd:\t0\n";
    EXPECT_EQ(status_number(status, "Pid:"), 42);
    EXPECT_EQ(status_number(status, "PPid:"), 7);
    EXPECT_EQ(status_number(status, "TracerPid:"), 0);
    EXPECT_EQ(status_number(status, "Uid:"), -1);   // absent
    EXPECT_EQ(status_mask(status, "SigPnd:"), 0x100u);
    EXPECT_EQ(status_mask(status, "SigCgt:"), 0u);
}

TEST(Proc, OurOwnStatusAndCommandLine) {
    std::string status = proc_status(getpid());
    EXPECT_EQ(status_number(status, "Pid:"), getpid());
    EXPECT_EQ(status_number(status, "PPid:"), getppid());
    EXPECT_NE(command_line(getpid()).find("omxcommon_test"), std::string::npos);
    EXPECT_EQ(proc_status(-1), "");
}
