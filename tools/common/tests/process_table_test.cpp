#include "process_table.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>

namespace omx::tools {
namespace {

// A /proc/PID/stat line as Linux writes it (52 fields), with the given pid and comm.
std::string stat_line(const std::string& pid_and_comm, const std::string& state = "R") {
    return pid_and_comm + " " + state +
           " 1 42 42 34816 42 4194560 100 0 0 0 250 50 0 0 20 0 1 0 12345 1000000 321 "
           "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
}

TEST(ProcStat, ParsesTheFieldsTheToolsUse) {
    auto s = parse_proc_stat(stat_line("4242 (busyloop)"));
    ASSERT_TRUE(s);
    EXPECT_EQ(s->pid, 4242);
    EXPECT_EQ(s->comm, "busyloop");
    EXPECT_EQ(s->state, "R");
    EXPECT_EQ(s->tty_nr, 34816);
    EXPECT_EQ(s->ticks, 300u);  // utime 250 + stime 50
    EXPECT_EQ(s->start, 12345u);
    EXPECT_EQ(s->rss_pages, 321);
}

TEST(ProcStat, CommMayHoldSpacesAndParentheses) {
    auto s = parse_proc_stat(stat_line("1 (a (b) c)"));
    ASSERT_TRUE(s);
    EXPECT_EQ(s->pid, 1);
    EXPECT_EQ(s->comm, "a (b) c");
    EXPECT_EQ(s->state, "R");
    EXPECT_EQ(s->ticks, 300u);
    s = parse_proc_stat(stat_line("7 ()) R (x)", "t"));
    ASSERT_TRUE(s);
    EXPECT_EQ(s->comm, ")) R (x");
    EXPECT_EQ(s->state, "t");
    s = parse_proc_stat(stat_line("8 ()"));
    ASSERT_TRUE(s);
    EXPECT_EQ(s->comm, "");
}

TEST(ProcStat, RejectsWhatIsNotAStatLine) {
    EXPECT_FALSE(parse_proc_stat(""));
    EXPECT_FALSE(parse_proc_stat("4242 busyloop R 1 2 3"));
    EXPECT_FALSE(parse_proc_stat(") 4242 (busyloop R"));
    EXPECT_FALSE(parse_proc_stat("4242 (busyloop) R 1 42 42 34816"));  // cut short
    EXPECT_FALSE(parse_proc_stat(stat_line("x (busyloop)")));
    std::string bad = stat_line("4242 (busyloop)");
    bad.replace(bad.find(" 250 "), 5, " 2x0 ");
    EXPECT_FALSE(parse_proc_stat(bad));
}

TEST(ProcessTable, TtyNamesAsPsWritesThem) {
    EXPECT_EQ(tty_name(0), "?");
    EXPECT_EQ(tty_name(136 << 8 | 3), "pts/3");
    EXPECT_EQ(tty_name(137 << 8 | 1), "pts/257");
    EXPECT_EQ(tty_name(4 << 8 | 1), "tty1");
    EXPECT_EQ(tty_name(4 << 8 | 64), "ttyS0");
    EXPECT_EQ(tty_name(5 << 8 | 1), "5:1");
}

TEST(ProcessTable, CpuTimeInMinutesAndSeconds) {
    EXPECT_EQ(cpu_time_text(0, 100), "0:00");
    EXPECT_EQ(cpu_time_text(199, 100), "0:01");
    EXPECT_EQ(cpu_time_text(100 * 125, 100), "2:05");
    EXPECT_EQ(cpu_time_text(100 * 3600 * 2, 100), "120:00");
}

TEST(ProcessTable, AwayProcessesGetTheirNodeAndCommand) {
    std::vector<ProcessInfo> ps(3);
    ps[0].pid = 10, ps[0].command = "sh";
    ps[1].pid = 11, ps[1].command = "[busyloop]";  // the husk: no memory, no argv
    ps[2].pid = 12, ps[2].command = "[sleep]";
    AwayMap away{{11, {2, "./busyloop -v"}}, {12, {3, ""}}, {99, {4, "gone"}}};
    mark_away(ps, away);
    EXPECT_EQ(ps[0].node, 0);
    EXPECT_EQ(ps[0].command, "sh");
    EXPECT_EQ(ps[1].node, 2);
    EXPECT_EQ(ps[1].command, "./busyloop -v");
    EXPECT_EQ(ps[2].node, 3);
    EXPECT_EQ(ps[2].command, "[sleep]");  // omxd did not say: keep what /proc said
}

TEST(ProcessTable, ReadsThisProcess) {
    auto pids = all_pids();
    EXPECT_TRUE(std::is_sorted(pids.begin(), pids.end()));
    EXPECT_TRUE(std::binary_search(pids.begin(), pids.end(), long(getpid())));
    int missing = -1;
    auto ps = read_processes({long(getpid()), 0x7ffffffeL}, &missing);
    ASSERT_EQ(ps.size(), 1u);
    EXPECT_EQ(missing, 1);
    EXPECT_EQ(ps[0].pid, getpid());
    EXPECT_EQ(ps[0].uid, geteuid());
    EXPECT_EQ(ps[0].state, "R");
    EXPECT_GT(ps[0].rss_pages, 0);
    EXPECT_NE(ps[0].command.find("omxtools_test"), std::string::npos) << ps[0].command;
    EXPECT_EQ(ps[0].node, 0);
}

}  // namespace
}  // namespace omx::tools
