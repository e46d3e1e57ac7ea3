// Per-process demand as the balancer sees it: seeded from the lifetime average, decayed
// with the node's (or the job's own) factors, and the mosrun hints.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "process_sampler.h"

using namespace omx;

namespace {

ProcSample sample(pid_t pid, double busy, double age, std::string hints = "") {
    ProcSample s;
    s.pid = pid;
    s.ppid = 1;
    s.state = 'S';
    s.busy_seconds = busy;
    s.age_seconds = age;
    s.comm = "job";
    s.hints = std::move(hints);
    return s;
}

}  // namespace

TEST(ProcessSampler, FirstSightIsTheLifetimeAverage) {
    ProcessSampler ps;
    ps.update({sample(10, 3.0, 4.0), sample(11, 0.1, 10.0)}, 100, {});
    EXPECT_DOUBLE_EQ(ps.processes().at(10).demand, 0.75);
    EXPECT_NEAR(ps.processes().at(11).demand, 0.01, 1e-9);
}

TEST(ProcessSampler, ARunnableProcessAtFirstSightCountsAsBusy) {
    ProcessSampler ps;
    ProcSample young = sample(10, 0.2, 0.6);   // its current wait not yet in run_delay
    young.state = 'R';
    ps.update({young}, 100, {});
    EXPECT_DOUBLE_EQ(ps.processes().at(10).demand, 1.0);
    ps.update({sample(10, 0.2, 10.6)}, 110, {});   // then it slept for 10 s
    EXPECT_NEAR(ps.processes().at(10).demand, std::pow(0.926, 10), 1e-9);
}

TEST(ProcessSampler, AStarvedJobWaitingForTheCpuStillCountsAsBusy) {
    // busy = CPU used + run-queue wait: a job getting 1/8 of a core but always runnable.
    ProcessSampler ps;
    ps.update({sample(10, 2.0, 2.0)}, 100, {});
    ps.update({sample(10, 3.0, 3.0)}, 101, {});
    EXPECT_NEAR(ps.processes().at(10).demand, 1.0, 1e-9);
}

TEST(ProcessSampler, DemandDecaysFastByDefaultAndSlowWhenAsked) {
    ProcessSampler fast, slow;
    DecayTuning d;   // 1 s, 975, 926
    fast.update({sample(10, 10, 10)}, 0, d);
    slow.update({sample(10, 10, 10, "s")}, 0, d);
    for (int i = 1; i <= 10; ++i) {   // the job goes idle
        fast.update({sample(10, 10, 10 + i)}, i, d);
        slow.update({sample(10, 10, 10 + i, "s")}, i, d);
    }
    EXPECT_NEAR(fast.processes().at(10).demand, std::pow(0.926, 10), 1e-9);
    EXPECT_NEAR(slow.processes().at(10).demand, std::pow(0.975, 10), 1e-9);
}

TEST(ProcessSampler, DecayFollowsTheIntervalAndTheJobsOwnRate) {
    ProcessSampler a, b;
    DecayTuning d{2.0, 975, 926};   // setdecay 2: the factor applies per 2 s
    a.update({sample(10, 10, 10)}, 0, d);
    a.update({sample(10, 10, 12)}, 2, d);
    EXPECT_NEAR(a.processes().at(10).demand, 0.926, 1e-9);
    b.update({sample(10, 10, 10, "d500t1")}, 0, d);
    b.update({sample(10, 10, 11, "d500t1")}, 1, d);
    EXPECT_NEAR(b.processes().at(10).demand, 0.5, 1e-9);
}

TEST(ProcessSampler, NoDecayIsTheLifetimeAverageAndCpujobIsAlwaysBusy) {
    ProcessSampler ps;
    ps.update({sample(10, 4, 4, "n"), sample(11, 0, 4, "c")}, 0, {});
    ps.update({sample(10, 4, 8, "n"), sample(11, 0, 8, "c")}, 4, {});
    EXPECT_DOUBLE_EQ(ps.processes().at(10).demand, 0.5);
    EXPECT_DOUBLE_EQ(ps.processes().at(11).demand, 1.0);
}

TEST(ProcessSampler, GoneProcessesAreForgottenAndAReusedPidStartsAfresh) {
    ProcessSampler ps;
    ps.update({sample(10, 10, 10), sample(11, 1, 1)}, 0, {});
    ps.update({sample(11, 2, 2)}, 1, {});
    EXPECT_EQ(ps.processes().count(10), 0u);
    ps.update({sample(11, 0, 0.5)}, 2, {});   // younger than before: another process
    EXPECT_DOUBLE_EQ(ps.processes().at(11).demand, 0.0);
}

TEST(ProcessSampler, HintsParse) {
    auto h = parse_hints("cn");
    EXPECT_TRUE(h.cpujob);
    EXPECT_TRUE(h.nodecay);
    h = parse_hints("ci");
    EXPECT_TRUE(h.iojob);
    EXPECT_FALSE(h.cpujob);
    h = parse_hints("t2.5d900s");
    EXPECT_DOUBLE_EQ(*h.interval, 2.5);
    EXPECT_DOUBLE_EQ(*h.rate, 900);
    EXPECT_EQ(h.speed, 's');
    h = parse_hints("dxx t0");
    EXPECT_FALSE(h.rate);
    EXPECT_FALSE(h.interval);
}

TEST(ProcessSampler, ReadsThisProcessFromProc) {
    auto volatile_spin = [] {
        auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
        while (std::chrono::steady_clock::now() < until) {
        }
    };
    volatile_spin();
    auto s = ProcessSampler::read_one(::getpid());
    ASSERT_TRUE(s);
    EXPECT_EQ(s->pid, ::getpid());
    EXPECT_EQ(s->ppid, ::getppid());
    EXPECT_GE(s->busy_seconds, 0.04);
    EXPECT_GT(s->rss_bytes, 0u);
    EXPECT_GT(s->age_seconds, 0.0);
    auto all = ProcessSampler().read_proc(0);
    EXPECT_TRUE(std::any_of(all.begin(), all.end(), [](const auto& p) { return p.pid == ::getpid(); }));
}
