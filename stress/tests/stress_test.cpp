// Each stress program's check must fail on a wrong result: a corrupted count, value, key
// or outcome; and the worker frame must report a worker that dies.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include "eat.h"
#include "keys.h"
#include "portfolio.h"
#include "workers.h"

using namespace omx::stress;

TEST(Eat, TheRightResultPassesAndEveryCorruptionFails) {
    EatResult expected = eat(10000);
    EXPECT_EQ(expected.loops, 10000);
    EXPECT_EQ(check_eat(format_eat(expected), expected), "");
    EXPECT_NE(check_eat(format_eat({9999, expected.value}), expected), "");        // a lost loop
    EXPECT_NE(check_eat(format_eat({10000, expected.value * 1.001}), expected), ""); // a wrong value
    EXPECT_NE(check_eat("", expected), "");
    EXPECT_NE(check_eat("10000", expected), "");
    EXPECT_NE(check_eat("10000 1.0 extra", expected), "");
    EXPECT_NE(check_eat("ten thousand", expected), "");
}

TEST(Eat, IsAPureFunctionOfTheCount) {
    EXPECT_EQ(format_eat(eat(5000)), format_eat(eat(5000)));
    EXPECT_NE(format_eat(eat(5000)), format_eat(eat(5001)));
}

TEST(Keys, AGoodPairPassesItsCheck) {
    Pkey key = make_rsa_key(1024);
    EXPECT_EQ(check_key_pair(key.get()), "");
    Pkey back = from_der(to_der(key.get()));
    ASSERT_TRUE(back);
    EXPECT_EQ(check_key_pair(back.get()), "");
}

TEST(Keys, ACorruptedPairFailsItsCheck) {
    Pkey key = make_rsa_key(1024);
    std::string der = to_der(key.get());
    int caught = 0;
    // Flip one bit at several places inside the key material: each corrupted key either
    // does not parse or fails the check; none passes.
    for (size_t at = 40; at < der.size() - 8; at += der.size() / 9) {
        std::string bad = der;
        bad[at] = char(bad[at] ^ 0x10);
        Pkey k = from_der(bad);
        EXPECT_TRUE(!k || !check_key_pair(k.get()).empty()) << "a key corrupted at byte " << at << " passed";
        ++caught;
    }
    EXPECT_GE(caught, 8);
    EXPECT_NE(check_key_pair(nullptr), "");
}

TEST(Keys, MakeAndCheckCountsItsKeys) {
    std::string out = make_and_check_keys(3, 512);
    EXPECT_EQ(out.substr(0, 2), "3 ");
    EXPECT_EQ(out.size(), 2u + 64u);   // the SHA-256 of the public keys, in hex
}

TEST(Portfolio, RecomputationMatchesAndCorruptionFails) {
    PortfolioOutcome o = simulate_portfolios(7, 200, 60);
    EXPECT_GT(o.stddev, 0);
    EXPECT_NEAR(o.ratio, o.mean / o.stddev, 1e-12);
    EXPECT_EQ(check_outcome(format_outcome(o), simulate_portfolios(7, 200, 60)), "");
    EXPECT_NE(check_outcome(format_outcome(o), simulate_portfolios(8, 200, 60)), "");   // another seed
    PortfolioOutcome bad = o;
    bad.mean += 1e-6;
    EXPECT_NE(check_outcome(format_outcome(bad), o), "");
    EXPECT_NE(check_outcome("1 2", o), "");
}

TEST(Workers, EachWorkerReportsAndAFailureIsSeen) {
    auto results = run_workers(4, [](int i) {
        if (i == 2) throw std::runtime_error("boom");
        if (i == 3) ::kill(::getpid(), SIGKILL);
        return "worker " + std::to_string(i);
    });
    ASSERT_EQ(results.size(), 4u);
    EXPECT_TRUE(results[0].ok());
    EXPECT_EQ(results[0].output, "worker 0");
    EXPECT_EQ(results[1].output, "worker 1");
    EXPECT_FALSE(results[2].ok());
    EXPECT_EQ(results[2].output, "boom");
    EXPECT_FALSE(results[3].ok());
    EXPECT_EQ(verdict_line("forkit", false, "x"), "forkit: FAIL x");
}
