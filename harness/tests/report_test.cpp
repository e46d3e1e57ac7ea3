#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "report/report.h"

using namespace omx::harness;
using nlohmann::json;

namespace {

// Every field of every struct set, and no two alike, so a field lost or swapped shows.
RunRecord sample_run() {
    RunRecord r;
    r.suite = "short";
    r.suite_file = "harness/suites/short.json";
    r.started_at = "2026-12-01 11:27:02";
    r.runtime = 42.5;
    r.controller = "node1";
    r.kernel = "6.1.0";
    r.nodes = {{1, "node1", "10.210.0.1:4670", 2, 188, 1024, false, 0, ""},
               {2, "node2", "10.210.0.2:4670", 4, 187.5, 2048, false, 0, ""},
               {3, "node3", "10.210.0.3:4670", 1, 90, 512, true, 20.5, "its agent did not answer for 5 s"}};
    for (int t = 0; t < 40; ++t)
        for (uint16_t n = 1; n <= 3; ++n)
            if (n != 3 || t < 20)
                r.samples.push_back({t + 0.25 * n, n, 100.0 * n + t, 100.0 + t, 1000.0 + n, n + t, n == 2 ? t : 0});
    r.migrations = {{3.5, 1, 4242, "eatmem", 1, 2, 3 << 20, 12.5, 30.25, "arrived", "t1-1-1"},
                    {9.0, 1, 4242, "eatmem", 2, 1, 0, 0, 0, "home", "t1-1-1"},
                    {21.0, 2, 4243, "forkit", 3, 3, 0, 0, 0, "lost", ""},
                    {22.0, 1, 4244, "forkit", 1, 2, 7, 1.5, 2.5, "failed: no room", "t2"}};
    TestResult pass{"distkeygen", {"distkeygen", "--keys", "120"}, 1, Status::Pass, 0, 0.5, 10.25, 2, "", "PASS\n"};
    TestResult fail{"eatmem", {"eatmem"}, 2, Status::Fail, 1, 11, 5, 0, "eatmem: FAIL worker 2 wrote 12", "x\n"};
    TestResult brok{"after-on-3", {"true"}, 3, Status::Broken, -1, 30, 0, 0, "node 3 (node3) was lost at 20 s", ""};
    TestResult skip{"mfstest", {"mfstest", "-v"}, 1, Status::Skip, 77, 31, 0.1, 0, "mfstest: SKIP no /mfs", "skip"};
    r.tests = {pass, fail, brok, skip};
    return r;
}

RunRecord round_trip(const RunRecord& r) { return from_kirk_json(json::parse(to_kirk_json(r).dump())); }

void expect_same(const NodeInfo& a, const NodeInfo& b) {
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.host, b.host);
    EXPECT_EQ(a.address, b.address);
    EXPECT_EQ(a.cpus, b.cpus);
    EXPECT_EQ(a.speed, b.speed);
    EXPECT_EQ(a.mem_total_mb, b.mem_total_mb);
    EXPECT_EQ(a.lost, b.lost);
    EXPECT_EQ(a.lost_at, b.lost_at);
    EXPECT_EQ(a.lost_reason, b.lost_reason);
}

void expect_same(const NodeSample& a, const NodeSample& b) {
    EXPECT_EQ(a.t, b.t);
    EXPECT_EQ(a.node, b.node);
    EXPECT_EQ(a.load, b.load);
    EXPECT_EQ(a.mem_used_mb, b.mem_used_mb);
    EXPECT_EQ(a.mem_total_mb, b.mem_total_mb);
    EXPECT_EQ(a.processes, b.processes);
    EXPECT_EQ(a.guests, b.guests);
}

