#include <gtest/gtest.h>

#include "plan.h"

using namespace vcluster;

TEST(Plan, AddressesMatchAutodiscoveryIds) {
    EXPECT_EQ(node_address(1), "10.210.0.1");
    EXPECT_EQ(node_address(16), "10.210.0.16");
    EXPECT_EQ(node_hostname(3), "node3");
    EXPECT_EQ(switch_port_name(12), "vc12");
}

TEST(Plan, HostsFileNamesEveryNode) {
    std::string h = hosts_file(3);
    EXPECT_NE(h.find("127.0.0.1\tlocalhost\n"), std::string::npos);
    EXPECT_NE(h.find("10.210.0.1\tnode1\n"), std::string::npos);
    EXPECT_NE(h.find("10.210.0.3\tnode3\n"), std::string::npos);
    EXPECT_EQ(h.find("node4"), std::string::npos);
}

TEST(Plan, MapFileIsOneRange) {
    std::string m = map_file(4);
    EXPECT_NE(m.find("\n1 10.210.0.1 4\n"), std::string::npos);
    EXPECT_EQ(m[0], '#');
}

TEST(Plan, NodeIdsAreCheckedAgainstTheCluster) {
    EXPECT_EQ(parse_node_id("3", 4), 3);
    EXPECT_EQ(parse_node_id("node4", 4), 4);
    EXPECT_THROW(parse_node_id("5", 4), std::invalid_argument);
    EXPECT_THROW(parse_node_id("0", 4), std::invalid_argument);
    EXPECT_THROW(parse_node_id("x", 4), std::invalid_argument);
    EXPECT_THROW(parse_node_id("", 4), std::invalid_argument);
    EXPECT_THROW(parse_node_id("99999999999", 4), std::invalid_argument);
    try {
        parse_node_id("7", 4);
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "no node '7': the cluster has nodes 1..4");
    }
}

TEST(Plan, CpuShares) {
    EXPECT_DOUBLE_EQ(parse_cpu_share("0.5"), 0.5);
    EXPECT_DOUBLE_EQ(parse_cpu_share("0"), 0.0);
    EXPECT_DOUBLE_EQ(parse_cpu_share("2"), 2.0);
    EXPECT_THROW(parse_cpu_share("-1"), std::invalid_argument);
    EXPECT_THROW(parse_cpu_share("half"), std::invalid_argument);
    EXPECT_THROW(parse_cpu_share("0.5x"), std::invalid_argument);
    EXPECT_THROW(parse_cpu_share("0.001"), std::invalid_argument);
    EXPECT_THROW(parse_cpu_share("nan"), std::invalid_argument);
    EXPECT_EQ(cfs_quota_us(0.25), 25000);
    EXPECT_EQ(cfs_quota_us(2), 200000);
    EXPECT_FALSE(cfs_quota_us(0).has_value());
}
