#include "report/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

namespace omx::harness {
using nlohmann::json;

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NodeInfo, id, host, address, cpus, speed, mem_total_mb, lost, lost_at,
                                                lost_reason)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NodeSample, t, node, load, mem_used_mb, mem_total_mb, processes, guests)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(MigrationEvent, t, home, pid, command, from, to, bytes, frozen_ms,
                                                total_ms, outcome, test)

namespace {

struct Counts {
    int passed = 0, failed = 0, broken = 0, skipped = 0;
};

Counts count(const RunRecord& r) {
    Counts c;
    for (const auto& t : r.tests) {
        if (t.status == Status::Pass) ++c.passed;
        if (t.status == Status::Fail) ++c.failed;
        if (t.status == Status::Broken) ++c.broken;
        if (t.status == Status::Skip) ++c.skipped;
    }
    return c;
}

const char* status_word(Status s) {
    switch (s) {
        case Status::Pass: return "PASSED";
        case Status::Fail: return "FAILED";
        case Status::Broken: return "BROKEN";
        case Status::Skip: return "SKIPPED";
    }
    return "?";
}

json test_json(const TestResult& t) {
    std::vector<std::string> args(t.argv.size() > 1 ? t.argv.begin() + 1 : t.argv.end(), t.argv.end());
    const char* s = to_string(t.status);
    return {{"test_fqn", t.name},
            {"status", s},
            {"node", t.node},
            {"start", t.start},
            {"migrations", t.migrations},
            {"reason", t.reason},
            {"test",
             {{"command", t.argv.empty() ? "" : t.argv[0]},
              {"arguments", args},
              {"log", t.log},
              {"retval", std::vector<std::string>{std::to_string(t.retval)}},
              {"duration", t.duration},
              {"passed", t.status == Status::Pass ? 1 : 0},
              {"failed", t.status == Status::Fail ? 1 : 0},
              {"broken", t.status == Status::Broken ? 1 : 0},
              {"skipped", t.status == Status::Skip ? 1 : 0},
              {"warnings", 0},
              {"result", s}}}};
}

TestResult test_from_json(const json& j) {
    TestResult t;
    t.name = j.at("test_fqn").get<std::string>();
    t.status = status_from_string(j.at("status").get<std::string>());
    t.node = j.value("node", uint16_t(0));
    t.start = j.value("start", 0.0);
    t.migrations = j.value("migrations", 0);
    t.reason = j.value("reason", std::string());
    const json& test = j.at("test");
    t.argv.push_back(test.at("command").get<std::string>());
    for (const auto& a : test.value("arguments", json::array())) t.argv.push_back(a.get<std::string>());
    t.log = test.value("log", std::string());
    const json& rv = test.value("retval", json::array({"-1"}));
    t.retval = rv.empty() ? -1 : std::stoi(rv.at(0).get<std::string>());
    t.duration = test.value("duration", 0.0);
    return t;
}

}  // namespace

json to_kirk_json(const RunRecord& r) {
    Counts c = count(r);
    json results = json::array();
    for (const auto& t : r.tests) results.push_back(test_json(t));
    return {{"results", results},
            {"stats",
             {{"runtime", r.runtime}, {"passed", c.passed}, {"failed", c.failed}, {"broken", c.broken},
              {"skipped", c.skipped}, {"warnings", 0}}},
            {"environment",
             {{"suite", r.suite}, {"suite_file", r.suite_file}, {"started_at", r.started_at},
              {"controller", r.controller}, {"kernel", r.kernel}}},
            {"nodes", r.nodes},
            {"samples", r.samples},
            {"migrations", r.migrations}};
}

RunRecord from_kirk_json(const json& j) {
    if (!j.is_object() || !j.contains("results") || !j["results"].is_array())
        throw std::runtime_error("not a stress run's results: no \"results\" array");
    try {
        RunRecord r;
        const json& env = j.value("environment", json::object());
        r.suite = env.value("suite", std::string());
        r.suite_file = env.value("suite_file", std::string());
        r.started_at = env.value("started_at", std::string());
        r.controller = env.value("controller", std::string());
        r.kernel = env.value("kernel", std::string());
        r.runtime = j.value("stats", json::object()).value("runtime", 0.0);
        for (const auto& t : j["results"]) r.tests.push_back(test_from_json(t));
        r.nodes = j.value("nodes", json::array()).get<std::vector<NodeInfo>>();
        r.samples = j.value("samples", json::array()).get<std::vector<NodeSample>>();
        r.migrations = j.value("migrations", json::array()).get<std::vector<MigrationEvent>>();
        return r;
    } catch (const json::exception& e) {
        throw std::runtime_error(std::string("not a stress run's results: ") + e.what());
    } catch (const std::invalid_argument& e) {
        throw std::runtime_error(std::string("not a stress run's results: ") + e.what());
    }
}