void expect_same(const MigrationEvent& a, const MigrationEvent& b) {
    EXPECT_EQ(a.t, b.t);
    EXPECT_EQ(a.home, b.home);
    EXPECT_EQ(a.pid, b.pid);
    EXPECT_EQ(a.command, b.command);
    EXPECT_EQ(a.from, b.from);
    EXPECT_EQ(a.to, b.to);
    EXPECT_EQ(a.bytes, b.bytes);
    EXPECT_EQ(a.frozen_ms, b.frozen_ms);
    EXPECT_EQ(a.total_ms, b.total_ms);
    EXPECT_EQ(a.outcome, b.outcome);
    EXPECT_EQ(a.test, b.test);
}

void expect_same(const TestResult& a, const TestResult& b) {
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.argv, b.argv);
    EXPECT_EQ(a.node, b.node);
    EXPECT_EQ(a.status, b.status);
    EXPECT_EQ(a.retval, b.retval);
    EXPECT_EQ(a.start, b.start);
    EXPECT_EQ(a.duration, b.duration);
    EXPECT_EQ(a.migrations, b.migrations);
    EXPECT_EQ(a.reason, b.reason);
    EXPECT_EQ(a.log, b.log);
}

template <typename T>
void expect_same(const std::vector<T>& a, const std::vector<T>& b) {
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
        SCOPED_TRACE(i);
        expect_same(a[i], b[i]);
    }
}

size_t occurrences(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = 0; (at = text.find(what, at)) != std::string::npos; at += what.size()) ++n;
    return n;
}

