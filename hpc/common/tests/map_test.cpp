#include <gtest/gtest.h>

#include "common/map.h"
#include "common/net.h"

using namespace omx;

namespace {
std::string error_of(const std::string& text) {
    try {
        parse_map(text, "/etc/openmosix.map");
    } catch (const MapError& e) {
        return e.what();
    }
    return "";
}
uint32_t ip(const char* s) { return *parse_ipv4(s); }
}  // namespace

TEST(Map, HowtoExamples) {
    auto m = parse_map("# comment\n1 192.168.1.1 4\n\n  \n4 192.168.10.10 ALIAS # second nic\n", "x");
    ASSERT_EQ(m.lines.size(), 2u);
    EXPECT_EQ(m.lines[0].first, 1);
    EXPECT_EQ(m.lines[0].count, 4);
    EXPECT_TRUE(m.lines[1].alias());
    auto nodes = resolve_map(m, "x");
    ASSERT_EQ(nodes.size(), 4u);
    EXPECT_EQ(nodes[3].ipv4[0], ip("192.168.1.3"));
    ASSERT_EQ(nodes[4].ipv4.size(), 2u);
    EXPECT_EQ(nodes[4].ipv4[1], ip("192.168.10.10"));
    EXPECT_EQ(find_local_node(nodes, {ip("127.0.0.1"), ip("192.168.10.10")}), 4);
    EXPECT_FALSE(find_local_node(nodes, {ip("127.0.0.1")}));
}

TEST(Map, ZeroCountIsAlias) {
    auto m = parse_map("1 10.0.0.1 1\n1 10.0.1.1 0\n", "x");
    EXPECT_TRUE(m.lines[1].alias());
}

TEST(Map, ErrorsNameTheLine) {
    EXPECT_EQ(error_of("1 10.0.0.1 1\n2 10.0.0.2\n"),
              "/etc/openmosix.map:2: expected 3 fields (node-id address count), found 2");
    EXPECT_EQ(error_of("0 10.0.0.1 1\n"), "/etc/openmosix.map:1: bad node id '0' (must be 1..65535)");
    EXPECT_EQ(error_of("70000 10.0.0.1 1\n"), "/etc/openmosix.map:1: bad node id '70000' (must be 1..65535)");
    EXPECT_EQ(error_of("1 10.0.0.1 x\n"), "/etc/openmosix.map:1: bad count 'x' (a number or ALIAS)");
    EXPECT_EQ(error_of("1 node1 2\n"),
              "/etc/openmosix.map:1: a range (count 2) needs an IP address, not the hostname 'node1'");
    EXPECT_EQ(error_of("1 10.0.0.250 10\n"),
              "/etc/openmosix.map:1: range of 10 from 10.0.0.250 runs past the last byte (.255)");
    EXPECT_EQ(error_of("1 10.0.0.1 3\n# x\n3 10.0.0.9 1\n"),
              "/etc/openmosix.map:3: node 3 is already defined on line 1");
    EXPECT_EQ(error_of("1 10.0.0.1 1\n5 10.0.0.9 ALIAS\n"),
              "/etc/openmosix.map:2: ALIAS for node 5 which no line defines");
    EXPECT_EQ(error_of("65535 10.0.0.1 2\n"), "/etc/openmosix.map:1: range 65535+2 goes past node id 65535");
}

TEST(Map, TooManyLines) {
    std::string text;
    for (int i = 1; i <= 257; ++i) text += std::to_string(i) + " node" + std::to_string(i) + " 1\n";
    EXPECT_EQ(error_of(text), "/etc/openmosix.map:257: too many lines (at most 256)");
}

TEST(Map, DuplicateAddressIsAnError) {
    auto m = parse_map("1 10.0.0.1 2\n3 10.0.0.2 1\n", "m");
    try {
        resolve_map(m, "m");
        FAIL();
    } catch (const MapError& e) {
        EXPECT_STREQ(e.what(), "m:2: address 10.0.0.2 is used twice");
    }
}

TEST(Map, UnresolvableHost) {
    auto m = parse_map("1 no-such-host.invalid 1\n", "m");
    EXPECT_THROW(resolve_map(m, "m"), MapError);
}

TEST(Map, FormatRoundTrips) {
    auto m = parse_map("1 192.168.1.1 4\n4   192.168.10.10   alias\n", "x");
    EXPECT_EQ(format_map(m), "1 192.168.1.1 4\n4 192.168.10.10 ALIAS\n");
}

TEST(Map, NotInMapMessageIsOpenMosixs) {
    EXPECT_EQ(not_in_map_message(ip("127.0.0.1")),
              "the supplied table is well-formatted,\nbut my IP address (127.0.0.1) is not there!");
}

TEST(NodeId, LowSixteenBits) {
    EXPECT_EQ(node_id_from_ipv4(ip("192.168.10.220")), 0x0adc);
    EXPECT_EQ(node_id_from_ipv4(ip("10.210.0.3")), 3);
}
