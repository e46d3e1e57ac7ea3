#include "map_format.h"

#include <gtest/gtest.h>

namespace omx::tools {
namespace {

MapView four_nodes(uint16_t self) { return MapView{"map", "/etc/openmosix.map", self, {{1, "10.210.0.1", 4}}}; }

TEST(Showmap, ReferenceLayout) {
    EXPECT_EQ(showmap_text(four_nodes(2)),
              "My Node-Id: 0x0002\n"
              "\n"
              "Base Node-Id Address          Count\n"
              "------------ ---------------- -----\n"
              "0x0001       10.210.0.1       4\n");
}

TEST(Showmap, AutodiscoveryIdsInHexAndAliases) {
    MapView m{"auto", "autodiscovery", 0x0adc, {{0x0adc, "192.168.10.220", 1}, {0x0a4e, "192.168.10.78", 1},
                                                {0x0adc, "10.0.0.5", 0}}};
    EXPECT_EQ(showmap_text(m),
              "My Node-Id: 0x0adc\n"
              "\n"
              "Base Node-Id Address          Count\n"
              "------------ ---------------- -----\n"
              "0x0adc       192.168.10.220   1\n"
              "0x0a4e       192.168.10.78    1\n"
              "0x0adc       10.0.0.5         ALIAS\n");
}

TEST(InitStatus, ReferenceText) {
    EXPECT_EQ(init_status_text(four_nodes(2)),
              "This is openMosix node #2\n"
              "Network protocol: 2 (AF_INET)\n"
              "openMosix range 1-4      begins at 10.210.0.1\n"
              "Total configured: 4\n");
}

TEST(InitStatus, OneLinePerRangeSkippingAliases) {
    MapView m{"map", "x", 2, {{1, "192.168.10.220", 1}, {2, "inspon.localhost.be", 1}, {3, "192.168.10.84", 1},
                              {3, "10.1.1.1", 0}}};
    EXPECT_EQ(init_status_text(m),
              "This is openMosix node #2\n"
              "Network protocol: 2 (AF_INET)\n"
              "openMosix range 1-1      begins at 192.168.10.220\n"
              "openMosix range 2-2      begins at inspon.localhost.be\n"
              "openMosix range 3-3      begins at 192.168.10.84\n"
              "Total configured: 3\n");
}

TEST(InitStatus, DisabledWhenOffOrWithoutSelf) {
    EXPECT_EQ(init_status_text(MapView{"off", "", 0, {}}), "OpenMosix is currently disabled\n");
    EXPECT_EQ(init_status_text(MapView{"map", "x", 0, {{1, "10.0.0.1", 2}}}), "OpenMosix is currently disabled\n");
}

TEST(MapText, MapSyntaxOneLinePerEntry) {
    EXPECT_EQ(map_text(four_nodes(3)), "1 10.210.0.1 4\n");
    MapView m{"map", "x", 1, {{1, "10.0.0.1", 2}, {2, "10.9.9.9", 0}}};
    EXPECT_EQ(map_text(m), "1 10.0.0.1 2\n2 10.9.9.9 ALIAS\n");
    EXPECT_EQ(map_text(MapView{"off", "", 0, {}}), "");
}

TEST(MapText, ConfiguredCountIgnoresAliases) {
    MapView m{"map", "x", 1, {{1, "10.0.0.1", 2}, {2, "10.9.9.9", 0}, {7, "h", 1}}};
    EXPECT_EQ(configured_nodes(m), 3);
}

}  // namespace
}  // namespace omx::tools
