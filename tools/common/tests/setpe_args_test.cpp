#include "setpe_args.h"

#include <gtest/gtest.h>

#include "tool_main.h"

namespace omx::tools {
namespace {

SetpeCommand parse(std::vector<std::string> a) { return parse_setpe_args(a); }

TEST(SetpeArgs, OpenMosixSpellings) {
    auto w = parse({"-w", "-f", "/etc/openmosix.map"});
    EXPECT_EQ(w.action, SetpeAction::Write);
    EXPECT_EQ(*w.file, "/etc/openmosix.map");
    EXPECT_EQ(parse({"-W", "-f", "-"}).file.value(), "-");
    EXPECT_FALSE(parse({"-w"}).file);
    EXPECT_EQ(parse({"-r"}).action, SetpeAction::Read);
    EXPECT_EQ(parse({"-r", "-f", "/tmp/x"}).file.value(), "/tmp/x");
    EXPECT_EQ(parse({"-off"}).action, SetpeAction::Off);
    EXPECT_EQ(parse({"--status"}).action, SetpeAction::Status);
    EXPECT_EQ(parse({"--help"}).action, SetpeAction::Help);
}

TEST(SetpeArgs, ManPageCompatibilityOptions) {
    auto c = parse({"-w", "-n", "inet", "-c", "-p", "3", "-g", "2", "-f", "-"});
    EXPECT_TRUE(c.check_only);
    EXPECT_EQ(*c.my_id, 3);
    EXPECT_EQ(*c.gateways, 2);
    EXPECT_THROW(parse({"-w", "-n", "ipx"}), ToolError);
    EXPECT_THROW(parse({"-w", "-g", "3"}), ToolError);
    EXPECT_THROW(parse({"-w", "-p", "0"}), ToolError);
}

TEST(SetpeArgs, WrongCombinationsAreUsageErrors) {
    EXPECT_THROW(parse({}), UsageError);
    EXPECT_THROW(parse({"-w", "-r"}), UsageError);
    EXPECT_THROW(parse({"-off", "-f", "x"}), UsageError);
    EXPECT_THROW(parse({"-r", "-c"}), UsageError);
    EXPECT_THROW(parse({"-w", "-f"}), UsageError);
    EXPECT_THROW(parse({"-x"}), UsageError);
    EXPECT_THROW(parse({"-of"}), UsageError);
}

TEST(SetpeArgs, UsageNamesEveryOption) {
    std::string u = setpe_usage();
    for (const char* o : {"-w", "-W", "-r", "-off", "--status", "-c", "-p", "-g", "-n", "-f"})
        EXPECT_NE(u.find(o), std::string::npos) << o;
}

}  // namespace
}  // namespace omx::tools
