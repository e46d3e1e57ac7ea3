#include <gtest/gtest.h>

#include "report/report.h"

using namespace omx::harness;
using nlohmann::json;

namespace {

RunRecord sample_run() {
    RunRecord r;
    r.suite = "short";
    r.suite_file = "harness/suites/short.json";
    r.started_at = "2026-12-01 11:27:02";
    r.runtime = 42.5;
    r.controller = "node1";
    r.kernel = "6.1.0";
    r.nodes = {{1, "node1", "10.210.0.1:4670", 2, 188, 1024, false, 0, ""},
               {2, "node2", "10.210.0.2:4670", 2, 187, 1024, false, 0, ""},
               {3, "node3", "10.210.0.3:4670", 1, 90, 512, true, 20.5, "its agent did not answer for 5 s"}};
    for (int t = 0; t < 40; ++t)
        for (uint16_t n = 1; n <= 3; ++n)
            if (n != 3 || t < 20) r.samples.push_back({double(t), n, 100.0 * n, 100.0 + t, 1024, n, n == 2 ? 1 : 0});
    r.migrations = {{3.5, 1, 4242, "eatmem", 1, 2, 3 << 20, 12.5, 30.25, "arrived", "t1-1-1"},
                    {9.0, 1, 4242, "eatmem", 2, 1, 0, 0, 0, "home", "t1-1-1"},
                    {21.0, 1, 4243, "forkit", 3, 3, 0, 0, 0, "lost", ""}};
    TestResult pass{"distkeygen", {"distkeygen", "--keys", "120"}, 1, Status::Pass, 0, 0.5, 10.25, 2, "", "distkeygen: PASS\n"};
    TestResult fail{"eatmem", {"eatmem"}, 2, Status::Fail, 1, 11, 5, 0, "eatmem: FAIL worker 2 wrote 12", "x\n"};
    TestResult brok{"after-on-3", {"true"}, 3, Status::Broken, -1, 30, 0, 0, "node 3 (node3) was lost at 20 s", ""};
    TestResult skip{"mfstest", {"mfstest"}, 1, Status::Skip, 77, 31, 0.1, 0, "mfstest: SKIP oMFS is not mounted at /mfs", ""};
    r.tests = {pass, fail, brok, skip};
    return r;
}

}  // namespace

TEST(Kirk, RoundTripsEveryField) {
    RunRecord r = sample_run();
    RunRecord back = from_kirk_json(json::parse(to_kirk_json(r).dump()));
    EXPECT_EQ(back.suite, r.suite);
    EXPECT_EQ(back.suite_file, r.suite_file);
    EXPECT_EQ(back.started_at, r.started_at);
    EXPECT_EQ(back.runtime, r.runtime);
    EXPECT_EQ(back.controller, r.controller);
    EXPECT_EQ(back.kernel, r.kernel);
    ASSERT_EQ(back.nodes.size(), 3u);
    EXPECT_EQ(back.nodes[2].lost_reason, r.nodes[2].lost_reason);
    EXPECT_EQ(back.nodes[2].lost_at, 20.5);
    EXPECT_EQ(back.nodes[1].address, "10.210.0.2:4670");
    ASSERT_EQ(back.samples.size(), r.samples.size());
    EXPECT_EQ(back.samples[5].load, r.samples[5].load);
    EXPECT_EQ(back.samples[5].guests, r.samples[5].guests);
    ASSERT_EQ(back.migrations.size(), 3u);
    EXPECT_EQ(back.migrations[0].bytes, uint64_t(3) << 20);
    EXPECT_EQ(back.migrations[0].frozen_ms, 12.5);
    EXPECT_EQ(back.migrations[0].test, "t1-1-1");
    ASSERT_EQ(back.tests.size(), 4u);
    for (size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(back.tests[i].name, r.tests[i].name);
        EXPECT_EQ(back.tests[i].argv, r.tests[i].argv);
        EXPECT_EQ(back.tests[i].status, r.tests[i].status);
        EXPECT_EQ(back.tests[i].retval, r.tests[i].retval);
        EXPECT_EQ(back.tests[i].node, r.tests[i].node);
        EXPECT_EQ(back.tests[i].start, r.tests[i].start);
        EXPECT_EQ(back.tests[i].duration, r.tests[i].duration);
        EXPECT_EQ(back.tests[i].migrations, r.tests[i].migrations);
        EXPECT_EQ(back.tests[i].reason, r.tests[i].reason);
        EXPECT_EQ(back.tests[i].log, r.tests[i].log);
    }
}