// The one-line error from_kirk_json gives for a file, or "" when it takes it.
std::string refusal(const std::string& text) {
    try {
        from_kirk_json(json::parse(text));
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(Status, KirksWords) {
    for (Status s : {Status::Pass, Status::Fail, Status::Broken, Status::Skip})
        EXPECT_EQ(status_from_string(to_string(s)), s);
    EXPECT_STREQ(to_string(Status::Skip), "conf");
    EXPECT_STREQ(to_string(Status::Broken), "brok");
    EXPECT_THROW(status_from_string("PASS"), std::invalid_argument);
    EXPECT_THROW(status_from_string(""), std::invalid_argument);
}

TEST(Kirk, RoundTripsEveryField) {
    RunRecord r = sample_run();
    r.tests[1].log = std::string("bytes \x01\x1b[0m\n\0 é kept", 19);   // the JSON file keeps a log as it was
    RunRecord back = round_trip(r);
    EXPECT_EQ(back.suite, r.suite);
    EXPECT_EQ(back.suite_file, r.suite_file);
    EXPECT_EQ(back.started_at, r.started_at);
    EXPECT_EQ(back.runtime, r.runtime);
    EXPECT_EQ(back.controller, r.controller);
    EXPECT_EQ(back.kernel, r.kernel);
    expect_same(back.nodes, r.nodes);
    expect_same(back.samples, r.samples);
    expect_same(back.migrations, r.migrations);
    expect_same(back.tests, r.tests);
}

TEST(Kirk, ABrokenByteOfALogBecomesAReplacementCharacter) {
    RunRecord r = sample_run();
    r.tests[0].log = "cut \xe2\x9c, wrong \xff.";
    r.migrations[0].command = "\xc0\xafsh";
    RunRecord back = round_trip(r);                                    // dump() would throw on invalid UTF-8
    EXPECT_EQ(back.tests[0].log, "cut \uFFFD\uFFFD, wrong \uFFFD.");   // one for each byte
    EXPECT_EQ(back.migrations[0].command, "\uFFFD\uFFFDsh");
}

TEST(Kirk, RoundTripsAnEmptyRun) {
    RunRecord back = round_trip(RunRecord{});
    EXPECT_TRUE(back.tests.empty() && back.nodes.empty() && back.samples.empty() && back.migrations.empty());
}

TEST(Kirk, HasTheLtpShape) {
    json j = to_kirk_json(sample_run());
    EXPECT_EQ(j["results"][0]["test_fqn"], "distkeygen");
    EXPECT_EQ(j["results"][0]["test"]["command"], "distkeygen");
    EXPECT_EQ(j["results"][0]["test"]["arguments"], json({"--keys", "120"}));
    EXPECT_EQ(j["results"][0]["test"]["retval"], json({"0"}));
    EXPECT_EQ(j["results"][0]["test"]["result"], "pass");
    EXPECT_EQ(j["results"][0]["test"]["passed"], 1);
    EXPECT_EQ(j["results"][1]["test"]["failed"], 1);
    EXPECT_EQ(j["results"][2]["test"]["broken"], 1);
    EXPECT_EQ(j["results"][3]["status"], "conf");
    EXPECT_EQ(j["results"][3]["test"]["skipped"], 1);
    EXPECT_EQ(j["results"][3]["test"]["passed"], 0);
    EXPECT_EQ(j["stats"],
              json({{"runtime", 42.5}, {"passed", 1}, {"failed", 1}, {"broken", 1}, {"skipped", 1}, {"warnings", 0}}));
    EXPECT_EQ(j["environment"]["started_at"], "2026-12-01 11:27:02");
    EXPECT_EQ(j["nodes"][2]["lost_reason"], "its agent did not answer for 5 s");
    EXPECT_EQ(j["migrations"][0]["frozen_ms"], 12.5);
}

TEST(Kirk, RefusesAFileOfAnotherShapeInOneLine) {
    EXPECT_EQ(refusal(R"({"tests":[]})"), "not a stress run's results: no \"results\" array");
    EXPECT_EQ(refusal(R"([1, 2])"), "not a stress run's results: no \"results\" array");
    EXPECT_EQ(refusal(R"({"results":{}})"), "not a stress run's results: no \"results\" array");
    for (const char* bad : {
             R"({"results":[{"test_fqn":"a","status":"weird","test":{"command":"x"}}]})",
             R"({"results":[{"test_fqn":3}]})",
             R"({"results":["distkeygen"]})",
             R"({"results":[{"test_fqn":"a","status":"pass"}]})",
             R"({"results":[{"test_fqn":"a","status":"pass","test":{"command":"x","retval":["zero"]}}]})",
             R"({"results":[{"test_fqn":"a","status":"pass","test":{"command":"x","retval":["99999999999"]}}]})",
             R"({"results":[{"test_fqn":"a","status":"pass","test":{"command":"x","arguments":"-v"}}]})",
             R"({"results":[],"samples":[{"t":"soon"}]})",
             R"({"results":[],"nodes":{"1":{}}})",
             R"({"results":[],"migrations":[{"bytes":"3 MiB"}]})",
             R"({"results":[],"environment":"debian"})",
             R"({"results":[],"stats":{"runtime":"long"}})",
         }) {
        std::string why = refusal(bad);
        EXPECT_EQ(why.rfind("not a stress run's results: ", 0), 0u) << bad << " -> " << why;
        EXPECT_EQ(why.find('\n'), std::string::npos) << why;
        EXPECT_EQ(why.find("[json.exception"), std::string::npos) << why;
    }
    EXPECT_NE(refusal(R"({"results":[{"test_fqn":"a","status":"pass","test":{"command":"x"}},{"test_fqn":1}]})")
                  .find("results[1]"),
              std::string::npos);
    EXPECT_EQ(refusal(R"({"results":[{"test_fqn":3}]})"),
              "not a stress run's results: results[0]: \"test_fqn\" is a number, not a string");
    // What kirk itself needs is enough: our own keys are optional.
    EXPECT_EQ(refusal(R"({"results":[{"test_fqn":"a","status":"pass","test":{"command":"x"}}]})"), "");
}

TEST(Text, NamesEveryTestTheLostNodeAndTheCounts) {
    std::string t = omtest_text(sample_run());
    for (const char* s : {"openMosix stress test report",
                          "started at:  2026-12-01 11:27:02",
                          "runtime:     42.5 s",
                          "controller:  node1 (kernel 6.1.0)",
                          "short (harness/suites/short.json)",
                          "distkeygen",
                          "eatmem",
                          "after-on-3",
                          "mfstest",
                          "PASSED",
                          "FAILED",
                          "BROKEN",
                          "SKIPPED",
                          "LOST at 20 s: its agent did not answer for 5 s",
                          "eatmem: FAIL worker 2 wrote 12",
                          "---- eatmem ----",
                          "command: distkeygen --keys 120",
                          "4 migrations (1 arrived, 1 home, 2 failed or lost), 3.0 MiB moved",
                          "frozen: mean 12.5 ms, max 12.5 ms",
                          "node    1: 1 in, 1 out",
                          "node    2: 1 in, 1 out"})
        EXPECT_NE(t.find(s), std::string::npos) << s << "\n" << t;
    // node 2's load went 200 + t for t = 0..39: mean 2.195 processes, max 2.39.
    EXPECT_NE(t.find("     2       2.19      2.39          139"), std::string::npos) << t;
    EXPECT_EQ(t.find(" \n"), std::string::npos);   // no trailing blanks after an empty reason
    EXPECT_EQ(t.substr(t.rfind('\n', t.size() - 2) + 1), "RESULT: 1 passed, 1 failed, 1 broken, 1 skipped\n");
}

TEST(Text, ReportFileNameIsTheHowtosWithoutSlashes) {
    EXPECT_EQ(report_file_name("2026-12-01 11:27:02"), "openMosix-stress-test-report-2026-12-01-11:27:02.txt");
    EXPECT_EQ(report_file_name("2026/12/01 11:27:02"), "openMosix-stress-test-report-2026-12-01-11:27:02.txt");
}

TEST(Junit, CountsEveryStatus) {
    std::string x = junit_xml(sample_run());
    EXPECT_EQ(x.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n", 0), 0u);
    EXPECT_NE(x.find("<testsuite name=\"short\" tests=\"4\" failures=\"1\" errors=\"1\" skipped=\"1\" time=\"42.500\" "
                     "timestamp=\"2026-12-01T11:27:02\""),
              std::string::npos)
        << x;
    EXPECT_NE(x.find("<testcase classname=\"omtest.node2\" name=\"eatmem\" time=\"5.000\">"), std::string::npos);
    EXPECT_NE(x.find("<failure message=\"eatmem: FAIL worker 2 wrote 12\"/>"), std::string::npos);
    EXPECT_NE(x.find("<error message=\"node 3 (node3) was lost at 20 s\"/>"), std::string::npos);
    EXPECT_NE(x.find("<skipped message=\"mfstest: SKIP no /mfs\"/>"), std::string::npos);
    EXPECT_NE(x.find("<system-out>PASS\n</system-out>"), std::string::npos);
    EXPECT_EQ(occurrences(x, "<testcase "), 4u);
    EXPECT_EQ(occurrences(x, "</testcase>"), 4u);
    EXPECT_NE(x.find("</testsuite>\n</testsuites>\n"), std::string::npos);
}

TEST(Junit, ANodeWithoutAHostNameIsNamedByItsId) {
    RunRecord r = sample_run();
    r.tests[0].node = 9;
    EXPECT_NE(junit_xml(r).find("classname=\"omtest.node9\" name=\"distkeygen\""), std::string::npos);
}

TEST(Junit, EscapesArbitraryOutput) {
    RunRecord r = sample_run();
    r.tests[1].log =
        std::string("a<b>&\"c' \x01\x1b[31m\x7f bad \xff\xfe\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80 ok é ✓ 𝄞\t\r\n") +
        std::string("nul\0here]]></system-out><x>", 28);
    r.tests[1].reason = "<fail & \"quote\">";
    r.tests[1].name = "eat'mem";
    std::string x = junit_xml(r);
    EXPECT_NE(x.find("<failure message=\"&lt;fail &amp; &quot;quote&quot;&gt;\"/>"), std::string::npos) << x;
    EXPECT_NE(x.find("name=\"eat&#39;mem\""), std::string::npos);
    EXPECT_NE(
        x.find("<system-out>a&lt;b&gt;&amp;&quot;c&#39; [31m\x7f bad  ok é ✓ 𝄞\t\r\nnulhere]]&gt;&lt;/system-out&gt;"
               "&lt;x&gt;</system-out>"),
        std::string::npos)
        << x;
    for (char c : {'\x01', '\x1b', '\0', '\xff', '\xfe', '\xc0'}) EXPECT_EQ(x.find(c), std::string::npos) << int(c);
    // Every '<' left is one of ours: the log's are all escaped.
    EXPECT_EQ(occurrences(x, "<"), occurrences(junit_xml(sample_run()), "<"));
}

TEST(Junit, XmlEscapeKeepsOnlyWholeCharactersXmlAllows) {
    EXPECT_EQ(xml_escape("\xe2\x9c"), "");   // a cut sequence
    EXPECT_EQ(xml_escape("\xe2\x9c"
                         "a"),
              "a");                                                  // ... in the middle
    EXPECT_EQ(xml_escape("\xc0\x80\xe0\x80\xaf"), "");               // overlong forms
    EXPECT_EQ(xml_escape("\xed\xb0\x80"), "");                       // a surrogate
    EXPECT_EQ(xml_escape("\xef\xbf\xbe\xef\xbf\xbf"), "");           // U+FFFE, U+FFFF
    EXPECT_EQ(xml_escape("\xf4\x8f\xbf\xbf"), "\xf4\x8f\xbf\xbf");   // U+10FFFF is the last
    EXPECT_EQ(xml_escape("\xc2\xa0\xe2\x82\xac"), "\xc2\xa0\xe2\x82\xac");
    EXPECT_EQ(xml_escape("\t\n\r\x0b\x0c"), "\t\n\r");
}

TEST(Html, HasChartsTablesAndEscapedNames) {
    RunRecord r = sample_run();
    r.tests[0].name = "<script>alert(1)</script>";
    r.tests[1].log = "</pre><img src=x onerror=alert(2)>";
    r.migrations[0].command = "<b>eatmem</b>";
    r.nodes[0].host = "<i>node1</i>";
    std::string h = html_report(r);
    for (const char* s : {"<!DOCTYPE html>",
                          "<style>",
                          "id=\"load-chart\"",
                          "id=\"memory-chart\"",
                          "id=\"results\"",
                          "id=\"migrations\"",
                          "id=\"nodes\"",
                          "class=\"migration\"",
                          "class=\"lost\"",
                          "node 3 lost",
                          "<tr class=\"pass\">",
                          "<tr class=\"fail\">",
                          "<tr class=\"brok\">",
                          "<tr class=\"conf\">",
                          "<details>",
                          "seconds since the start",
                          "load (CPU-bound processes)",
                          "memory used (MiB)",
                          "<td>1 → 2</td>",
                          "LOST at 20 s: its agent did not answer for 5 s",
                          "badge pass\">1 passed"})
        EXPECT_NE(h.find(s), std::string::npos) << s;
    EXPECT_EQ(h.find("<script"), std::string::npos);
    EXPECT_EQ(h.find("<img"), std::string::npos);
    EXPECT_EQ(h.find("<b>"), std::string::npos);
    EXPECT_EQ(h.find("<i>node1"), std::string::npos);
    EXPECT_NE(h.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
    EXPECT_EQ(h.find("http://"), h.find("http://www.w3.org/2000/svg"));   // nothing fetched from anywhere
    EXPECT_EQ(occurrences(h, "class=\"migration\""), 2 * r.migrations.size());
    EXPECT_EQ(occurrences(h, "<line class=\"lost\""), 2u);   // node 3, on both charts
}

TEST(Html, OnePolylinePerNodeAndChartHoweverManySamples) {
    RunRecord r = sample_run();
    for (int t = 40; t < 640; ++t)
        for (uint16_t n = 1; n <= 2; ++n) r.samples.push_back({double(t), n, 150, 300, 1024, 1, 0});
    std::string h = html_report(r);
    EXPECT_EQ(occurrences(h, "<polyline"), 6u);
    for (const char* node : {"class=\"node-1\"", "class=\"node-2\"", "class=\"node-3\""})
        EXPECT_EQ(occurrences(h, node), 2u) << node;
    EXPECT_EQ(occurrences(h, "<circle"), 0u);
}

TEST(Html, PointsAreInTimeOrder) {
    RunRecord r;
    r.runtime = 10;
    r.nodes = {{1, "n1", "", 1, 100, 100, false, 0, ""}};
    r.samples = {{10, 1, 100, 50, 100, 1, 0}, {0, 1, 0, 0, 100, 0, 0}, {5, 1, 200, 100, 100, 2, 0}};
    std::string h = html_report(r);
    const size_t at = h.find("points=\"", h.find("id=\"memory-chart\""));
    ASSERT_NE(at, std::string::npos);
    // x runs from 60 (t = 0) to 940 (t = 10); memory 0, 100, 50 of a 110 MiB scale.
    EXPECT_EQ(h.substr(at, 42), "points=\"60.0,240.0 500.0,40.0 940.0,140.0 ");
}

TEST(Html, ASampleOfNoNumberIsLeftOut) {
    RunRecord r = sample_run();
    const double inf = std::numeric_limits<double>::infinity();
    r.samples.push_back({std::nan(""), 1, 100, 100, 1024, 1, 0});
    r.samples.push_back({41, 1, inf, 1e308, 1024, 1, 0});
    r.samples.push_back({-inf, 2, 100, 100, 1024, 1, 0});
    r.migrations[0].t = std::nan("");
    const std::string h = html_report(r);   // and returns: no axis stretched to infinity
    for (size_t at = 0; (at = h.find("<svg", at)) != std::string::npos; ++at) {
        const std::string svg = h.substr(at, h.find("</svg>", at) - at);
        EXPECT_EQ(svg.find("nan"), std::string::npos) << svg;
        EXPECT_EQ(svg.find("inf"), std::string::npos) << svg;
    }
    EXPECT_EQ(occurrences(h, "<polyline"), 6u);
    EXPECT_EQ(occurrences(h, "class=\"migration\""), 2 * (r.migrations.size() - 1));
    EXPECT_NE(h.find("<td class=\"num\">1.39</td>"), std::string::npos);   // node 1's max load, the inf left out
}

TEST(Html, AnEmptyRunSaysSo) {
    RunRecord r;
    r.suite = "empty";
    std::string h = html_report(r);
    for (const char* s :
         {"id=\"load-chart\" class=\"empty\">no samples", "id=\"memory-chart\" class=\"empty\">no samples", "no tests",
          "no migrations", "no nodes", "badge pass zero\">0 passed", "</html>"})
        EXPECT_NE(h.find(s), std::string::npos) << s;
    EXPECT_EQ(h.find("<svg"), std::string::npos);
    EXPECT_EQ(h.find("<polyline"), std::string::npos);
    EXPECT_NE(omtest_text(r).find("RESULT: 0 passed, 0 failed, 0 broken, 0 skipped"), std::string::npos);
    EXPECT_NE(junit_xml(r).find("tests=\"0\" failures=\"0\" errors=\"0\" skipped=\"0\""), std::string::npos);
}

TEST(Html, SamplesButNoMigrationsOrLostNodes) {
    RunRecord r = sample_run();
    r.migrations.clear();
    for (auto& n : r.nodes) n.lost = false;
    std::string h = html_report(r);
    EXPECT_EQ(h.find("class=\"migration\""), std::string::npos);
    EXPECT_EQ(h.find("<line class=\"lost\""), std::string::npos);
    EXPECT_EQ(occurrences(h, "<polyline"), 6u);
    EXPECT_NE(h.find("no migrations"), std::string::npos);
}
