#pragma once
// portfolio's work (HOWTO 13.2): a Monte-Carlo simulation of portfolios of 6 stocks, each
// with a mean and a standard deviation of its monthly return; a portfolio has random
// weights and is simulated over N months; its outcome is the mean and the standard
// deviation of its monthly return and their ratio (the yield ratio). Seeded, so the parent
// can recompute any worker's numbers and check them.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace omx::stress {

struct Stock {
    const char* name;
    double mean, stddev;   // monthly return, in per cent
};
const std::vector<Stock>& portfolio_stocks();

struct PortfolioOutcome {
    double mean = 0, stddev = 0, ratio = 0;
};

// The best (highest yield ratio) of `portfolios` random portfolios over `months`.
PortfolioOutcome simulate_portfolios(uint64_t seed, int portfolios, int months);

std::string format_outcome(const PortfolioOutcome& o);
std::optional<PortfolioOutcome> parse_outcome(const std::string& text);
// "" when `reported` is what simulate_portfolios gives for these inputs.
std::string check_outcome(const std::string& reported, const PortfolioOutcome& expected);

}  // namespace omx::stress
