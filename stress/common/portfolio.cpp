#include "portfolio.h"

#include <cmath>
#include <cstdio>
#include <random>
#include <sstream>

namespace omx::stress {

const std::vector<Stock>& portfolio_stocks() {
    static const std::vector<Stock> stocks = {{"ALPHA", 1.2, 6.0}, {"BRAVO", 0.9, 4.0}, {"CHARLIE", 1.5, 9.0},
                                              {"DELTA", 0.6, 2.5}, {"ECHO", 1.1, 5.0},  {"FOXTROT", 0.8, 3.0}};
    return stocks;
}

PortfolioOutcome simulate_portfolios(uint64_t seed, int portfolios, int months) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    std::normal_distribution<double> normal(0.0, 1.0);
    const auto& stocks = portfolio_stocks();
    PortfolioOutcome best{0, 0, -1e300};
    for (int p = 0; p < portfolios; ++p) {
        std::vector<double> w(stocks.size());
        double total = 0;
        for (auto& x : w) total += (x = uniform(rng));
        for (auto& x : w) x /= total;
        double sum = 0, sum2 = 0;
        for (int m = 0; m < months; ++m) {
            double r = 0;
            for (size_t s = 0; s < stocks.size(); ++s) r += w[s] * (stocks[s].mean + stocks[s].stddev * normal(rng));
            sum += r;
            sum2 += r * r;
        }
        double mean = sum / months;
        double sd = std::sqrt(std::max(0.0, sum2 / months - mean * mean));
        double ratio = sd > 0 ? mean / sd : 0;
        if (ratio > best.ratio) best = {mean, sd, ratio};
    }
    return best;
}

std::string format_outcome(const PortfolioOutcome& o) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "%.17g %.17g %.17g", o.mean, o.stddev, o.ratio);
    return buf;
}

std::optional<PortfolioOutcome> parse_outcome(const std::string& text) {
    std::istringstream in(text);
    PortfolioOutcome o;
    std::string rest;
    if (!(in >> o.mean >> o.stddev >> o.ratio) || (in >> rest)) return std::nullopt;
    return o;
}

std::string check_outcome(const std::string& reported, const PortfolioOutcome& expected) {
    auto o = parse_outcome(reported);
    if (!o) return "unreadable result '" + reported.substr(0, 60) + "'";
    auto near = [](double a, double b) { return std::fabs(a - b) <= 1e-9 * std::max(1.0, std::fabs(b)); };
    if (!near(o->mean, expected.mean) || !near(o->stddev, expected.stddev) || !near(o->ratio, expected.ratio))
        return "outcome " + format_outcome(*o) + " differs from the recomputed " + format_outcome(expected);
    return "";
}

}  // namespace omx::stress
