// The kirk JSON (the run's record, read back by omx-report), the omtest text report and the
// JUnit XML; the HTML page is in html.cpp.
#include "report/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <stdexcept>

#include "report/figures.h"

namespace omx::harness {
using nlohmann::json;
using namespace figures;

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NodeInfo, id, host, address, cpus, speed, mem_total_mb, lost, lost_at,
                                                lost_reason)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NodeSample, t, node, load, mem_used_mb, mem_total_mb, processes, guests)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(MigrationEvent, t, home, pid, command, from, to, bytes, frozen_ms,
                                                total_ms, outcome, test)

namespace {

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

// kirk writes the exit status as a list of strings; a missing one means the test never ran.
int retval_from_json(const json& test) {
    const json& rv = test.value("retval", json::array());
    if (rv.empty()) return -1;
    const std::string s = rv.at(0).get<std::string>();
    try {
        size_t used = 0;
        int v = std::stoi(s, &used);
        if (used == s.size()) return v;
    } catch (const std::logic_error&) {
    }
    throw std::runtime_error("retval \"" + s + "\" is not an exit status");
}

// The keys kirk itself needs, named in the error when missing or of the wrong type.
std::string required_string(const json& j, const char* key) {
    if (!j.is_object()) throw std::runtime_error(std::string("not an object but ") + j.type_name());
    if (!j.contains(key)) throw std::runtime_error(fmt::format("no \"{}\"", key));
    if (!j[key].is_string())
        throw std::runtime_error(fmt::format("\"{}\" is a {}, not a string", key, j[key].type_name()));
    return j[key].get<std::string>();
}

TestResult test_from_json(const json& j) {
    TestResult t;
    t.name = required_string(j, "test_fqn");
    t.status = status_from_string(required_string(j, "status"));
    t.node = j.value("node", uint16_t(0));
    t.start = j.value("start", 0.0);
    t.migrations = j.value("migrations", 0);
    t.reason = j.value("reason", std::string());
    if (!j.contains("test")) throw std::runtime_error("no \"test\"");
    const json& test = j["test"];
    const auto command = required_string(test, "command");
    t.argv = test.value("arguments", std::vector<std::string>());
    if (!command.empty() || !t.argv.empty()) t.argv.insert(t.argv.begin(), command);
    t.log = test.value("log", std::string());
    t.retval = retval_from_json(test);
    t.duration = test.value("duration", 0.0);
    return t;
}

// The length of the well-formed UTF-8 sequence at s[i] (its code point in cp), or 0: no
// overlong forms, no surrogates, nothing past U+10FFFF.
size_t utf8_length(const std::string& s, size_t i, uint32_t& cp) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t len = c < 0x80                 ? 1
                       : c >= 0xC2 && c <= 0xDF ? 2
                       : c >= 0xE0 && c <= 0xEF ? 3
                       : c >= 0xF0 && c <= 0xF4 ? 4
                                                : 0;
    if (len == 0 || i + len > s.size()) return 0;
    cp = len == 1 ? c : c & (0x7F >> len);
    for (size_t k = 1; k < len; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        if ((b & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (b & 0x3F);
    }
    const uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
    return cp < least[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) ? 0 : len;
}

// JSON text is UTF-8, and dump() throws on anything else; a log or a command name can hold
// any bytes, so a byte of no character becomes U+FFFD.
void make_valid_utf8(json& j) {
    if (j.is_structured()) {
        for (auto& v : j) make_valid_utf8(v);
        return;
    }
    if (!j.is_string()) return;
    const auto& s = j.get_ref<const std::string&>();
    std::string o;
    o.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        uint32_t cp = 0;
        size_t len = utf8_length(s, i, cp);
        o.append(len ? s.substr(i, len) : "\xEF\xBF\xBD");
        i += len ? len : 1;
    }
    j = std::move(o);
}

// Runs one part of the parsing and names that part in the one-line error.
template <typename F>
void parse_part(const std::string& where, F&& f) {
    try {
        f();
    } catch (const std::exception& e) {
        std::string why = e.what();
        // nlohmann's messages start with "[json.exception.type_error.302] ": noise to a user.
        if (auto at = why.find("] "); why.rfind("[json.exception", 0) == 0 && at != std::string::npos)
            why.erase(0, at + 2);
        throw std::runtime_error("not a stress run's results: " + where + ": " + why);
    }
}

}  // namespace

