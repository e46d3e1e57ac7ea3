#include "mosmon_view.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "tool_main.h"

namespace omx::tools {

const char* view_title(MonView v) {
    switch (v) {
        case MonView::Load: return "Load";
        case MonView::Speed: return "Speed";
        case MonView::Memory: return "Memory";
        case MonView::Util: return "Utilization";
    }
    return "";
}

bool view_for_key(int key, MonView& out) {
    switch (key) {
        case 'l': case 'L': out = MonView::Load; return true;
        case 's': case 'S': out = MonView::Speed; return true;
        case 'm': case 'M': out = MonView::Memory; return true;
        case 'u': case 'U': out = MonView::Util; return true;
        default: return false;
    }
}

double bar_value(MonView v, const NodeInfo& n) {
    switch (v) {
        case MonView::Load: return double(std::max(0LL, n.load));
        case MonView::Speed: return double(std::max(0LL, n.speed));
        case MonView::Memory: return double(std::max(0LL, n.tmem - n.mem));
        case MonView::Util: return double(std::clamp(n.util, 0LL, 100LL));
    }
    return 0;
}

namespace {

// 1, 2, 5, 10, 20, 50... : the smallest such step that is >= x.
double round_up_nice(double x) {
    if (x <= 1) return 1;
    double p = std::pow(10.0, std::floor(std::log10(x)));
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * p >= x) return m * p;
    return 10 * p;
}

}  // namespace

double chart_top(MonView v, const std::vector<NodeInfo>& nodes) {
    double top = 0;
    for (const auto& n : nodes) {
        if (!n.up) continue;
        // Memory bars are drawn against the node's total, so the top is the largest total.
        top = std::max(top, v == MonView::Memory ? double(n.tmem) : bar_value(v, n));
    }
    switch (v) {
        case MonView::Util: return 100;
        case MonView::Load: return round_up_nice(std::max(top, 100.0));  // 100 = one busy CPU
        case MonView::Memory: return std::max(top, 1.0);
        case MonView::Speed: return round_up_nice(std::max(top, 1.0));
    }
    return 1;
}

int bar_rows(double value, double top, int rows) {
    if (rows <= 0 || value <= 0 || top <= 0) return 0;
    int r = int(std::lround(value / top * rows));
    return std::clamp(r, 1, rows);
}

ColumnLayout column_layout(int screen_width, int node_count, int max_node_id, int scroll) {
    ColumnLayout l;
    int digits = int(std::to_string(std::max(1, max_node_id)).size());
    l.column_width = std::max(5, digits + 1);  // "down" and the id must fit, plus a gap
    int room = std::max(0, screen_width - l.label_width);
    l.visible = std::min(node_count, std::max(1, room / l.column_width));
    l.first = clamp_scroll(scroll, node_count, l.visible);
    return l;
}

int clamp_scroll(int scroll, int node_count, int visible) {
    return std::clamp(scroll, 0, std::max(0, node_count - visible));
}

std::string scale_label(MonView v, double value) {
    if (v == MonView::Memory) {
        double bytes = value * double(kPageSize);
        if (bytes >= 1024.0 * 1024 * 1024) return fmt::format("{:.1f}G", bytes / (1024.0 * 1024 * 1024));
        return fmt::format("{:.0f}M", bytes / (1024.0 * 1024));
    }
    if (v == MonView::Util) return fmt::format("{:.0f}%", value);
    return fmt::format("{:.0f}", value);
}

std::string totals_text(const std::vector<NodeInfo>& nodes) {
    long long up = 0, load = 0, speed = 0, cpus = 0, mem = 0, tmem = 0, util = 0;
    for (const auto& n : nodes) {
        if (!n.up) continue;
        ++up;
        load += n.load, speed += n.speed, cpus += n.cpus, mem += n.mem, tmem += n.tmem, util += n.util;
    }
    long long used_mb = (tmem - mem) * kPageSize / (1024 * 1024), total_mb = tmem * kPageSize / (1024 * 1024);
    return fmt::format("Total: {} of {} nodes up, {} CPUs, load {}, speed {}, memory {}/{} MB used, util {}%",
                       up, nodes.size(), cpus, load, speed, used_mb, total_mb, up ? util / up : 0);
}

std::string once_table(const std::vector<NodeInfo>& nodes) {
    std::string out = "NODE STATE   LOAD  SPEED CPUS  FREE(MB) TOTAL(MB) UTIL%\n";
    for (const auto& n : nodes) {
        if (!n.up) {
            out += fmt::format("{:>4} down\n", n.id);
            continue;
        }
        out += fmt::format("{:>4} {:<5} {:>6} {:>6} {:>4} {:>9} {:>9} {:>5}\n", n.id, "up", n.load, n.speed,
                           n.cpus, n.mem * kPageSize / (1024 * 1024), n.tmem * kPageSize / (1024 * 1024), n.util);
    }
    return out + totals_text(nodes) + "\n";
}

MosmonOptions parse_mosmon_args(const std::vector<std::string>& args) {
    MosmonOptions o;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--help" || a == "-h") o.help = true;
        else if (a == "--once" || a == "-b") o.once = true;
        else if (a == "-t") o.totals = true;
        else if (a.size() == 2 && a[0] == '-' && view_for_key(a[1], o.view)) continue;
        else if (a == "-d") {
            if (i + 1 >= args.size()) throw UsageError("-d needs a number of seconds");
            const std::string& v = args[++i];
            double secs = 0;
            try {
                size_t used = 0;
                secs = std::stod(v, &used);
                if (used != v.size()) secs = 0;
            } catch (const std::exception&) {
            }
            if (!(secs >= 0.1 && secs <= 3600)) throw UsageError(fmt::format("bad interval '{}' (0.1..3600 seconds)", v));
            o.interval_ms = int(std::lround(secs * 1000));
        } else throw UsageError(fmt::format("unknown option '{}'", a));
    }
    return o;
}

std::string mosmon_usage() {
    return "Usage: mosmon [--once|-b] [-t] [-d SECONDS] [-l|-s|-m|-u]\n"
           "Live bar charts of every openMosix node (from this node's omxd).\n\n"
           "  --once, -b   print one plain table and exit (for scripts and logs)\n"
           "  -t           start with the totals line shown\n"
           "  -d SECONDS   refresh period (default 1)\n"
           "  -l -s -m -u  start in the load, speed, memory or utilization view\n\n"
           "Keys: l s m u views, t totals, arrows scroll, h or ? help, q quit.\n";
}

std::vector<std::string> help_lines() {
    return {
        "mosmon - openMosix cluster monitor",
        "",
        "  l      load (100 = one busy reference CPU)",
        "  s      speed (100 = Pentium III at 1 GHz)",
        "  m      memory: used (#) of total (.)",
        "  u      utilization in percent",
        "  t      show or hide the totals line",
        "  <- ->  scroll when more nodes than columns",
        "  h ?    this help (any key returns)",
        "  q      quit",
    };
}

}  // namespace omx::tools
