#pragma once
// eatmem's and forkit's work (HOWTO 13.3): sin + sqrt of a value, `loops` times. The value
// it ends with is a pure function of the count, so the parent can check every worker.
#include <algorithm>
#include <limits>
#include <optional>
#include <string>

namespace omx::stress {

struct EatResult {
    long loops = 0;
    double value = 0;
};

EatResult eat(long loops);

// The largest --loops eatmem and forkit take: 10^12, or what a long holds on a 32-bit build.
inline constexpr long kMaxEatLoops = long(std::min<long long>(1000000000000LL, std::numeric_limits<long>::max()));

// "loops value" as a worker reports it (and eatmem writes it to its file), and back.
std::string format_eat(const EatResult& r);
std::optional<EatResult> parse_eat(const std::string& text);

// Why a reported result is wrong ("" when it is right): the count must be exact, the value
// equal to the expected one within 1e-9 (a node with another libm may round differently).
std::string check_eat(const std::string& reported, const EatResult& expected);

}  // namespace omx::stress
