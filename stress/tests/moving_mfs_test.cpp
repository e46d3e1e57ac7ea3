// moving's move accounting, mfstest's copies on a fake oMFS tree (a corrupted copy fails),
// the skipped outcome's exit status, acceptance's sub-test selection, and the child owner.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "children.h"
#include "cluster.h"
#include "mfs.h"
#include "moves.h"
#include "program.h"
#include "subtests.h"

using namespace omx::stress;
namespace fs = std::filesystem;

namespace {

MoveRecord move(MoveKind kind, std::string text = "") { return {1.0, 1, 2, kind, std::move(text)}; }

int exited(int code) { return code << 8; }   // a wait status

}  // namespace

// ---- moving ----------------------------------------------------------------------------

TEST(Moving, OmxdAnswersAreClassified) {
    EXPECT_EQ(classify_move(true, "", ""), MoveKind::moved);
    EXPECT_EQ(classify_move(true, "already there", ""), MoveKind::refused);
    EXPECT_EQ(classify_move(false, "", "no process 4242 on this node"), MoveKind::refused);
    EXPECT_EQ(classify_move(false, "", "process 4242 ended on its way"), MoveKind::refused);
    EXPECT_EQ(classify_move(false, "", "process 4242 cannot migrate (clone_vm)"), MoveKind::refused);
    EXPECT_EQ(classify_move(false, "", "process 4242 is already on its way"), MoveKind::refused);
    EXPECT_EQ(classify_move(false, "", "process 4242 is locked (user_lock): unlock it to move it"), MoveKind::refused);
    EXPECT_EQ(classify_move(false, "", "process 4242 stays home: node 2 is blocked"), MoveKind::refused);
    EXPECT_EQ(classify_move(false, "", "node 2 is down"), MoveKind::failed);
    EXPECT_EQ(classify_move(false, "", "process 4242 stays home: the image was rejected"), MoveKind::failed);
    EXPECT_EQ(classify_move(false, "", "omxd did not answer within 310000 ms"), MoveKind::failed);
    EXPECT_EQ(classify_move(false, "", "no openMosix node #9 in this cluster"), MoveKind::failed);
}

TEST(Moving, PassesWhenTheCommandPassesAndMostMovesWorked) {
    EXPECT_EQ(judge_moving(exited(0), {}).verdict, Verdict::pass);
    EXPECT_EQ(judge_moving(exited(0), {move(MoveKind::moved), move(MoveKind::refused)}).verdict, Verdict::pass);
    // Exactly half failed is not more than half.
    auto half = judge_moving(exited(0), {move(MoveKind::moved), move(MoveKind::failed, "node 2 is down")});
    EXPECT_EQ(half.verdict, Verdict::pass);
    EXPECT_EQ(half.detail, "the command exited 0; 2 moves: 1 moved, 0 refused, 1 failed");
    // Refusals never count against it.
    EXPECT_EQ(judge_moving(exited(0), {move(MoveKind::refused), move(MoveKind::refused), move(MoveKind::failed)}).verdict, Verdict::pass);
}

TEST(Moving, FailsWhenMoreThanHalfFailedOrTheCommandFailed) {
    auto most = judge_moving(exited(0), {move(MoveKind::failed, "node 3 is down"), move(MoveKind::failed, "x"), move(MoveKind::moved)});
    EXPECT_EQ(most.verdict, Verdict::fail);
    EXPECT_NE(most.detail.find("more than half"), std::string::npos);
    EXPECT_NE(most.detail.find("node 3 is down"), std::string::npos);
    auto code = judge_moving(exited(3), {move(MoveKind::moved)});
    EXPECT_EQ(code.verdict, Verdict::fail);
    EXPECT_NE(code.detail.find("exit 3"), std::string::npos);
    auto sig = judge_moving(SIGTERM, {});
    EXPECT_EQ(sig.verdict, Verdict::fail);
    EXPECT_NE(sig.detail.find("signal 15"), std::string::npos);
}

TEST(Moving, StopsGoRoundRobinSkippingTheNodeItIsOn) {
    std::vector<int> stops = {1, 2, 3};
    EXPECT_EQ(next_stop(stops, 1, 1), 2);
    EXPECT_EQ(next_stop(stops, 2, 2), 3);
    EXPECT_EQ(next_stop(stops, 3, 3), 1);   // home is a stop
    EXPECT_EQ(next_stop(stops, 1, 2), 3);   // the balancer took it to 2 meanwhile
    EXPECT_EQ(next_stop({1}, 1, 1), 0);     // nowhere to go
    EXPECT_EQ(next_stop({1, 4}, 2, 1), 4);  // the last stop left the cluster
    EXPECT_EQ(move_target(1, 1), "home");
    EXPECT_EQ(move_target(3, 1), "3");
}