json to_kirk_json(const RunRecord& r) {
    Counts c = count(r);
    json results = json::array();
    for (const auto& t : r.tests) results.push_back(test_json(t));
    json j = {{"results", results},
              {"stats",
               {{"runtime", r.runtime},
                {"passed", c.passed},
                {"failed", c.failed},
                {"broken", c.broken},
                {"skipped", c.skipped},
                {"warnings", 0}}},
              {"environment",
               {{"suite", r.suite},
                {"suite_file", r.suite_file},
                {"started_at", r.started_at},
                {"controller", r.controller},
                {"kernel", r.kernel}}},
              {"nodes", r.nodes},
              {"samples", r.samples},
              {"migrations", r.migrations}};
    make_valid_utf8(j);
    return j;
}

RunRecord from_kirk_json(const json& j) {
    if (!j.is_object() || !j.contains("results") || !j["results"].is_array())
        throw std::runtime_error("not a stress run's results: no \"results\" array");
    RunRecord r;
    parse_part("\"environment\"", [&] {
        const json& env = j.value("environment", json::object());
        r.suite = env.value("suite", std::string());
        r.suite_file = env.value("suite_file", std::string());
        r.started_at = env.value("started_at", std::string());
        r.controller = env.value("controller", std::string());
        r.kernel = env.value("kernel", std::string());
    });
    parse_part("\"stats\"", [&] { r.runtime = j.value("stats", json::object()).value("runtime", 0.0); });
    for (size_t i = 0; i < j["results"].size(); ++i)
        parse_part(fmt::format("results[{}]", i), [&] { r.tests.push_back(test_from_json(j["results"][i])); });
    parse_part("\"nodes\"", [&] { r.nodes = j.value("nodes", json::array()).get<std::vector<NodeInfo>>(); });
    parse_part("\"samples\"", [&] { r.samples = j.value("samples", json::array()).get<std::vector<NodeSample>>(); });
    parse_part("\"migrations\"",
               [&] { r.migrations = j.value("migrations", json::array()).get<std::vector<MigrationEvent>>(); });
    return r;
}

// ---- text -------------------------------------------------------------------------------

std::string report_file_name(const std::string& started_at) {
    std::string stamp = started_at;
    std::replace(stamp.begin(), stamp.end(), ' ', '-');
    std::replace(stamp.begin(), stamp.end(), '/', '-');
    return "openMosix-stress-test-report-" + stamp + ".txt";
}

namespace {

struct MoveFigures {
    int arrived = 0, home = 0, failed = 0;   // failed: "failed: ..." and "lost"
    uint64_t bytes = 0;
    double frozen_sum = 0, frozen_max = 0;
};

MoveFigures move_figures(const RunRecord& r) {
    MoveFigures f;
    for (const auto& m : r.migrations) {
        if (m.outcome == "arrived") {
            // Only a move out carries an image and a freeze; omxd records a return home without.
            ++f.arrived;
            f.bytes += m.bytes;
            f.frozen_sum += m.frozen_ms;
            f.frozen_max = std::max(f.frozen_max, m.frozen_ms);
        } else if (m.outcome == "home") {
            ++f.home;
        } else {
            ++f.failed;
        }
    }
    return f;
}

void text_header(const RunRecord& r, std::string& o) {
    o += "openMosix stress test report\n============================\n";
    o += fmt::format("suite:       {} ({})\n", r.suite, r.suite_file);
    o += fmt::format("started at:  {}\n", r.started_at);
    o += fmt::format("runtime:     {:.1f} s\n", r.runtime);
    o += fmt::format("controller:  {} (kernel {})\n", r.controller, r.kernel);
}

void text_nodes(const RunRecord& r, std::string& o) {
    o += "\nnodes\n";
    o += fmt::format("  {:>4}  {:<16} {:>4} {:>6} {:>10}  {}\n", "id", "host", "cpus", "speed", "mem MiB", "state");
    for (const auto& n : r.nodes)
        o += fmt::format("  {:>4}  {:<16} {:>4} {:>6.0f} {:>10.0f}  {}\n", n.id, n.host, n.cpus, n.speed,
                         n.mem_total_mb, n.lost ? lost_text(n) : "up");
}

void text_tests(const RunRecord& r, std::string& o) {
    o += "\ntests\n";
    o += fmt::format("  {:<24} {:>4}  {:<8} {:>9} {:>5}  {}\n", "name", "node", "status", "seconds", "migr", "reason");
    for (const auto& t : r.tests) {
        std::string row = fmt::format("  {:<24} {:>4}  {:<8} {:>9.1f} {:>5}  {}", t.name, t.node, status_word(t.status),
                                      t.duration, t.migrations, t.reason);
        row.erase(row.find_last_not_of(' ') + 1);
        o += row + "\n";
    }
}

void text_migrations(const RunRecord& r, const std::map<uint16_t, NodeFigures>& fig, std::string& o) {
    const MoveFigures m = move_figures(r);
    o += "\nmigrations\n";
    o += fmt::format("  {} migrations ({} arrived, {} home, {} failed or lost), {:.1f} MiB moved\n",
                     r.migrations.size(), m.arrived, m.home, m.failed, double(m.bytes) / (1 << 20));
    if (m.arrived)
        o += fmt::format("  frozen: mean {:.1f} ms, max {:.1f} ms\n", m.frozen_sum / m.arrived, m.frozen_max);
    for (const auto& [id, f] : fig)
        if (f.in || f.out) o += fmt::format("  node {:>4}: {} in, {} out\n", id, f.in, f.out);
}

void text_load(const std::map<uint16_t, NodeFigures>& fig, std::string& o) {
    o += "\nload per node (processes)\n";
    o += fmt::format("  {:>4}  {:>9} {:>9} {:>12}\n", "id", "mean load", "max load", "max mem MiB");
    for (const auto& [id, f] : fig)
        o += fmt::format("  {:>4}  {:>9.2f} {:>9.2f} {:>12.0f}\n", id, processes(f.mean_load()), processes(f.load_max),
                         f.mem_max);
}

void text_logs(const RunRecord& r, std::string& o) {
    for (const auto& t : r.tests) {
        o += fmt::format("\n---- {} ----\n", t.name);
        o += fmt::format("command: {}\n", fmt::join(t.argv, " "));
        o +=
            fmt::format("node {}, {}, exit status {}, {:.1f} s\n", t.node, status_word(t.status), t.retval, t.duration);
        if (!t.reason.empty()) o += "reason: " + t.reason + "\n";
        o += t.log;
        if (!t.log.empty() && t.log.back() != '\n') o += "\n";
    }
}

}  // namespace