// ---- text -------------------------------------------------------------------------------

std::string report_file_name(const std::string& started_at) {
    std::string stamp = started_at;
    std::replace(stamp.begin(), stamp.end(), ' ', '-');
    std::replace(stamp.begin(), stamp.end(), '/', '-');
    return "openMosix-stress-test-report-" + stamp + ".txt";
}

namespace {

struct NodeFigures {
    double load_sum = 0, load_max = 0, mem_max = 0;
    int samples = 0, in = 0, out = 0;
};

std::map<uint16_t, NodeFigures> node_figures(const RunRecord& r) {
    std::map<uint16_t, NodeFigures> f;
    for (const auto& n : r.nodes) f[n.id];
    for (const auto& s : r.samples) {
        auto& x = f[s.node];
        x.load_sum += s.load;
        x.load_max = std::max(x.load_max, s.load);
        x.mem_max = std::max(x.mem_max, s.mem_used_mb);
        ++x.samples;
    }
    for (const auto& m : r.migrations)
        if (m.outcome == "arrived" || m.outcome == "home") {
            ++f[m.to].in;
            ++f[m.from].out;
        }
    return f;
}

}  // namespace

std::string omtest_text(const RunRecord& r) {
    Counts c = count(r);
    std::string o;
    auto line = [&](const std::string& s) { o += s + "\n"; };
    line("openMosix stress test report");
    line("============================");
    line(fmt::format("suite:       {} ({})", r.suite, r.suite_file));
    line(fmt::format("started at:  {}", r.started_at));
    line(fmt::format("runtime:     {:.1f} s", r.runtime));
    line(fmt::format("controller:  {} (kernel {})", r.controller, r.kernel));
    line("");
    line("nodes");
    line(fmt::format("  {:>4}  {:<16} {:>4} {:>6} {:>10}  {}", "id", "host", "cpus", "speed", "mem MiB", "state"));
    for (const auto& n : r.nodes)
        line(fmt::format("  {:>4}  {:<16} {:>4} {:>6.0f} {:>10.0f}  {}", n.id, n.host, n.cpus, n.speed, n.mem_total_mb,
                         n.lost ? fmt::format("LOST at {:.0f} s: {}", n.lost_at, n.lost_reason) : "up"));
    line("");
    line("tests");
    line(fmt::format("  {:<24} {:>4}  {:<8} {:>9} {:>5}  {}", "name", "node", "status", "seconds", "migr", "reason"));
    for (const auto& t : r.tests)
        line(fmt::format("  {:<24} {:>4}  {:<8} {:>9.1f} {:>5}  {}", t.name, t.node, status_word(t.status), t.duration,
                         t.migrations, t.reason));
    line("");
    uint64_t bytes = 0;
    double frozen_sum = 0, frozen_max = 0;
    int moved = 0, failed_moves = 0;
    for (const auto& m : r.migrations) {
        if (m.outcome == "arrived") {
            ++moved;
            bytes += m.bytes;
            frozen_sum += m.frozen_ms;
            frozen_max = std::max(frozen_max, m.frozen_ms);
        } else if (m.outcome != "home") {
            ++failed_moves;
        }
    }
    line("migrations");
    line(fmt::format("  {} migrations ({} moves away, {} home, {} failed or lost), {:.1f} MiB moved", r.migrations.size(),
                     moved, r.migrations.size() - size_t(moved) - size_t(failed_moves), failed_moves,
                     double(bytes) / (1 << 20)));
    if (moved)
        line(fmt::format("  frozen: mean {:.1f} ms, max {:.1f} ms", frozen_sum / moved, frozen_max));
    line("");
    line("load per node");
    line(fmt::format("  {:>4}  {:>9} {:>9} {:>12} {:>5} {:>5}", "id", "mean load", "max load", "max mem MiB", "in", "out"));
    for (const auto& [id, f] : node_figures(r))
        line(fmt::format("  {:>4}  {:>9.0f} {:>9.0f} {:>12.0f} {:>5} {:>5}", id, f.samples ? f.load_sum / f.samples : 0.0,
                         f.load_max, f.mem_max, f.in, f.out));
    for (const auto& t : r.tests) {
        line("");
        line(fmt::format("---- {} ----", t.name));
        line(fmt::format("command: {}", fmt::join(t.argv, " ")));
        line(fmt::format("node {}, {}, exit status {}, {:.1f} s", t.node, status_word(t.status), t.retval, t.duration));
        if (!t.reason.empty()) line("reason: " + t.reason);
        o += t.log;
        if (!t.log.empty() && t.log.back() != '\n') o += "\n";
    }
    line("");
    line(fmt::format("RESULT: {} passed, {} failed, {} broken, {} skipped", c.passed, c.failed, c.broken, c.skipped));
    return o;
}

