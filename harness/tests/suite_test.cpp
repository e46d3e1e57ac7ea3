#include <gtest/gtest.h>

#include "common/json_link.h"
#include "controller/suite.h"

using namespace omx::harness;
using nlohmann::json;

TEST(Suite, ParsesEveryField) {
    auto s = parse_suite(json::parse(R"({"name":"short","timeout":120,"tests":[
        {"name":"keys","command":["distkeygen","--keys","{cpus}"],"node":2,"timeout":60,"processes":3,
         "duration":10,"mosrun":["-c"],"background":true},
        {"name":"plain","command":["true"],"node":"any","mosrun":false}]})"), "s.json");
    EXPECT_EQ(s.name, "short");
    EXPECT_EQ(s.timeout, 120);
    ASSERT_EQ(s.tests.size(), 2u);
    EXPECT_EQ(*s.tests[0].node, 2);
    EXPECT_EQ(s.tests[0].processes, 3);
    EXPECT_EQ(s.tests[0].duration, 10);
    EXPECT_EQ(s.tests[0].mosrun, std::vector<std::string>{"-c"});
    EXPECT_TRUE(s.tests[0].background);
    EXPECT_FALSE(s.tests[1].node);
    EXPECT_FALSE(s.tests[1].use_mosrun);
    EXPECT_EQ(s.tests[1].timeout, 600);
}

TEST(Suite, RefusesWhatItCannotUseWithTheReason) {
    auto msg = [](const char* text) {
        try {
            parse_suite(json::parse(text), "s.json");
        } catch (const std::runtime_error& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    EXPECT_EQ(msg(R"({"tests":[]})"), "s.json: \"tests\" must be a non-empty array");
    EXPECT_EQ(msg(R"({"tests":[{"command":["x"]}]})"), "s.json: test 1: \"name\" is required");
    EXPECT_EQ(msg(R"({"tests":[{"name":"a","command":"x"}]})"), "s.json: test 1: \"command\" must be an array of strings");
    EXPECT_EQ(msg(R"({"tests":[{"name":"a","command":["x"],"procs":2}]})"), "s.json: test 1: unknown key \"procs\"");
    EXPECT_EQ(msg(R"({"tests":[{"name":"a","command":["x"],"processes":0}]})"),
              "s.json: test 1: \"processes\" must be a number from 1 to 4096");
    EXPECT_EQ(msg(R"({"tests":[{"name":"a","command":["x"]},{"name":"a","command":["y"]}]})"),
              "s.json: test 2: two tests are named a");
    EXPECT_EQ(msg(R"({"tests":[{"name":"a","command":["x"],"node":0}]})"),
              "s.json: test 1: \"node\" must be a number from 1 to 65535");
}

TEST(Suite, ExpandsClusterSizes) {
    EXPECT_EQ(expand_command({"eatmem", "-p", "{cpus}", "x{nodes}y{nodes}"}, 8, 4),
              (std::vector<std::string>{"eatmem", "-p", "8", "x4y4"}));
}

TEST(Inventory, PlainAndAnsibleLines) {
    auto a = parse_inventory("# agents\n10.0.0.1\n10.0.0.2:5000\n\n[nodes]\n"
                             "node3 ansible_host=10.0.0.3 omx_agent_port=4700 ansible_user=root\nnode4\n",
                             "inv");
    ASSERT_EQ(a.size(), 4u);
    EXPECT_EQ(a[0].host, "10.0.0.1");
    EXPECT_EQ(a[0].port, kAgentPort);
    EXPECT_EQ(a[1].port, 5000);
    EXPECT_EQ(a[2].host, "10.0.0.3");
    EXPECT_EQ(a[2].port, 4700);
    EXPECT_EQ(a[2].name, "node3");
    EXPECT_EQ(a[3].host, "node4");
    EXPECT_THROW(parse_inventory("# nothing\n", "inv"), std::runtime_error);
    EXPECT_THROW(parse_inventory("h:99999\n", "inv"), std::runtime_error);
    EXPECT_THROW(parse_inventory("node1 oops\n", "inv"), std::runtime_error);
}

TEST(HostPort, Forms) {
    EXPECT_EQ(split_host_port("h"), std::make_pair(std::string("h"), kAgentPort));
    EXPECT_EQ(split_host_port("h:12"), std::make_pair(std::string("h"), uint16_t(12)));
    EXPECT_EQ(split_host_port("[::1]:12"), std::make_pair(std::string("::1"), uint16_t(12)));
    EXPECT_THROW(split_host_port(""), std::invalid_argument);
    EXPECT_THROW(split_host_port("h:x"), std::invalid_argument);
    EXPECT_THROW(split_host_port("h:0"), std::invalid_argument);
}

TEST(Classify, ExitStatusAndVerdictLine) {
    EXPECT_EQ(classify_exit(0, 0, false, 60, "distkeygen: PASS 4000 keys\n").first, Status::Pass);
    auto [s, why] = classify_exit(1, 0, false, 60, "noise\neatmem: FAIL worker 3 wrote 12 loops, expected 1000\nmore\n");
    EXPECT_EQ(s, Status::Fail);
    EXPECT_EQ(why, "eatmem: FAIL worker 3 wrote 12 loops, expected 1000");
    EXPECT_EQ(classify_exit(77, 0, false, 60, "mfstest: SKIP oMFS is not mounted at /mfs\n"),
              std::make_pair(Status::Skip, std::string("mfstest: SKIP oMFS is not mounted at /mfs")));
    EXPECT_EQ(classify_exit(3, 0, false, 60, "").second, "exit status 3");
    EXPECT_EQ(classify_exit(137, 9, false, 60, "").second, "killed by signal 9 (Killed)");
    EXPECT_EQ(classify_exit(137, 9, true, 60, "x: FAIL y").second, "timed out after 60 s and was killed");
    // A program that said FAIL but exited 0 still passes: the exit status is the contract.
    EXPECT_EQ(classify_exit(0, 0, false, 60, "x: FAIL y").first, Status::Pass);
}
