// Command-line numbers and node lists, as every tool parses them.
#include <gtest/gtest.h>

#include "numbers.h"

using namespace omx::tools;

TEST(Numbers, NodeListsTakeIdsAndRanges) {
    EXPECT_EQ(*parse_node_list("3"), (std::vector<uint16_t>{3}));
    EXPECT_EQ(*parse_node_list("1-3,7"), (std::vector<uint16_t>{1, 2, 3, 7}));
    EXPECT_EQ(*parse_node_list("7,2,2-3"), (std::vector<uint16_t>{2, 3, 7}));
    EXPECT_EQ(*parse_node_list("65535"), (std::vector<uint16_t>{65535}));
}

TEST(Numbers, BadNodeListsAreRefused) {
    for (const char* bad : {"", ",", "1,", ",1", "3-1", "0", "65536", "1-", "-2", "a", "1 2", "1-70000", "1-9999"})
        EXPECT_FALSE(parse_node_list(bad)) << bad;
}

TEST(Numbers, CountsAndIdsAreStrict) {
    EXPECT_EQ(*parse_count("12"), 12);
    EXPECT_FALSE(parse_count("12x"));
    EXPECT_FALSE(parse_count("+12"));
    EXPECT_FALSE(parse_node_id("0"));
    EXPECT_EQ(*parse_node_id("65535"), 65535);
}