// ---- XML --------------------------------------------------------------------------------

std::string xml_escape(const std::string& s) {
    std::string o;
    o.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            switch (c) {
                case '&': o += "&amp;"; break;
                case '<': o += "&lt;"; break;
                case '>': o += "&gt;"; break;
                case '"': o += "&quot;"; break;
                case '\'': o += "&#39;"; break;
                default:
                    if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') o += char(c);
            }
            ++i;
            continue;
        }
        // A UTF-8 sequence is kept only when whole and well-formed.
        int len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        bool ok = len > 0 && i + size_t(len) <= s.size() && c >= 0xC2 && c <= 0xF4;
        for (int k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + size_t(k)]) & 0xC0) == 0x80;
        if (ok) o.append(s, i, size_t(len));
        i += ok ? size_t(len) : 1;
    }
    return o;
}

std::string junit_xml(const RunRecord& r) {
    Counts c = count(r);
    std::string o = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n";
    o += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3f}\" "
                     "timestamp=\"{}\" hostname=\"{}\">\n",
                     xml_escape(r.suite), r.tests.size(), c.failed, c.broken, c.skipped, r.runtime,
                     xml_escape(r.started_at), xml_escape(r.controller));
    std::map<uint16_t, std::string> hosts;
    for (const auto& n : r.nodes) hosts[n.id] = n.host;
    for (const auto& t : r.tests) {
        std::string node = hosts.count(t.node) && !hosts[t.node].empty() ? hosts[t.node] : fmt::format("node{}", t.node);
        o += fmt::format("    <testcase classname=\"omtest.{}\" name=\"{}\" time=\"{:.3f}\">\n", xml_escape(node),
                         xml_escape(t.name), t.duration);
        if (t.status == Status::Fail) o += fmt::format("      <failure message=\"{}\"/>\n", xml_escape(t.reason));
        if (t.status == Status::Broken) o += fmt::format("      <error message=\"{}\"/>\n", xml_escape(t.reason));
        if (t.status == Status::Skip) o += fmt::format("      <skipped message=\"{}\"/>\n", xml_escape(t.reason));
        if (!t.log.empty()) o += "      <system-out>" + xml_escape(t.log) + "</system-out>\n";
        o += "    </testcase>\n";
    }
    o += "  </testsuite>\n</testsuites>\n";
    return o;
}

// ---- HTML -------------------------------------------------------------------------------

namespace {

const char* const kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b",
                                "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#393b79"};

std::string node_colour(size_t index) { return kPalette[index % (sizeof kPalette / sizeof *kPalette)]; }

