// syscalls: every group runs here and gives the same record twice; a record altered in one
// round, or a group that fails its own check, fails that round naming the group, the
// round and the node.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <string>

#include "syscall_rounds.h"

using namespace omx::stress;

namespace {

// Each test gets a directory of its own: ctest runs the tests of this binary in parallel
// processes, and the leftover check must not see another test's live directories.
struct LocalContext {
    std::filesystem::path dir;
    LocalContext() {
        std::string tmpl = ::testing::TempDir() + "syscalls-test.XXXXXX";
        if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
        dir = tmpl;
    }
    ~LocalContext() { std::filesystem::remove_all(dir); }
    LocalContext(const LocalContext&) = delete;
    LocalContext& operator=(const LocalContext&) = delete;
};

GroupContext local_context() {
    static thread_local LocalContext local;
    GroupContext ctx;
    ctx.dir = local.dir.string();
    return ctx;
}

int node_one() { return 1; }

}  // namespace

TEST(Syscalls, EveryGroupRunsAndIsStableAcrossTwoRounds) {
    GroupContext ctx = local_context();
    Round first = run_round(0, syscall_groups(), ctx, node_one);
    Round second = run_round(1, syscall_groups(), ctx, node_one);
    ASSERT_EQ(first.groups.size(), 6u);
    for (const auto& g : first.groups) {
        EXPECT_EQ(g.error, "") << g.group;
        EXPECT_NE(g.record, "") << g.group;
        EXPECT_EQ(g.node, 1);
    }
    EXPECT_EQ(compare_round(first, first), "");
    EXPECT_EQ(compare_round(first, second), "");
    // The temporary directories are gone.
    for (const auto& e : std::filesystem::directory_iterator(ctx.dir))
        EXPECT_EQ(e.path().filename().string().rfind("syscalls.", 0), std::string::npos) << e.path();
}

TEST(Syscalls, AtHomeSignalsComeBeforeTheCallReturns) {
    GroupContext ctx = local_context();
    Round r = run_round(0, select_groups({"signals"}), ctx, node_one);
    ASSERT_EQ(r.groups.size(), 1u);
    EXPECT_EQ(r.groups[0].error, "");
    EXPECT_NE(r.groups[0].record.find("kill(self, SIGUSR1) handled before the call returned"), std::string::npos) << r.groups[0].record;
    EXPECT_NE(r.groups[0].record.find("on unblock handled before the call returned"), std::string::npos) << r.groups[0].record;
    EXPECT_NE(r.groups[0].record.find("handled while blocked 0 time(s)"), std::string::npos) << r.groups[0].record;
}

TEST(Syscalls, ARecordAlteredInOneRoundFailsNamingGroupRoundAndNode) {
    GroupContext ctx = local_context();
    Round reference = run_round(0, syscall_groups(), ctx, node_one);
    Round later = run_round(3, syscall_groups(), ctx, [] { return 2; });
    ASSERT_EQ(compare_round(reference, later), "");
    later.groups[1].record += " one byte lost";
    std::string why = compare_round(reference, later);
    EXPECT_EQ(why.rfind("pipes differs in round 3 on node 2: got '", 0), 0u) << why;
    EXPECT_NE(why.find("one byte lost"), std::string::npos);
}

TEST(Syscalls, AGroupThatFailsItsOwnCheckFailsTheRound) {
    GroupContext ctx = local_context();
    Round reference = run_round(0, syscall_groups(), ctx, node_one);
    Round later = reference;
    later.index = 2;
    later.groups[0].error = "rename: No such file or directory";
    EXPECT_EQ(compare_round(reference, later), "files failed in round 2 on node 1: rename: No such file or directory");
    // A failure at home is a failure of the reference round itself.
    reference.groups[4].error = "boom";
    EXPECT_EQ(compare_round(reference, reference), "forkexec failed in round 0 on node 1: boom");
}

TEST(Syscalls, AGroupThatEndsOnAnotherNodeSaysSo) {
    GroupContext ctx = local_context();
    Round reference = run_round(0, select_groups({"identity"}), ctx, node_one);
    Round later = reference;
    later.index = 1;
    later.groups[0].node = 3;
    later.groups[0].node_after = 1;
    later.groups[0].record = "pid 0";
    EXPECT_EQ(compare_round(reference, later).rfind("identity differs in round 1 on node 3 (then node 1)", 0), 0u);
}

TEST(Syscalls, TheMonotonicClockGoingBackFails) {
    GroupContext ctx = local_context();
    ctx.last_monotonic_ns = 1LL << 62;
    Round r = run_round(1, select_groups({"time"}), ctx, node_one);
    EXPECT_NE(r.groups[0].error.find("CLOCK_MONOTONIC went back"), std::string::npos);
}

TEST(Syscalls, FilesInAMissingDirectoryFail) {
    GroupContext ctx = local_context();
    ctx.dir = "/nonexistent-omx-dir";
    Round r = run_round(0, select_groups({"files"}), ctx, node_one);
    EXPECT_NE(r.groups[0].error.find("mkdtemp"), std::string::npos);
    EXPECT_NE(compare_round(r, r), "");
}

TEST(Syscalls, GroupsAreChosenByName) {
    auto two = select_groups({"signals", "files"});
    ASSERT_EQ(two.size(), 2u);
    EXPECT_EQ(two[0].name, "files");   // in the suite's order
    EXPECT_EQ(select_groups({}).size(), syscall_groups().size());
    EXPECT_THROW(select_groups({"nope"}), std::invalid_argument);
}

TEST(Syscalls, ChecksumsAndPatternsAreFixed) {
    EXPECT_EQ(pattern(1000, 1), pattern(1000, 1));
    EXPECT_NE(pattern(1000, 1), pattern(1000, 2));
    EXPECT_EQ(checksum(""), "cbf29ce484222325");
    EXPECT_NE(checksum(pattern(64, 1)), checksum(pattern(64, 2)));
}