std::string omtest_text(const RunRecord& r) {
    const Counts c = count(r);
    const auto fig = node_figures(r);
    std::string o;
    text_header(r, o);
    text_nodes(r, o);
    text_tests(r, o);
    text_migrations(r, fig, o);
    text_load(fig, o);
    text_logs(r, o);
    o +=
        fmt::format("\nRESULT: {} passed, {} failed, {} broken, {} skipped\n", c.passed, c.failed, c.broken, c.skipped);
    return o;
}

// ---- XML --------------------------------------------------------------------------------

namespace {

// JUnit's timestamp is ISO 8601 ("2026-12-01T11:27:02"); started_at has a space there.
std::string iso_timestamp(std::string started_at) {
    if (started_at.size() > 10 && started_at[10] == ' ') started_at[10] = 'T';
    return started_at;
}

void escape_ascii(char c, std::string& o) {
    switch (c) {
        case '&':
            o += "&amp;";
            break;
        case '<':
            o += "&lt;";
            break;
        case '>':
            o += "&gt;";
            break;
        case '"':
            o += "&quot;";
            break;
        case '\'':
            o += "&#39;";
            break;
        default:
            // XML 1.0 has no way to write the other control characters, not even as &#...;
            if (static_cast<unsigned char>(c) >= 0x20 || c == '\t' || c == '\n' || c == '\r') o += c;
    }
}

}  // namespace

std::string xml_escape(const std::string& s) {
    std::string o;
    o.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        if (static_cast<unsigned char>(s[i]) < 0x80) {
            escape_ascii(s[i++], o);
        } else if (uint32_t cp = 0; size_t len = utf8_length(s, i, cp)) {
            if (cp != 0xFFFE && cp != 0xFFFF) o.append(s, i, len);   // no characters in XML 1.0
            i += len;
        } else {
            ++i;   // a byte of no character: dropped, the rest of the log still readable
        }
    }
    return o;
}

std::string junit_xml(const RunRecord& r) {
    Counts c = count(r);
    std::string o = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n";
    o += fmt::format(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3f}\" "
        "timestamp=\"{}\" hostname=\"{}\">\n",
        xml_escape(r.suite), r.tests.size(), c.failed, c.broken, c.skipped, r.runtime,
        xml_escape(iso_timestamp(r.started_at)), xml_escape(r.controller));
    std::map<uint16_t, std::string> hosts;
    for (const auto& n : r.nodes) hosts[n.id] = n.host;
    for (const auto& t : r.tests) {
        std::string node =
            hosts.count(t.node) && !hosts[t.node].empty() ? hosts[t.node] : fmt::format("node{}", t.node);
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

}  // namespace omx::harness
