#include "mtop_view.h"

#include <gtest/gtest.h>

#include "tool_main.h"

namespace omx::tools {
namespace {

ProcessInfo process(long pid, unsigned long long ticks, unsigned long long start = 1000, int node = 0) {
    ProcessInfo p;
    p.pid = pid, p.ticks = ticks, p.start = start, p.node = node;
    p.user = "root", p.state = "R", p.command = "cmd" + std::to_string(pid);
    return p;
}

TEST(MtopArgs, Defaults) {
    MtopOptions o = parse_mtop_args({});
    EXPECT_DOUBLE_EQ(o.delay_seconds, 3);
    EXPECT_FALSE(o.iterations);
    EXPECT_FALSE(o.batch);
    EXPECT_TRUE(o.pids.empty());
    EXPECT_FALSE(o.help);
}

TEST(MtopArgs, AllOptions) {
    MtopOptions o = parse_mtop_args({"-b", "-d", "0.5", "-n", "2", "-p", "12,345", "-p7"});
    EXPECT_TRUE(o.batch);
    EXPECT_DOUBLE_EQ(o.delay_seconds, 0.5);
    EXPECT_EQ(o.iterations, 2);
    EXPECT_EQ(o.pids, (std::vector<long>{12, 345, 7}));
    EXPECT_DOUBLE_EQ(parse_mtop_args({"-d2"}).delay_seconds, 2);
    EXPECT_DOUBLE_EQ(parse_mtop_args({"-d", ".25"}).delay_seconds, 0.25);
    EXPECT_TRUE(parse_mtop_args({"--help"}).help);
    EXPECT_TRUE(parse_mtop_args({"-h"}).help);
}

TEST(MtopArgs, BadDelaysAreUsageErrors) {
    for (const char* bad : {"0", "0.0", "-1", "abc", "", "1.2.3", " 3", "3s", "1e3", "inf", "nan", ".", "86401"})
        EXPECT_THROW(parse_mtop_args({"-d", bad}), UsageError) << "'" << bad << "'";
    EXPECT_THROW(parse_mtop_args({"-d"}), UsageError);
    try {
        parse_mtop_args({"-d", "0"});
        FAIL();
    } catch (const UsageError& e) {
        EXPECT_STREQ(e.what(), "bad delay '0' (seconds, more than 0 and at most 86400)");
    }
}

TEST(MtopArgs, OtherBadCommandLines) {
    EXPECT_THROW(parse_mtop_args({"-n", "0"}), UsageError);
    EXPECT_THROW(parse_mtop_args({"-n", "x"}), UsageError);
    EXPECT_THROW(parse_mtop_args({"-n"}), UsageError);
    EXPECT_THROW(parse_mtop_args({"-p", ""}), UsageError);
    EXPECT_THROW(parse_mtop_args({"-p", "0"}), UsageError);
    EXPECT_THROW(parse_mtop_args({"-p", "12,"}), UsageError);
    EXPECT_THROW(parse_mtop_args({"-p", "12,,3"}), UsageError);
    EXPECT_THROW(parse_mtop_args({"-p", "-5"}), UsageError);
    EXPECT_THROW(parse_mtop_args({"-p"}), UsageError);
    EXPECT_THROW(parse_mtop_args({"-x"}), UsageError);
    EXPECT_THROW(parse_mtop_args({"42"}), UsageError);
}

TEST(MtopCpu, PercentOfOneCpuOverTheInterval) {
    EXPECT_DOUBLE_EQ(cpu_percent(300, 100, 3.0), 100.0);   // busy all the time
    EXPECT_DOUBLE_EQ(cpu_percent(150, 100, 3.0), 50.0);
    EXPECT_DOUBLE_EQ(cpu_percent(600, 100, 3.0), 200.0);   // two busy threads
    EXPECT_DOUBLE_EQ(cpu_percent(0, 100, 3.0), 0.0);
    EXPECT_DOUBLE_EQ(cpu_percent(50, 100, 0.0), 0.0);      // no time passed: no figure
    EXPECT_DOUBLE_EQ(cpu_percent(50, 0, 1.0), 0.0);
}

TEST(MtopCpu, TicksSinceThePreviousSample) {
    TickHistory before = tick_history({process(10, 500), process(11, 40, 2000)});
    EXPECT_EQ(ticks_since(before, process(10, 650)), 150u);
    EXPECT_EQ(ticks_since(before, process(12, 30)), 30u);        // new: all its ticks are new
    EXPECT_EQ(ticks_since(before, process(11, 7, 9000)), 7u);    // PID reused by a later process
    EXPECT_EQ(ticks_since(before, process(10, 499)), 0u);        // never negative
}

TEST(MtopCpu, RowsBusiestFirstWithMemory) {
    NodeFigures node;
    node.ticks_per_second = 100, node.page_size = 4096, node.mem_total_kb = 1024 * 1024;  // 1 GiB
    TickHistory before = tick_history({process(1, 0), process(2, 0), process(3, 0)});
    std::vector<ProcessInfo> now = {process(1, 10), process(2, 200), process(3, 10), process(4, 0)};
    now[1].rss_pages = 256 * 256;  // 256 MiB
    auto rows = top_rows(now, before, 2.0, node);
    ASSERT_EQ(rows.size(), 4u);
    EXPECT_EQ(rows[0].process.pid, 2);
    EXPECT_DOUBLE_EQ(rows[0].cpu, 100.0);
    EXPECT_DOUBLE_EQ(rows[0].mem, 25.0);
    EXPECT_EQ(rows[1].process.pid, 1);  // ties by PID
    EXPECT_EQ(rows[2].process.pid, 3);
    EXPECT_DOUBLE_EQ(rows[2].cpu, 5.0);
    EXPECT_EQ(rows[3].process.pid, 4);
    EXPECT_DOUBLE_EQ(mem_percent(100, 4096, 0), 0.0);
}

TEST(MtopText, ProcFiles) {
    EXPECT_EQ(parse_mem_total_kb("MemTotal:        2031616 kB\nMemFree:  1 kB\n"), 2031616u);
    EXPECT_EQ(parse_mem_total_kb("MemFree:  1 kB\nMemTotal: 512 kB\n"), 512u);
    EXPECT_EQ(parse_mem_total_kb("MemFree:  1 kB\n"), 0u);
    EXPECT_EQ(parse_load1("0.52 0.58 0.59 1/467 12345\n"), "0.52");
    EXPECT_EQ(parse_load1(""), "?");
}

TEST(MtopText, HeaderTitlesAndRows) {
    NodeFigures node;
    node.mem_total_kb = 1024 * 1024;
    auto away = process(4242, 0, 1000, 2);
    away.state = "t";
    std::vector<ProcessInfo> now = {process(1, 250), away, process(7, 0)};
    now[0].user = "averylongname";
    auto rows = top_rows(now, {}, 0.0, node);
    EXPECT_EQ(header_line("12:34:56", rows, "0.52"), "mtop - 12:34:56  3 processes, 1 away, load average: 0.52");
    EXPECT_EQ(header_line("12:34:56", {rows[0]}, "0.52"), "mtop - 12:34:56  1 process, 0 away, load average: 0.52");
    EXPECT_EQ(column_titles(), "    PID USER     NODE STAT  %CPU  %MEM   TIME COMMAND");
    EXPECT_EQ(row_text(rows[0], 100), "      1 averylo+    0 R      0.0   0.0   0:02 cmd1");
    ASSERT_EQ(rows[2].process.pid, 4242);  // all idle: by PID
    rows[2].cpu = 99.96;
    EXPECT_EQ(row_text(rows[2], 100), "   4242 root        2 t    100.0   0.0   0:00 cmd4242");
    EXPECT_EQ(batch_text("H", {rows[1]}, 100),
              "H\n\n    PID USER     NODE STAT  %CPU  %MEM   TIME COMMAND\n"
              "      7 root        0 R      0.0   0.0   0:00 cmd7\n");
}

}  // namespace
}  // namespace omx::tools
