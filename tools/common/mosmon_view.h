#pragma once
// mosmon without the terminal: which figure each view charts, how tall a bar is, which
// nodes fit on the screen, and the plain table of `mosmon --once`. The ncurses part
// (tools/mosmon) only draws what these functions computed.
#include <string>
#include <vector>

#include "model.h"

namespace omx::tools {

enum class MonView { Load, Speed, Memory, Util };

// The heading of each view ("Load", "Speed", "Memory", "Utilization").
const char* view_title(MonView v);
// The key that selects a view ('l', 's', 'm', 'u'), or the view for a key.
bool view_for_key(int key, MonView& out);

// The figure a bar shows for a node (memory: pages in use = total - available).
double bar_value(MonView v, const NodeInfo& n);
// What the top of the chart stands for: the largest figure shown, rounded up to a
// friendly step so the scale does not jitter with every refresh. Never 0.
double chart_top(MonView v, const std::vector<NodeInfo>& nodes);
// Rows of a bar `rows` tall for `value` on a chart whose top is `top`; a non-zero value
// gets at least one row so an idle node is told apart from a down one.
int bar_rows(double value, double top, int rows);

// Where columns go: the first node shown and how many fit, given the window width.
struct ColumnLayout {
    int label_width = 8;    // the scale on the left
    int column_width = 5;   // one node
    int first = 0;          // index of the first node shown (scrolling)
    int visible = 0;        // nodes shown
};
ColumnLayout column_layout(int screen_width, int node_count, int max_node_id, int scroll);
// Keeps a scroll offset in 0..(count - visible).
int clamp_scroll(int scroll, int node_count, int visible);

// A value as the scale prints it: 1234 -> "1234", 1.5e6 pages -> "5.7G" for memory.
std::string scale_label(MonView v, double value);

// The totals line ('t'): node counts and cluster-wide sums.
std::string totals_text(const std::vector<NodeInfo>& nodes);

// mosmon --once: a header, then one line per node starting with its id.
std::string once_table(const std::vector<NodeInfo>& nodes);

// mosmon's command line: [--once|-b] [-t] [-d SECONDS] [-l|-s|-m|-u] [--help].
struct MosmonOptions {
    bool once = false;        // print the table once and exit (no terminal needed)
    bool totals = false;      // start with the totals line shown
    int interval_ms = 1000;   // refresh period
    MonView view = MonView::Load;
    bool help = false;
};
// Throws UsageError on an unknown option or a bad -d value.
MosmonOptions parse_mosmon_args(const std::vector<std::string>& args);
std::string mosmon_usage();

// mosmon's help screen lines.
std::vector<std::string> help_lines();

}  // namespace omx::tools
