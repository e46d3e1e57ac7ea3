#include <gtest/gtest.h>
#include <sys/mman.h>

#include "proc_maps.h"

using namespace omx::mig;

TEST(ProcMaps, ParsesEveryKindOfLine) {
    auto maps = parse_maps(
        "55d0c0a00000-55d0c0a02000 r--p 00000000 fe:01 1234   /usr/bin/cat\n"
        "55d0c1000000-55d0c1021000 rw-p 00000000 00:00 0      [heap]\n"
        "7f1e2a000000-7f1e2a021000 rw-s 00000000 00:05 98     /SYSV00000000 (deleted)\n"
        "7f1e2b000000-7f1e2b001000 ---p 00000000 00:00 0 \n"
        "7ffd1c000000-7ffd1c021000 rw-p 00000000 00:00 0      [stack]\n"
        "7ffd1c1fe000-7ffd1c200000 r-xp 00000000 00:00 0      [vdso]\n"
        "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0  [vsyscall]\n");
    ASSERT_EQ(maps.size(), 7u);
    EXPECT_EQ(maps[0].start, 0x55d0c0a00000u);
    EXPECT_EQ(maps[0].prot, PROT_READ);
    EXPECT_EQ(maps[0].path, "/usr/bin/cat");
    EXPECT_EQ(maps[0].inode, 1234u);
    EXPECT_EQ(maps[1].prot, PROT_READ | PROT_WRITE);
    EXPECT_TRUE(maps[2].shared);
    EXPECT_EQ(maps[2].path, "/SYSV00000000 (deleted)");
    EXPECT_EQ(maps[3].prot, 0);
    EXPECT_EQ(maps[3].path, "");
    EXPECT_TRUE(maps[5].kernel_special());
    EXPECT_FALSE(maps[4].kernel_special());
    EXPECT_EQ(maps[5].size(), 0x2000u);
    EXPECT_THROW(parse_maps("garbage\n"), std::runtime_error);
}

TEST(ProcMaps, ReadsOwnLayout) {
    auto maps = read_maps(getpid());
    bool stack = false;
    for (const auto& m : maps) stack = stack || m.is("[stack]");
    EXPECT_TRUE(stack);
    auto l = read_stat_layout(getpid());
    EXPECT_LT(l.start_code, l.end_code);
    EXPECT_LE(l.arg_start, l.arg_end);
    EXPECT_NE(l.start_stack, 0u);
}

TEST(ProcMaps, StatLayoutSurvivesOddCommandNames) {
    std::string line = "42 (a (b) c) S";
    for (int field = 4; field <= 52; ++field) line += " " + std::to_string(field * 100);
    auto l = parse_stat_layout(line);
    EXPECT_EQ(l.start_code, 2600u);
    EXPECT_EQ(l.env_end, 5100u);
    EXPECT_THROW(parse_stat_layout("42 (x) S 1 2 3"), std::runtime_error);
}

TEST(ProcMaps, FindsHolesBetweenLayouts) {
    std::vector<Mapping> a = {Mapping::range(0x10000000, 0x10002000)}, b = {Mapping::range(0x10002000, 0x10003000)};
    EXPECT_EQ(find_hole({&a, &b}, 0x1000, 0x10000000), 0x10003000u);
    EXPECT_EQ(find_hole({&a, &b}, 0x1000, 0x0fff0000), 0x0fff0000u);
    EXPECT_EQ(find_hole({&a}, 0x1000, 0x10001800), 0x10002000u);
}