const char* kStyle = R"(
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; }
.meta { color: #555; }
.badge { display: inline-block; padding: 0.25em 0.8em; border-radius: 1em; color: #fff; font-weight: bold; margin-right: 0.5em; }
.badge.pass { background: #2e9e44; } .badge.fail { background: #d62728; }
.badge.brok { background: #b8860b; } .badge.conf { background: #6c757d; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
tr.pass td.status { background: #2e9e44; color: #fff; } tr.fail td.status { background: #d62728; color: #fff; }
tr.brok td.status { background: #b8860b; color: #fff; } tr.conf td.status { background: #6c757d; color: #fff; }
tr.lost td { background: #fde0e0; }
pre { max-height: 30em; overflow: auto; background: #f7f7f7; padding: 0.5em; }
svg { background: #fff; border: 1px solid #ccc; }
svg text { font-size: 11px; fill: #333; }
.legend span { display: inline-block; margin-right: 1em; }
.legend i { display: inline-block; width: 1.5em; height: 0.35em; vertical-align: middle; margin-right: 0.3em; }
.empty { color: #777; font-style: italic; }
)";

struct Chart {
    std::string id, title, unit;
    double (*value)(const NodeSample&);
};

double max_time(const RunRecord& r) {
    double t = r.runtime;
    for (const auto& s : r.samples) t = std::max(t, s.t);
    return std::max(t, 1.0);
}

// A "nice" step for about `ticks` divisions of [0, max].
double tick_step(double max, int ticks) {
    double raw = max / ticks, mag = 1;
    while (mag * 10 <= raw) mag *= 10;
    while (mag > raw) mag /= 10;
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * mag >= raw) return m * mag;
    return 10 * mag;
}

std::string svg_chart(const RunRecord& r, const Chart& c, const std::map<uint16_t, size_t>& colour_of) {
    if (r.samples.empty()) return fmt::format("<p id=\"{}\" class=\"empty\">no samples</p>\n", c.id);
    const double W = 960, H = 280, left = 60, right = 20, top = 20, bottom = 40;
    const double tmax = max_time(r);
    double vmax = 0;
    for (const auto& s : r.samples) vmax = std::max(vmax, c.value(s));
    vmax = vmax <= 0 ? 1 : vmax * 1.1;
    auto x = [&](double t) { return left + (W - left - right) * t / tmax; };
    auto y = [&](double v) { return top + (H - top - bottom) * (1 - v / vmax); };
    std::string o = fmt::format("<svg id=\"{}\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
                                "xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"{}\">\n",
                                c.id, W, H, W, H, xml_escape(c.title));
    // Axes and ticks.
    o += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#444\"/>\n", left, top, H - bottom);
    o += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#444\"/>\n", left, H - bottom, W - right);
    for (double v = 0, step = tick_step(vmax, 5); v <= vmax; v += step)
        o += fmt::format("<line x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\" stroke=\"#eee\"/>"
                         "<text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5:g}</text>\n",
                         left, y(v), W - right, left - 6, y(v) + 4, v);
    for (double t = 0, step = tick_step(tmax, 10); t <= tmax; t += step)
        o += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{:g}</text>\n", x(t), H - bottom + 16, t);
    o += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">seconds since the start</text>\n", (W + left) / 2, H - 6);
    o += fmt::format("<text x=\"12\" y=\"{}\" transform=\"rotate(-90 12 {})\" text-anchor=\"middle\">{}</text>\n",
                     (H - bottom + top) / 2, (H - bottom + top) / 2, xml_escape(c.unit));
    // Migrations and lost nodes.
    for (const auto& m : r.migrations)
        o += fmt::format("<line class=\"migration\" x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#999\" "
                         "stroke-width=\"1\" stroke-opacity=\"0.5\"><title>{3:.1f} s: pid {4} {5} → {6} ({7})</title></line>\n",
                         x(m.t), top, H - bottom, m.t, m.pid, m.from, m.to, xml_escape(m.outcome));
    for (const auto& n : r.nodes)
        if (n.lost)
            o += fmt::format("<line class=\"lost\" x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#d62728\" "
                             "stroke-width=\"2\" stroke-dasharray=\"6 4\"/><text x=\"{3:.1f}\" y=\"{4}\" fill=\"#d62728\">"
                             "node {5} lost</text>\n",
                             x(n.lost_at), top, H - bottom, x(n.lost_at) + 4, top + 12, n.id);
    // One polyline per node.
    std::map<uint16_t, std::string> points;
    for (const auto& s : r.samples) points[s.node] += fmt::format("{:.1f},{:.1f} ", x(s.t), y(c.value(s)));
    for (const auto& [node, pts] : points)
        o += fmt::format("<polyline class=\"node-{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>\n", node,
                         node_colour(colour_of.at(node)), pts);
    o += "</svg>\n";
    return o;
}

std::string legend(const std::map<uint16_t, size_t>& colour_of, const std::map<uint16_t, std::string>& host) {
    std::string o = "<div class=\"legend\">";
    for (const auto& [node, idx] : colour_of)
        o += fmt::format("<span><i style=\"background:{}\"></i>node {} {}</span>", node_colour(idx), node,
                         xml_escape(host.count(node) ? host.at(node) : ""));
    o += "<span><i style=\"background:#999\"></i>migration</span></div>\n";
    return o;
}

std::string summary_section(const RunRecord& r) {
    Counts c = count(r);
    std::string o = fmt::format("<h1>openMosix stress test report</h1>\n<p class=\"meta\">{} &middot; started {} &middot; "
                                "{:.1f} s &middot; controller {} (kernel {}) &middot; {} nodes &middot; {} migrations</p>\n",
                                xml_escape(r.suite), xml_escape(r.started_at), r.runtime, xml_escape(r.controller),
                                xml_escape(r.kernel), r.nodes.size(), r.migrations.size());
    o += fmt::format("<p id=\"summary\"><span class=\"badge pass\">{} passed</span><span class=\"badge fail\">{} failed</span>"
                     "<span class=\"badge brok\">{} broken</span><span class=\"badge conf\">{} skipped</span></p>\n",
                     c.passed, c.failed, c.broken, c.skipped);
    return o;
}

std::string results_table(const RunRecord& r) {
    if (r.tests.empty()) return "<h2>Tests</h2>\n<p id=\"results\" class=\"empty\">no tests</p>\n";
    std::string o = "<h2>Tests</h2>\n<table id=\"results\">\n<tr><th>test</th><th>node</th><th>status</th><th>seconds</th>"
                    "<th>migrations</th><th>reason</th><th>output</th></tr>\n";
    for (const auto& t : r.tests)
        o += fmt::format("<tr class=\"{}\"><td>{}</td><td>{}</td><td class=\"status\">{}</td><td>{:.1f}</td><td>{}</td>"
                         "<td>{}</td><td><details><summary>log</summary><pre>{}</pre></details></td></tr>\n",
                         to_string(t.status), xml_escape(t.name), t.node, status_word(t.status), t.duration, t.migrations,
                         xml_escape(t.reason), xml_escape(fmt::format("$ {}\n{}", fmt::join(t.argv, " "), t.log)));
    return o + "</table>\n";
}

std::string migrations_table(const RunRecord& r) {
    if (r.migrations.empty()) return "<h2>Migrations</h2>\n<p id=\"migrations\" class=\"empty\">no migrations</p>\n";
    std::string o = "<h2>Migrations</h2>\n<table id=\"migrations\">\n<tr><th>seconds</th><th>pid</th><th>command</th>"
                    "<th>from → to</th><th>MiB</th><th>frozen ms</th><th>outcome</th><th>test</th></tr>\n";
    for (const auto& m : r.migrations)
        o += fmt::format("<tr><td>{:.1f}</td><td>{}</td><td>{}</td><td>{} → {}</td><td>{:.2f}</td><td>{:.1f}</td>"
                         "<td>{}</td><td>{}</td></tr>\n",
                         m.t, m.pid, xml_escape(m.command), m.from, m.to, double(m.bytes) / (1 << 20), m.frozen_ms,
                         xml_escape(m.outcome), xml_escape(m.test));
    return o + "</table>\n";
}

std::string nodes_table(const RunRecord& r) {
    std::string o = "<h2>Nodes</h2>\n<table id=\"nodes\">\n<tr><th>id</th><th>host</th><th>agent</th><th>CPUs</th>"
                    "<th>speed</th><th>memory MiB</th><th>mean load</th><th>max load</th><th>max memory used MiB</th>"
                    "<th>in</th><th>out</th><th>state</th></tr>\n";
    auto fig = node_figures(r);
    for (const auto& n : r.nodes) {
        const auto& f = fig[n.id];
        o += fmt::format("<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.0f}</td><td>{:.0f}</td><td>{:.0f}</td>"
                         "<td>{:.0f}</td><td>{:.0f}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                         n.lost ? " class=\"lost\"" : "", n.id, xml_escape(n.host), xml_escape(n.address), n.cpus, n.speed,
                         n.mem_total_mb, f.samples ? f.load_sum / f.samples : 0.0, f.load_max, f.mem_max, f.in, f.out,
                         n.lost ? xml_escape(fmt::format("LOST at {:.0f} s: {}", n.lost_at, n.lost_reason)) : "up");
    }
    return o + "</table>\n";
}

}  // namespace

std::string html_report(const RunRecord& r) {
    std::map<uint16_t, size_t> colour_of;
    std::map<uint16_t, std::string> host;
    for (const auto& n : r.nodes) {
        colour_of.emplace(n.id, colour_of.size());
        host[n.id] = n.host;
    }
    for (const auto& s : r.samples) colour_of.emplace(s.node, colour_of.size());
    const Chart load{"load-chart", "load per node", "load (CPU-bound processes)",
                     [](const NodeSample& s) { return s.load / 100.0; }};
    const Chart memory{"memory-chart", "memory used per node", "memory used (MiB)",
                       [](const NodeSample& s) { return s.mem_used_mb; }};
    std::string o = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>openMosix stress test — " +
                    xml_escape(r.suite) + " — " + xml_escape(r.started_at) + "</title>\n<style>" + kStyle +
                    "</style>\n</head>\n<body>\n";
    o += summary_section(r);
    o += results_table(r);
    o += "<h2>Load</h2>\n" + legend(colour_of, host) + svg_chart(r, load, colour_of);
    o += "<h2>Memory</h2>\n" + legend(colour_of, host) + svg_chart(r, memory, colour_of);
    o += migrations_table(r);
    o += nodes_table(r);
    return o + "</body>\n</html>\n";
}

}  // namespace omx::harness
