#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "cluster.h"
#include "state.h"

using namespace vcluster;
namespace fs = std::filesystem;

namespace {
struct TempStateDir {
    fs::path dir = fs::temp_directory_path() / ("vcluster_test_" + std::to_string(::getpid()));
    TempStateDir() {
        fs::remove_all(dir);
        ::setenv("VCLUSTER_DIR", dir.c_str(), 1);
    }
    ~TempStateDir() {
        fs::remove_all(dir);
        ::unsetenv("VCLUSTER_DIR");
    }
};

ClusterState sample() {
    ClusterState s;
    s.size = 2;
    s.autodiscovery = true;
    s.bin_dir = "/opt/omx/bin";
    s.omxd_args = {"--down-timeout", "3"};
    s.switch_holder = ProcessRef{::getpid(), ProcessRef::of(::getpid()).start_time};
    s.cgroup_parents = {"/sys/fs/cgroup/cpu/vcluster"};
    NodeRecord n;
    n.id = 1;
    n.holder = ProcessRef{42, 7};
    n.cgroups = {"/sys/fs/cgroup/cpu/vcluster/node1"};
    n.cpu_share = 0.5;
    n.partitioned = true;
    s.nodes.push_back(n);
    return s;
}
}  // namespace

TEST(State, RoundTripsThroughTheStateFile) {
    TempStateDir tmp;
    EXPECT_FALSE(load_state().has_value());
    save_state(sample());
    auto back = load_state();
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->size, 2);
    EXPECT_TRUE(back->autodiscovery);
    EXPECT_EQ(back->omxd_args, sample().omxd_args);
    ASSERT_EQ(back->nodes.size(), 1u);
    EXPECT_EQ(back->nodes[0].holder.pid, 42);
    EXPECT_DOUBLE_EQ(back->nodes[0].cpu_share, 0.5);
    EXPECT_TRUE(back->nodes[0].partitioned);
    EXPECT_EQ(node_dir(3), (tmp.dir / "node3").string());
}

TEST(State, CorruptFileIsReportedNotIgnored) {
    TempStateDir tmp;
    fs::create_directories(tmp.dir);
    std::ofstream(tmp.dir / "cluster.json") << "{\"size\": ";
    EXPECT_THROW(load_state(), std::runtime_error);
}

TEST(State, ProcessRefsSeeThroughRecycledPids) {
    auto me = ProcessRef::of(::getpid());
    EXPECT_TRUE(me.alive());
    EXPECT_FALSE((ProcessRef{::getpid(), me.start_time + 1}).alive());
    EXPECT_FALSE((ProcessRef{0, 0}).alive());
}

TEST(Status, TableAndConvergence) {
    TempStateDir tmp;
    ClusterState s = sample();
    NodeView a;
    a.id = 1;
    a.address = "10.210.0.1";
    a.alive = a.daemon_running = true;
    a.cpu_share = 0.5;
    a.self = nlohmann::json{{"load", 12}, {"speed", 300}, {"cpus", 2}, {"mem", 2560}, {"util", 7}};
    a.sees_up = 2;
    NodeView b;
    b.id = 2;
    b.address = "10.210.0.2";
    b.alive = true;
    b.error = "omxd is not running";
    std::string t = format_status_table(s, {a, b});
    EXPECT_NE(t.find("1     10.210.0.1    running   0.50    12    300     2         10    7%  2/2 up"), std::string::npos) << t;
    EXPECT_NE(t.find("2     10.210.0.2    stopped"), std::string::npos) << t;
    EXPECT_NE(t.find("omxd is not running"), std::string::npos);
    EXPECT_FALSE(converged({a, b}, 2));
    b.self = a.self;
    b.sees_up = 2;
    EXPECT_TRUE(converged({a, b}, 2));
    EXPECT_FALSE(converged({a}, 2));
    auto j = status_json(s, {a, b});
    EXPECT_TRUE(j["converged"].get<bool>());
    EXPECT_EQ(j["nodes"][0]["self"]["speed"], 300);
}