// ---- mfstest ---------------------------------------------------------------------------

TEST(Mfs, MountsAreFoundInMountinfo) {
    std::string info =
        "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
        "40 22 0:35 / /mfs rw shared:20 - fuse.omfs omfs rw\n"
        "41 22 0:36 / /mnt/with\\040blank rw - tmpfs tmpfs rw\n";
    EXPECT_TRUE(mounted_at(info, "/mfs"));
    EXPECT_TRUE(mounted_at(info, "/mfs/"));
    EXPECT_TRUE(mounted_at(info, "/mnt/with blank"));
    EXPECT_FALSE(mounted_at(info, "/mfs/1"));
    EXPECT_FALSE(mounted_at(info, "/mf"));
    EXPECT_FALSE(mounted_at("", "/mfs"));
}

class FakeMfs : public ::testing::Test {
protected:
    void SetUp() override {
        root = fs::path(::testing::TempDir()) / ("fake-mfs." + std::to_string(::getpid()));
        for (const char* d : {"home", "1", "2", "3"}) fs::create_directories(root / d / "tmp");
        plan.root = root.string();
        plan.workdir = "tmp/mfstest.1";
        plan.nodes = {"1", "2", "3"};
        plan.bytes = 300001;   // not a multiple of anything
        plan.seed = 7;
    }
    void TearDown() override { fs::remove_all(root); }
    fs::path root;
    MfsPlan plan;
};

TEST_F(FakeMfs, EveryNodeThereAndBackIntactAndNothingLeft) {
    auto legs = mfs_round_trips(plan);
    ASSERT_EQ(legs.size(), 6u);
    for (const auto& leg : legs) {
        EXPECT_EQ(leg.error, "") << leg.node << " " << leg.direction;
        EXPECT_EQ(leg.bytes, 300001u);
    }
    EXPECT_EQ(legs[2].node, "2");
    EXPECT_EQ(legs[3].direction, "back");
    for (const char* d : {"home", "1", "2", "3"}) EXPECT_FALSE(fs::exists(root / d / "tmp/mfstest.1")) << d;
}

TEST_F(FakeMfs, ACorruptedCopyFailsAndNamesTheNode) {
    plan.after_copy = [](const std::string& dest) {
        if (dest.find("file.on-2") == std::string::npos) return;
        std::fstream f(dest, std::ios::in | std::ios::out | std::ios::binary);
        f.seekg(1234);
        char c = 0;
        f.get(c);
        f.seekp(1234);
        f.put(char(c ^ 1));
    };
    auto legs = mfs_round_trips(plan);
    ASSERT_EQ(legs.size(), 5u);   // no way back from a bad copy
    EXPECT_EQ(legs[2].node, "2");
    EXPECT_EQ(legs[2].direction, "there");
    EXPECT_NE(legs[2].error.find("SHA-256"), std::string::npos);
    EXPECT_EQ(legs[3].node, "3");
    EXPECT_EQ(legs[3].error, "");
}

TEST_F(FakeMfs, ACorruptedCopyBackFailsToo) {
    plan.after_copy = [](const std::string& dest) {
        if (dest.find("file.back") != std::string::npos) fs::resize_file(dest, 1000);
    };
    auto legs = mfs_round_trips(plan);
    ASSERT_EQ(legs.size(), 6u);
    EXPECT_EQ(legs[0].error, "");
    EXPECT_NE(legs[1].error, "");
    EXPECT_EQ(legs[1].direction, "back");
}

TEST_F(FakeMfs, TheFileIsTheSeedsAndTheHomeNodeKeepsItsSource) {
    plan.nodes = {"home"};   // home as a node: the copy must not clobber the source
    auto legs = mfs_round_trips(plan);
    ASSERT_EQ(legs.size(), 2u);
    EXPECT_EQ(legs[0].error, "");
    EXPECT_EQ(legs[1].error, "");
    fs::path a = root / "a", b = root / "b";
    EXPECT_EQ(write_random_file(a.string(), 5000, 1), write_random_file(b.string(), 5000, 1));
    EXPECT_NE(write_random_file(a.string(), 5000, 1), write_random_file(b.string(), 5000, 2));
    EXPECT_EQ(sha256_of_file(b.string()), write_random_file(a.string(), 5000, 2));
}

