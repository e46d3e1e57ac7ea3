#include "eat.h"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace omx::stress {

EatResult eat(long loops) {
    volatile double x = 0.5;   // volatile: the loop is the point, keep it
    long i = 0;
    for (; i < loops; ++i) x = std::sqrt(std::sin(x) + 1.5);
    return {i, x};
}

std::string format_eat(const EatResult& r) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%ld %.17g", r.loops, r.value);
    return buf;
}

std::optional<EatResult> parse_eat(const std::string& text) {
    std::istringstream in(text);
    EatResult r;
    std::string rest;
    if (!(in >> r.loops >> r.value) || (in >> rest)) return std::nullopt;
    return r;
}

std::string check_eat(const std::string& reported, const EatResult& expected) {
    auto r = parse_eat(reported);
    if (!r) return "unreadable result '" + reported.substr(0, 60) + "'";
    if (r->loops != expected.loops)
        return "counted " + std::to_string(r->loops) + " loops, expected " + std::to_string(expected.loops);
    if (!(std::fabs(r->value - expected.value) <= 1e-9 * std::max(1.0, std::fabs(expected.value))))
        return "value " + format_eat(*r) + " differs from " + format_eat(expected);
    return "";
}

}  // namespace omx::stress