TEST(Kirk, HasTheLtpShape) {
    json j = to_kirk_json(sample_run());
    EXPECT_EQ(j["results"][0]["test_fqn"], "distkeygen");
    EXPECT_EQ(j["results"][0]["test"]["command"], "distkeygen");
    EXPECT_EQ(j["results"][0]["test"]["arguments"], json({"--keys", "120"}));
    EXPECT_EQ(j["results"][0]["test"]["retval"], json({"0"}));
    EXPECT_EQ(j["results"][3]["status"], "conf");
    EXPECT_EQ(j["results"][2]["test"]["broken"], 1);
    EXPECT_EQ(j["stats"], json({{"runtime", 42.5}, {"passed", 1}, {"failed", 1}, {"broken", 1}, {"skipped", 1}, {"warnings", 0}}));
}

TEST(Kirk, RefusesAFileOfAnotherShape) {
    EXPECT_THROW(from_kirk_json(json::parse(R"({"tests":[]})")), std::runtime_error);
    EXPECT_THROW(from_kirk_json(json::parse(R"({"results":[{"test_fqn":"a","status":"weird","test":{"command":"x"}}]})")),
                 std::runtime_error);
    EXPECT_THROW(from_kirk_json(json::parse(R"({"results":[{"test_fqn":3}]})")), std::runtime_error);
    EXPECT_THROW(from_kirk_json(json::parse(R"({"results":[],"samples":[{"t":"soon"}]})")), std::runtime_error);
}

TEST(Text, NamesEveryTestTheLostNodeAndTheCounts) {
    std::string t = omtest_text(sample_run());
    for (const char* s : {"distkeygen", "eatmem", "after-on-3", "mfstest", "PASSED", "FAILED", "BROKEN", "SKIPPED",
                          "LOST at 20 s: its agent did not answer for 5 s", "eatmem: FAIL worker 2 wrote 12",
                          "---- eatmem ----", "3 migrations (1 moves away, 1 home, 1 failed or lost), 3.0 MiB moved"})
        EXPECT_NE(t.find(s), std::string::npos) << s << "\n" << t;
    EXPECT_NE(t.rfind("RESULT: 1 passed, 1 failed, 1 broken, 1 skipped\n"), std::string::npos);
    EXPECT_EQ(report_file_name("2026-12-01 11:27:02"), "openMosix-stress-test-report-2026-12-01-11:27:02.txt");
}

TEST(Junit, CountsAndEscapesArbitraryOutput) {
    RunRecord r = sample_run();
    r.tests[1].log = std::string("a<b>&\"c' \x01\x1b[31m bad utf8 \xff\xfe ok é ✓\n");
    r.tests[1].reason = "<fail>";
    std::string x = junit_xml(r);
    EXPECT_NE(x.find("tests=\"4\" failures=\"1\" errors=\"1\" skipped=\"1\""), std::string::npos) << x;
    EXPECT_NE(x.find("classname=\"omtest.node2\" name=\"eatmem\""), std::string::npos);
    EXPECT_NE(x.find("<failure message=\"&lt;fail&gt;\"/>"), std::string::npos);
    EXPECT_NE(x.find("a&lt;b&gt;&amp;&quot;c&#39; [31m bad utf8  ok é ✓"), std::string::npos) << x;
    EXPECT_EQ(x.find('\x01'), std::string::npos);
    EXPECT_EQ(x.find('\x1b'), std::string::npos);
    EXPECT_EQ(x.find('\xff'), std::string::npos);
    EXPECT_EQ(xml_escape("\xe2\x9c"), "");   // a cut sequence
}

TEST(Html, HasChartsTablesAndEscapedNames) {
    RunRecord r = sample_run();
    r.tests[0].name = "<script>alert(1)</script>";
    std::string h = html_report(r);
    for (const char* s : {"id=\"load-chart\"", "id=\"memory-chart\"", "id=\"results\"", "id=\"migrations\"", "id=\"nodes\"",
                          "class=\"node-1\"", "class=\"node-2\"", "class=\"node-3\"", "class=\"migration\"", "class=\"lost\"",
                          "node 3 lost", "<tr class=\"fail\">", "<tr class=\"conf\">"})
        EXPECT_NE(h.find(s), std::string::npos) << s;
    EXPECT_EQ(h.find("<script>"), std::string::npos);
    EXPECT_NE(h.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
    // One polyline per node and chart, not an element per point.
    size_t polylines = 0;
    for (size_t at = 0; (at = h.find("<polyline", at)) != std::string::npos; ++at) ++polylines;
    EXPECT_EQ(polylines, 6u);
}

TEST(Html, AnEmptyRunSaysSo) {
    RunRecord r;
    r.suite = "empty";
    std::string h = html_report(r);
    EXPECT_NE(h.find("no samples"), std::string::npos);
    EXPECT_NE(h.find("no tests"), std::string::npos);
    EXPECT_NE(h.find("no migrations"), std::string::npos);
    EXPECT_NE(omtest_text(r).find("RESULT: 0 passed, 0 failed, 0 broken, 0 skipped"), std::string::npos);
}
