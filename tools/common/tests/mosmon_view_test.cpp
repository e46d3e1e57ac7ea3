#include "mosmon_view.h"

#include <gtest/gtest.h>

#include "tool_main.h"

namespace omx::tools {
namespace {

NodeInfo node(uint16_t id, bool up, long long load = 0) {
    NodeInfo n;
    n.id = id, n.up = up, n.load = load, n.speed = 300, n.cpus = 2, n.util = 25;
    n.mem = 256 * 300, n.rmem = 256 * 280, n.tmem = 256 * 1024;
    return n;
}

TEST(MosmonView, TitlesDifferPerView) {
    EXPECT_STREQ(view_title(MonView::Load), "Load");
    EXPECT_STREQ(view_title(MonView::Speed), "Speed");
    EXPECT_STREQ(view_title(MonView::Memory), "Memory");
    EXPECT_STREQ(view_title(MonView::Util), "Utilization");
    MonView v = MonView::Load;
    EXPECT_TRUE(view_for_key('m', v));
    EXPECT_EQ(v, MonView::Memory);
    EXPECT_FALSE(view_for_key('x', v));
    EXPECT_EQ(v, MonView::Memory);
}

TEST(MosmonView, BarMath) {
    EXPECT_EQ(bar_rows(0, 100, 20), 0);
    EXPECT_EQ(bar_rows(1, 1000, 20), 1);    // tiny but non-zero stays visible
    EXPECT_EQ(bar_rows(50, 100, 20), 10);
    EXPECT_EQ(bar_rows(250, 100, 20), 20);  // clamped to the chart
    EXPECT_EQ(bar_rows(50, 100, 0), 0);
}

TEST(MosmonView, ChartTopIsFriendlyAndIgnoresDownNodes) {
    std::vector<NodeInfo> ns = {node(1, true, 130), node(2, false, 900)};
    EXPECT_EQ(chart_top(MonView::Load, ns), 200);
    EXPECT_EQ(chart_top(MonView::Util, ns), 100);
    EXPECT_EQ(chart_top(MonView::Speed, ns), 500);
    EXPECT_EQ(chart_top(MonView::Memory, ns), 256 * 1024);
    EXPECT_EQ(chart_top(MonView::Load, {}), 100);
    EXPECT_DOUBLE_EQ(bar_value(MonView::Memory, ns[0]), 256.0 * (1024 - 300));
}

TEST(MosmonView, ColumnsScrollWhenNodesDoNotFit) {
    ColumnLayout l = column_layout(80, 4, 4, 0);
    EXPECT_EQ(l.visible, 4);
    EXPECT_EQ(l.first, 0);
    l = column_layout(8 + 5 * 10, 30, 30, 25);
    EXPECT_EQ(l.visible, 10);
    EXPECT_EQ(l.first, 20);  // clamped so the last page is full
    l = column_layout(80, 3, 65535, 0);
    EXPECT_EQ(l.column_width, 6);
    EXPECT_EQ(clamp_scroll(-3, 10, 4), 0);
}

TEST(MosmonView, ScaleLabels) {
    EXPECT_EQ(scale_label(MonView::Load, 200), "200");
    EXPECT_EQ(scale_label(MonView::Util, 50), "50%");
    EXPECT_EQ(scale_label(MonView::Memory, 256 * 512), "512M");
    EXPECT_EQ(scale_label(MonView::Memory, 256 * 1024 * 3), "3.0G");
}

TEST(MosmonView, OnceTableOneLinePerNodeStartingWithTheId) {
    std::string t = once_table({node(1, true, 120), node(2, false)});
    EXPECT_EQ(t,
              "NODE STATE   LOAD  SPEED CPUS  FREE(MB) TOTAL(MB) UTIL%\n"
              "   1 up       120    300    2       300      1024    25\n"
              "   2 down\n"
              "Total: 1 of 2 nodes up, 2 CPUs, load 120, speed 300, memory 724/1024 MB used, util 25%\n");
}

TEST(MosmonView, Arguments) {
    EXPECT_TRUE(parse_mosmon_args({"--once"}).once);
    EXPECT_TRUE(parse_mosmon_args({"-b"}).once);
    EXPECT_EQ(parse_mosmon_args({"-d", "0.5"}).interval_ms, 500);
    EXPECT_EQ(parse_mosmon_args({"-m"}).view, MonView::Memory);
    EXPECT_TRUE(parse_mosmon_args({"-t"}).totals);
    EXPECT_THROW(parse_mosmon_args({"-d", "soon"}), UsageError);
    EXPECT_THROW(parse_mosmon_args({"-d"}), UsageError);
    EXPECT_THROW(parse_mosmon_args({"--bogus"}), UsageError);
}

}  // namespace
}  // namespace omx::tools
