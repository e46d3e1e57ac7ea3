#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cgroups.h"

using namespace vcluster;
namespace fs = std::filesystem;

TEST(Cgroups, V1HierarchiesAndOwnGroups) {
    std::string mountinfo =
        "30 25 0:26 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
        "31 25 0:27 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
        "32 25 0:28 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
        "33 25 0:29 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
        "34 25 0:30 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
    std::string self = "8:pids:/\n4:memory:/process_api/abc\n2:cpuacct:/\n1:cpu:/\n0::/\n";
    auto hs = parse_cgroups(mountinfo, self);
    ASSERT_EQ(hs.size(), 3u);
    EXPECT_EQ(hs[0].mount, "/sys/fs/cgroup/cpu");
    EXPECT_TRUE(hs[0].has("cpu"));
    EXPECT_EQ(hs[2].own_path, "/process_api/abc");
    EXPECT_FALSE(hs[2].v2);
}

TEST(Cgroups, V1CoMountedCpuAndCpuacct) {
    std::string mountinfo = "30 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n";
    auto hs = parse_cgroups(mountinfo, "2:cpu,cpuacct:/user.slice\n");
    ASSERT_EQ(hs.size(), 1u);
    EXPECT_TRUE(hs[0].has("cpu") && hs[0].has("cpuacct"));
    EXPECT_EQ(hs[0].own_path, "/user.slice");
}

TEST(Cgroups, V2UsesCpuAndMemoryControllers) {
    fs::path root = fs::temp_directory_path() / ("cg2_" + std::to_string(::getpid()));
    fs::create_directories(root);
    std::ofstream(root / "cgroup.controllers") << "cpuset cpu io memory pids\n";
    std::string mountinfo = "30 25 0:26 / " + root.string() + " rw - cgroup2 cgroup2 rw\n";
    auto hs = parse_cgroups(mountinfo, "0::/user.slice/session-1.scope\n");
    fs::remove_all(root);
    ASSERT_EQ(hs.size(), 1u);
    EXPECT_TRUE(hs[0].v2);
    EXPECT_EQ(hs[0].controllers, (std::vector<std::string>{"cpu", "memory"}));
}

TEST(Cgroups, QuotaFilesOfBothVersions) {
    fs::path d = fs::temp_directory_path() / ("cgq_" + std::to_string(::getpid()));
    fs::create_directories(d / "v1");
    fs::create_directories(d / "v2");
    std::ofstream(d / "v1" / "cpu.cfs_quota_us") << "-1";
    std::ofstream(d / "v1" / "cpu.cfs_period_us") << "100000";
    std::ofstream(d / "v2" / "cpu.max") << "max 100000";
    set_cpu_share({(d / "v1").string(), (d / "v2").string()}, 0.25);
    auto read = [](const fs::path& p) { std::ifstream in(p); std::string s; std::getline(in, s); return s; };
    EXPECT_EQ(read(d / "v1" / "cpu.cfs_quota_us"), "25000");
    EXPECT_EQ(read(d / "v2" / "cpu.max"), "25000 100000");
    set_cpu_share({(d / "v1").string(), (d / "v2").string()}, 0);
    EXPECT_EQ(read(d / "v1" / "cpu.cfs_quota_us"), "-1");
    EXPECT_EQ(read(d / "v2" / "cpu.max"), "max 100000");
    fs::remove_all(d);
}