// ---- the program frame: the skipped outcome ---------------------------------------------

namespace {

int run_with(Outcome o, std::string& out) {
    CLI::App app("t", "mfstest");
    char name[] = "mfstest";
    char* argv[] = {name, nullptr};
    ::testing::internal::CaptureStdout();
    int rc = run_program(app, 1, argv, [&] { return o; });
    out = ::testing::internal::GetCapturedStdout();
    return rc;
}

}  // namespace

TEST(Program, SkippedIs77AndSaysSkip) {
    std::string out;
    EXPECT_EQ(run_with(Outcome::skip("oMFS is not mounted at /mfs"), out), 77);
    EXPECT_EQ(out, "mfstest: SKIP oMFS is not mounted at /mfs\n");
    EXPECT_EQ(run_with(Outcome::pass("ok"), out), 0);
    EXPECT_EQ(out, "mfstest: PASS ok\n");
    EXPECT_EQ(run_with(Outcome::fail("bad"), out), 1);
    EXPECT_EQ(kExitSkip, 77);
}

TEST(Program, TheTwoWayFrameStillWorks) {
    CLI::App app("t", "forkit");
    char name[] = "forkit", bad[] = "--nope";
    char* argv[] = {name, nullptr};
    ::testing::internal::CaptureStdout();
    int rc = run_program(app, 1, argv, [] { return std::pair<bool, std::string>(false, "x"); });
    EXPECT_EQ(::testing::internal::GetCapturedStdout(), "forkit: FAIL x\n");
    EXPECT_EQ(rc, 1);
    CLI::App app2("t", "forkit");
    char* argv2[] = {name, bad, nullptr};
    ::testing::internal::CaptureStderr();
    EXPECT_EQ(run_program(app2, 2, argv2, [] { return std::pair<bool, std::string>(true, ""); }), 2);
    ::testing::internal::GetCapturedStderr();
}

// ---- acceptance's sub-tests --------------------------------------------------------------

TEST(Subtests, PickedByLetterOrNameInTheirOwnOrder) {
    std::vector<SubtestName> all = {{'a', "busyloop"}, {'b', "shmget"}, {'c', "pipe"}};
    EXPECT_EQ(select_subtests("", all).size(), 3u);
    auto two = select_subtests("pipe,a", all);
    ASSERT_EQ(two.size(), 2u);
    EXPECT_EQ(two[0].name, "busyloop");
    EXPECT_EQ(two[1].letter, 'c');
    EXPECT_THROW(select_subtests("a,z", all), std::invalid_argument);
}

TEST(Subtests, AnyFailFailsAllSkippedSkips) {
    SubtestName a{'a', "busyloop"}, b{'b', "shmget"};
    EXPECT_EQ(combine_subtests({{a, Outcome::pass("x")}, {b, Outcome::skip("y")}}).verdict, Verdict::pass);
    auto failed = combine_subtests({{a, Outcome::fail("stuck")}, {b, Outcome::pass("")}});
    EXPECT_EQ(failed.verdict, Verdict::fail);
    EXPECT_EQ(failed.detail, "failed: busyloop (busyloop: stuck)");
    EXPECT_EQ(combine_subtests({{a, Outcome::skip("no other node is up")}}).verdict, Verdict::skip);
    EXPECT_EQ(subtest_line({b, Outcome::pass("refused")}), "[b] shmget     PASS  refused");
}

// ---- children ------------------------------------------------------------------------------

TEST(Children, AChildLeftRunningIsKilledAndReaped) {
    pid_t pid;
    {
        Child c = Child::fork([] {
            ::pause();
            return 0;
        });
        pid = c.pid();
        EXPECT_TRUE(c.running());
        EXPECT_FALSE(c.wait(std::chrono::milliseconds(50)));
    }
    EXPECT_EQ(::kill(pid, 0), -1);   // not even a zombie
    Child e = Child::exec({"sh", "-c", "exit 7"});
    EXPECT_EQ(describe_status(*e.wait()), "exit 7");
    Child missing = Child::exec({"/nonexistent/program"});
    EXPECT_EQ(describe_status(*missing.wait()), "exit 127");
    EXPECT_EQ(describe_status(SIGKILL), "signal 9 (Killed)");
}
