// A migrated process's clocks: the offsets file's format, and a process put in a time
// namespace of its own reads the clocks it was given (needs root and CONFIG_TIME_NS).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

#include "clocks.h"
#include "common/fd.h"

using namespace omx::mig;

namespace {

int64_t monotonic_now() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

TEST(Clocks, OffsetsFileIsReadByNameOrClockId) {
    auto off = parse_timens_offsets("monotonic  -12 500\nboottime     3 0\n");
    ASSERT_TRUE(off);
    EXPECT_EQ(off->monotonic_ns, -12 * 1'000'000'000LL + 500);
    EXPECT_EQ(off->boottime_ns, 3'000'000'000LL);
    off = parse_timens_offsets("1 0 7\n7 1 0\n");
    ASSERT_TRUE(off);
    EXPECT_EQ(off->monotonic_ns, 7);
    EXPECT_EQ(off->boottime_ns, 1'000'000'000LL);
    EXPECT_FALSE(parse_timens_offsets(""));
    EXPECT_FALSE(parse_timens_offsets("monotonic 1 0\n"));
    EXPECT_FALSE(parse_timens_offsets("monotonic 1 2000000000\nboottime 0 0\n"));
    EXPECT_FALSE(parse_timens_offsets("realtime 1 0\nboottime 0 0\n"));
}

TEST(Clocks, NegativeOffsetsAreWrittenWithNanosecondsInRange) {
    EXPECT_EQ(format_timens_offsets({-1, 2'500'000'000}), "monotonic -1 999999999\nboottime 2 500000000\n");
    auto back = parse_timens_offsets(format_timens_offsets({-98'765'432'100, 42}));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->monotonic_ns, -98'765'432'100);
    EXPECT_EQ(back->boottime_ns, 42);
}

TEST(Clocks, AProcessInItsOwnTimeNamespaceCarriesOnFromTheGivenClocks) {
    if (::geteuid() != 0) GTEST_SKIP() << "time namespaces need root";
    ProcessClocks here = clocks_of(::getpid());
    // As if it came from a node that has been up 1000 s longer than this one.
    ProcessClocks want{here.monotonic_ns + 1000'000'000'000, here.boottime_ns + 1000'000'000'000};
    omx::Pipe report;
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        int64_t answer = enter_time_namespace_at(want) ? monotonic_now() : -errno;
        ::write(report.write.get(), &answer, sizeof answer);
        _exit(0);
    }
    report.write.reset();
    int64_t seen = 0;
    ASSERT_EQ(::read(report.read.get(), &seen, sizeof seen), ssize_t(sizeof seen));
    ::waitpid(child, nullptr, 0);
    if (seen == -EINVAL || seen == -ENOSYS) GTEST_SKIP() << "this kernel has no time namespaces";
    ASSERT_GT(seen, 0) << "errno " << -seen;
    EXPECT_GE(seen, want.monotonic_ns);
    EXPECT_LT(seen, want.monotonic_ns + 5'000'000'000LL);   // within seconds of the clock it was given
    // And the parent, outside, still reads the node's clock.
    EXPECT_LT(monotonic_now(), want.monotonic_ns);
}
