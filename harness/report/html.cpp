// The HTML page of a stress run: one self-contained file (inline CSS and SVG, no script, nothing
// fetched), readable offline years later next to the run's other reports.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>
#include <vector>

#include "report/figures.h"
#include "report/report.h"

namespace omx::harness {
using namespace figures;

namespace {

const char* const kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b",
                                "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#393b79"};

std::string node_colour(size_t index) { return kPalette[index % (sizeof kPalette / sizeof *kPalette)]; }

// The render test (tests/integration/report_render.py) looks for these colours on a
// screenshot: the palette, the pass and fail badges; the lost-node red is kept apart from them.
const char* kStyle = R"(
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; }
.meta { color: #555; }
.badge { display: inline-block; padding: 0.25em 0.8em; border-radius: 1em; color: #fff; font-weight: bold; margin-right: 0.5em; }
.badge.pass { background: #2e9e44; } .badge.fail { background: #d62728; }
.badge.brok { background: #b8860b; } .badge.conf { background: #6c757d; }
.badge.zero { background: #e4e4e4; color: #777; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; } td.num { text-align: right; }
tr.pass td.status { background: #2e9e44; color: #fff; } tr.fail td.status { background: #d62728; color: #fff; }
tr.brok td.status { background: #b8860b; color: #fff; } tr.conf td.status { background: #6c757d; color: #fff; }
tr.lost td { background: #fde0e0; }
pre { max-height: 30em; max-width: 60em; overflow: auto; background: #f7f7f7; padding: 0.5em; white-space: pre-wrap; }
svg { background: #fff; border: 1px solid #ccc; max-width: 100%; height: auto; }
svg text { font-size: 11px; fill: #333; } svg text.lost { fill: #b71c1c; }
.legend span { display: inline-block; margin-right: 1em; }
.legend i { display: inline-block; width: 1.5em; height: 0.35em; vertical-align: middle; margin-right: 0.3em; }
.empty { color: #777; font-style: italic; }
)";

struct Chart {
    std::string id, title, unit;
    double (*value)(const NodeSample&);
};

// Where the plot area sits in the SVG, and the scales from (seconds, value) to it.
struct Plot {
    static constexpr double W = 960, H = 280, left = 60, right = 20, top = 20, bottom = 40;
    double tmax = 1, vmax = 1;
    double x(double t) const { return left + (W - left - right) * t / tmax; }
    double y(double v) const { return top + (H - top - bottom) * (1 - v / vmax); }
};

// A sample the controller could not read may hold NaN or infinity: it is left out, never
// allowed to stretch an axis to nothing.
bool plottable(double t, double v) { return std::isfinite(t) && std::isfinite(v) && t >= 0; }

Plot plot_for(const RunRecord& r, const Chart& c) {
    Plot p;
    p.tmax = std::isfinite(r.runtime) ? std::max(r.runtime, 1.0) : 1.0;
    p.vmax = 0;
    for (const auto& s : r.samples)
        if (plottable(s.t, c.value(s))) {
            p.tmax = std::max(p.tmax, s.t);
            p.vmax = std::max(p.vmax, c.value(s));
        }
    for (const auto& m : r.migrations)
        if (plottable(m.t, 0)) p.tmax = std::max(p.tmax, m.t);
    for (const auto& n : r.nodes)
        if (n.lost && plottable(n.lost_at, 0)) p.tmax = std::max(p.tmax, n.lost_at);
    p.vmax = p.vmax <= 0 ? 1 : p.vmax * 1.1;   // headroom so the top line is not on the border
    return p;
}

// A "nice" step (1, 2 or 5 times a power of ten) for about `ticks` divisions of [0, max].
double tick_step(double max, int ticks) {
    double raw = max / ticks, mag = 1;
    if (!std::isfinite(raw) || raw <= 0) return std::isfinite(max) && max > 0 ? max : 1;
    while (mag * 10 <= raw) mag *= 10;
    while (mag > raw) mag /= 10;
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * mag >= raw) return m * mag;
    return 10 * mag;
}

std::string svg_axes(const Plot& p, const Chart& c) {
    std::string o;
    o += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#444\"/>\n", p.left, p.top,
                     p.H - p.bottom);
    o += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#444\"/>\n", p.left, p.H - p.bottom,
                     p.W - p.right);
    // Ticks counted in steps, not summed, so 0.1 + 0.2 never prints as 0.30000000000000004.
    const double vstep = tick_step(p.vmax, 5), tstep = tick_step(p.tmax, 10);
    for (int i = 0; i * vstep <= p.vmax; ++i)
        o += fmt::format(
            "<line x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\" stroke=\"#eee\"/>"
            "<text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5:g}</text>\n",
            p.left, p.y(i * vstep), p.W - p.right, p.left - 6, p.y(i * vstep) + 4, i * vstep);
    for (int i = 0; i * tstep <= p.tmax; ++i)
        o += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{:g}</text>\n", p.x(i * tstep),
                         p.H - p.bottom + 16, i * tstep);
    o += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">seconds since the start</text>\n",
                     (p.W + p.left) / 2, p.H - 6);
    const double mid = (p.H - p.bottom + p.top) / 2;
    o += fmt::format("<text x=\"14\" y=\"{0}\" transform=\"rotate(-90 14 {0})\" text-anchor=\"middle\">{1}</text>\n",
                     mid, xml_escape(c.unit));
    return o;
}

std::string svg_markers(const RunRecord& r, const Plot& p) {
    std::string o;
    for (const auto& m : r.migrations)
        if (plottable(m.t, 0))
            o += fmt::format(
                "<line class=\"migration\" x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#999\" "
                "stroke-opacity=\"0.6\"><title>{3:.1f} s: pid {4} {5}, node {6} → {7} ({8})</title></line>\n",
                p.x(m.t), p.top, p.H - p.bottom, m.t, m.pid, xml_escape(m.command), m.from, m.to,
                xml_escape(m.outcome));
    for (const auto& n : r.nodes)
        if (n.lost && plottable(n.lost_at, 0))
            o += fmt::format(
                "<line class=\"lost\" x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#b71c1c\" "
                "stroke-width=\"2\" stroke-dasharray=\"6 4\"><title>{5}</title></line>"
                "<text class=\"lost\" x=\"{3:.1f}\" y=\"{4}\">node {6} lost</text>\n",
                p.x(n.lost_at), p.top, p.H - p.bottom, p.x(n.lost_at) + 4, p.top + 12, xml_escape(lost_text(n)), n.id);
    return o;
}

// One polyline per node, whatever the number of samples; points in time order.
std::string svg_lines(const RunRecord& r, const Chart& c, const Plot& p, const std::map<uint16_t, size_t>& colour_of) {
    std::map<uint16_t, std::vector<std::pair<double, double>>> points;
    for (const auto& s : r.samples)
        if (plottable(s.t, c.value(s))) points[s.node].emplace_back(s.t, c.value(s));
    std::string o;
    for (auto& [node, pts] : points) {
        std::stable_sort(pts.begin(), pts.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        std::string xy;
        for (const auto& [t, v] : pts) xy += fmt::format("{:.1f},{:.1f} ", p.x(t), p.y(v));
        o += fmt::format(
            "<polyline class=\"node-{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" "
            "stroke-linejoin=\"round\" points=\"{}\"/>\n",
            node, node_colour(colour_of.at(node)), xy);
    }
    return o;
}

std::string legend(const std::map<uint16_t, size_t>& colour_of, const std::map<uint16_t, std::string>& host) {
    std::string o = "<div class=\"legend\">";
    for (const auto& [node, idx] : colour_of)
        o += fmt::format("<span><i style=\"background:{}\"></i>node {} {}</span>", node_colour(idx), node,
                         xml_escape(host.count(node) ? host.at(node) : ""));
    o += "<span><i style=\"background:#999\"></i>migration</span>"
         "<span><i style=\"background:#b71c1c\"></i>node lost</span></div>\n";
    return o;
}

struct Nodes {
    std::map<uint16_t, size_t> colour_of;   // node id -> palette index, in the order nodes are listed
    std::map<uint16_t, std::string> host;
};

Nodes nodes_of(const RunRecord& r) {
    Nodes n;
    for (const auto& info : r.nodes) {
        n.colour_of.emplace(info.id, n.colour_of.size());
        n.host[info.id] = info.host;
    }
    for (const auto& s : r.samples) n.colour_of.emplace(s.node, n.colour_of.size());
    return n;
}

std::string chart_section(const RunRecord& r, const Chart& c, const Nodes& nodes) {
    std::string o = "<h2>" + xml_escape(c.title) + "</h2>\n";
    if (r.samples.empty()) return o + fmt::format("<p id=\"{}\" class=\"empty\">no samples</p>\n", c.id);
    const Plot p = plot_for(r, c);
    o += legend(nodes.colour_of, nodes.host);
    o += fmt::format(
        "<svg id=\"{}\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" xmlns=\"http://www.w3.org/2000/svg\" "
        "role=\"img\" aria-label=\"{}\">\n",
        c.id, p.W, p.H, p.W, p.H, xml_escape(c.title));
    return o + svg_axes(p, c) + svg_markers(r, p) + svg_lines(r, c, p, nodes.colour_of) + "</svg>\n";
}

std::string badge(const char* cls, int n, const char* word) {
    return fmt::format("<span class=\"badge {}{}\">{} {}</span>", cls, n ? "" : " zero", n, word);
}

std::string summary_section(const RunRecord& r) {
    const Counts c = count(r);
    std::string o = fmt::format(
        "<h1>openMosix stress test report</h1>\n<p class=\"meta\">suite {} &middot; started {} "
        "&middot; {:.1f} s &middot; controller {} (kernel {}) &middot; {} nodes &middot; "
        "{} migrations</p>\n",
        xml_escape(r.suite), xml_escape(r.started_at), r.runtime, xml_escape(r.controller), xml_escape(r.kernel),
        r.nodes.size(), r.migrations.size());
    return o + "<p id=\"summary\">" + badge("pass", c.passed, "passed") + badge("fail", c.failed, "failed") +
           badge("brok", c.broken, "broken") + badge("conf", c.skipped, "skipped") + "</p>\n";
}

std::string results_table(const RunRecord& r) {
    if (r.tests.empty()) return "<h2>Tests</h2>\n<p id=\"results\" class=\"empty\">no tests</p>\n";
    std::string o =
        "<h2>Tests</h2>\n<table id=\"results\">\n<tr><th>test</th><th>node</th><th>status</th><th>seconds</th>"
        "<th>migrations</th><th>reason</th><th>output</th></tr>\n";
    for (const auto& t : r.tests)
        o += fmt::format(
            "<tr class=\"{}\"><td>{}</td><td class=\"num\">{}</td><td class=\"status\">{}</td>"
            "<td class=\"num\">{:.1f}</td><td class=\"num\">{}</td><td>{}</td>"
            "<td><details><summary>log</summary><pre>{}</pre></details></td></tr>\n",
            to_string(t.status), xml_escape(t.name), t.node, status_word(t.status), t.duration, t.migrations,
            xml_escape(t.reason), xml_escape(fmt::format("$ {}\n{}", fmt::join(t.argv, " "), t.log)));
    return o + "</table>\n";
}

std::string migrations_table(const RunRecord& r) {
    if (r.migrations.empty()) return "<h2>Migrations</h2>\n<p id=\"migrations\" class=\"empty\">no migrations</p>\n";
    std::string o =
        "<h2>Migrations</h2>\n<table id=\"migrations\">\n<tr><th>seconds</th><th>pid</th><th>command</th>"
        "<th>from → to</th><th>MiB</th><th>frozen ms</th><th>outcome</th><th>test</th></tr>\n";
    for (const auto& m : r.migrations)
        o += fmt::format(
            "<tr><td class=\"num\">{:.1f}</td><td class=\"num\">{}</td><td>{}</td><td>{} → {}</td>"
            "<td class=\"num\">{:.2f}</td><td class=\"num\">{:.1f}</td><td>{}</td><td>{}</td></tr>\n",
            m.t, m.pid, xml_escape(m.command), m.from, m.to, double(m.bytes) / (1 << 20), m.frozen_ms,
            xml_escape(m.outcome), xml_escape(m.test));
    return o + "</table>\n";
}

std::string nodes_table(const RunRecord& r) {
    if (r.nodes.empty()) return "<h2>Nodes</h2>\n<p id=\"nodes\" class=\"empty\">no nodes</p>\n";
    std::string o =
        "<h2>Nodes</h2>\n<table id=\"nodes\">\n<tr><th>id</th><th>host</th><th>agent</th><th>CPUs</th>"
        "<th>speed</th><th>memory MiB</th><th>mean load</th><th>max load</th><th>max memory used MiB</th>"
        "<th>in</th><th>out</th><th>state</th></tr>\n";
    auto fig = node_figures(r);
    for (const auto& n : r.nodes) {
        const auto& f = fig[n.id];
        o += fmt::format(
            "<tr{}><td class=\"num\">{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td>"
            "<td class=\"num\">{:.0f}</td><td class=\"num\">{:.0f}</td><td class=\"num\">{:.2f}</td>"
            "<td class=\"num\">{:.2f}</td><td class=\"num\">{:.0f}</td><td class=\"num\">{}</td>"
            "<td class=\"num\">{}</td><td>{}</td></tr>\n",
            n.lost ? " class=\"lost\"" : "", n.id, xml_escape(n.host), xml_escape(n.address), n.cpus, n.speed,
            n.mem_total_mb, processes(f.mean_load()), processes(f.load_max), f.mem_max, f.in, f.out,
            n.lost ? xml_escape(lost_text(n)) : "up");
    }
    return o + "</table>\n";
}

}  // namespace

std::string html_report(const RunRecord& r) {
    const Nodes nodes = nodes_of(r);
    const Chart load{"load-chart", "Load", "load (CPU-bound processes)",
                     [](const NodeSample& s) { return processes(s.load); }};
    const Chart memory{"memory-chart", "Memory", "memory used (MiB)",
                       [](const NodeSample& s) { return s.mem_used_mb; }};
    std::string o =
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<title>openMosix stress test — " +
        xml_escape(r.suite) + " — " + xml_escape(r.started_at) + "</title>\n<style>" + kStyle +
        "</style>\n</head>\n<body>\n";
    o += summary_section(r);
    o += results_table(r);
    o += chart_section(r, load, nodes);
    o += chart_section(r, memory, nodes);
    o += migrations_table(r);
    o += nodes_table(r);
    return o + "</body>\n</html>\n";
}

}  // namespace omx::harness
