#include <gtest/gtest.h>

#include "mosctl_args.h"
#include "mosctl_format.h"
#include "tool_main.h"

namespace omx::tools {
namespace {

MosctlCommand parse(std::vector<std::string> a) { return parse_mosctl_args(a); }

TEST(MosctlArgs, FlagVerbsMapToAdminKeys) {
    struct Case { const char* verb; const char* key; int value; };
    for (auto c : {Case{"stay", "stay", 1}, Case{"nostay", "stay", 0}, Case{"lstay", "lstay", 1},
                   Case{"nolstay", "lstay", 0}, Case{"block", "block", 1}, Case{"noblock", "block", 0},
                   Case{"quiet", "quiet", 1}, Case{"noquiet", "quiet", 0}, Case{"nomfs", "nomfs", 1},
                   Case{"mfs", "nomfs", 0}, Case{"-stay", "stay", 0}, Case{"-block", "block", 0}}) {
        auto cmd = parse({c.verb});
        EXPECT_EQ(cmd.verb, MosctlVerb::SetFlag) << c.verb;
        EXPECT_EQ(cmd.flag_key, c.key) << c.verb;
        EXPECT_EQ(cmd.flag_value, c.value) << c.verb;
    }
}

TEST(MosctlArgs, GettersTakeAnOptionalNodeId) {
    EXPECT_FALSE(parse({"getload"}).node);
    EXPECT_EQ(*parse({"getmem", "3"}).node, 3);
    EXPECT_EQ(parse({"isup", "65535"}).verb, MosctlVerb::IsUp);
    EXPECT_THROW(parse({"getload", "0"}), ToolError);
    EXPECT_THROW(parse({"getload", "node3"}), ToolError);
    EXPECT_THROW(parse({"getload", "1", "2"}), UsageError);
}

TEST(MosctlArgs, WhoisKeepsItsQueryAsTyped) {
    EXPECT_TRUE(parse({"whois"}).args.empty());
    EXPECT_EQ(parse({"whois", "node3"}).args.at(0), "node3");
}

TEST(MosctlArgs, SetspeedNeedsANumber) {
    EXPECT_EQ(parse({"setspeed", "250"}).numbers.at(0), 250);
    EXPECT_EQ(parse({"setspeed", "0"}).numbers.at(0), 0);
    EXPECT_THROW(parse({"setspeed", "fast"}), ToolError);
    EXPECT_THROW(parse({"setspeed", "-5"}), ToolError);
    EXPECT_THROW(parse({"setspeed", "1000001"}), ToolError);
    EXPECT_THROW(parse({"setspeed"}), UsageError);
}

TEST(MosctlArgs, SetdecayTakesOneOrThreeNumbers) {
    EXPECT_EQ(parse({"setdecay", "2"}).numbers, (std::vector<long long>{2}));
    EXPECT_EQ(parse({"setdecay", "2", "950", "900"}).numbers, (std::vector<long long>{2, 950, 900}));
    EXPECT_THROW(parse({"setdecay", "2", "950"}), UsageError);
    EXPECT_THROW(parse({"setdecay", "0"}), ToolError);
    EXPECT_THROW(parse({"setdecay", "1", "1001", "900"}), ToolError);
}

TEST(MosctlArgs, UnknownVerbsAndOperandsAreUsageErrors) {
    EXPECT_THROW(parse({"frobnicate"}), UsageError);
    EXPECT_THROW(parse({}), UsageError);
    EXPECT_THROW(parse({"stay", "now"}), UsageError);
    EXPECT_THROW(parse({"setyard"}), UsageError);
    EXPECT_EQ(parse({"--help"}).verb, MosctlVerb::Help);
}

TEST(MosctlArgs, UsageListsEveryVerb) {
    std::string u = mosctl_usage();
    for (const auto& v : mosctl_verbs()) EXPECT_NE(u.find(v.name), std::string::npos) << v.name;
}

TEST(MosctlFormat, Whois) {
    EXPECT_EQ(whois_text({1, "10.210.0.1", "node1"}, true), "This is openMosix #1\n");
    EXPECT_EQ(whois_text({3, "10.210.0.3", "node3"}, false), "openMosix #3 is 10.210.0.3 (node3)\n");
    EXPECT_EQ(whois_text({3, "10.210.0.3", "10.210.0.3"}, false), "openMosix #3 is 10.210.0.3\n");
}

TEST(MosctlFormat, DecayAndTune) {
    AdminInfo a;
    a.decay_interval = 2, a.slow_decay = 950, a.fast_decay = 900;
    EXPECT_EQ(decay_text(a), "2 950 900\n");
    EXPECT_EQ(tune_text(a), "default\n");
    a.overheads = "100 20 30";
    EXPECT_EQ(tune_text(a), "100 20 30\n");
}

TEST(MosctlFormat, GettersPrintBytesForMemory) {
    NodeInfo n;
    n.load = 12, n.speed = 312, n.util = 4, n.mem = 1000, n.rmem = 900, n.tmem = 2000;
    EXPECT_EQ(getter_value(MosctlVerb::GetLoad, n), 12);
    EXPECT_EQ(getter_value(MosctlVerb::GetSpeed, n), 312);
    EXPECT_EQ(getter_value(MosctlVerb::GetUtil, n), 4);
    EXPECT_EQ(getter_value(MosctlVerb::GetMem, n), 1000 * 4096);
    EXPECT_EQ(getter_value(MosctlVerb::GetFree, n), 900 * 4096);
}

TEST(MosctlFormat, StatusBlock) {
    NodeInfo n;
    n.id = 2, n.address = "10.210.0.2", n.host = "node2", n.self = true, n.up = true, n.age_ms = 300;
    n.load = 40, n.speed = 312, n.cpus = 2, n.util = 20, n.mem = 256 * 256, n.rmem = 256 * 200, n.tmem = 256 * 512;
    n.block = true;
    std::string s = node_status_text(n, nullptr);
    EXPECT_EQ(s,
              "openMosix #2 is up (10.210.0.2, node2, this node)\n"
              "last heard:    0.3 s ago\n"
              "load:          40\n"
              "speed:         312\n"
              "cpus:          2\n"
              "utilization:   20%\n"
              "memory:        256 MB free (200 MB free to Linux) of 512 MB\n"
              "block:         yes\n"
              "stay:          no\n"
              "lstay:         no\n"
              "quiet:         no\n"
              "nomfs:         no\n");
    AdminInfo a;
    a.calibrated_speed = 312, a.yardstick = 100;
    EXPECT_NE(node_status_text(n, &a).find("speed setting: 312 (calibrated)\n"), std::string::npos);
    a.speed_set = 50;
    EXPECT_NE(node_status_text(n, &a).find("speed setting: 50 (set; calibrated 312)\n"), std::string::npos);
}

TEST(MosctlFormat, StatusOfANodeNeverHeardFrom) {
    NodeInfo n;
    n.id = 4, n.address = "10.210.0.4", n.host = "10.210.0.4";
    EXPECT_EQ(node_status_text(n, nullptr), "openMosix #4 is DOWN (10.210.0.4)\nlast heard:    never\n");
}

TEST(MosctlFormat, ProcessorTypes) {
    EXPECT_EQ(processor_yardstick("PIII"), 100);
    EXPECT_EQ(processor_yardstick("Pentium-III"), 100);
    EXPECT_FALSE(processor_yardstick("Z80"));
}

}  // namespace
}  // namespace omx::tools
