#include "admin_state.h"

#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include "common/wire.h"

namespace omx {

uint16_t AdminState::status_bits() const {
    uint16_t s = 0;
    if (block) s |= kStatusBlock;
    if (stay) s |= kStatusStay;
    if (lstay) s |= kStatusLstay;
    if (quiet) s |= kStatusQuiet;
    if (nomfs) s |= kStatusNoMfs;
    return s;
}

namespace {

long long as_integer(const std::string& key, const nlohmann::json& v) {
    if (v.is_number_integer()) return v.get<long long>();
    if (v.is_boolean()) return v.get<bool>() ? 1 : 0;
    if (v.is_string()) {
        const auto& s = v.get_ref<const std::string&>();
        size_t used = 0;
        try {
            long long n = std::stoll(s, &used);
            if (used == s.size()) return n;
        } catch (const std::exception&) {
        }
    }
    throw std::invalid_argument(fmt::format("{}: '{}' is not an integer", key, v.dump()));
}

uint32_t in_range(const std::string& key, const nlohmann::json& v, long long lo, long long hi) {
    long long n = as_integer(key, v);
    if (n < lo || n > hi)
        throw std::invalid_argument(fmt::format("{}: {} is out of range {}..{}", key, n, lo, hi));
    return uint32_t(n);
}

}  // namespace

void AdminState::set(const std::string& key, const nlohmann::json& v) {
    auto flag = [&](bool& f) { f = in_range(key, v, 0, 1) != 0; };
    if (key == "stay") flag(stay);
    else if (key == "lstay") flag(lstay);
    else if (key == "block") flag(block);
    else if (key == "quiet") flag(quiet);
    else if (key == "nomfs") flag(nomfs);
    else if (key == "speed") speed_set = in_range(key, v, 0, 1000000);
    else if (key == "decay_interval") decay_interval = in_range(key, v, 1, 3600);
    else if (key == "slow_decay") slow_decay = in_range(key, v, 1, 1000);
    else if (key == "fast_decay") fast_decay = in_range(key, v, 1, 1000);
    else if (key == "gateways") gateways = in_range(key, v, 0, 16);
    else if (key == "yardstick") yardstick = in_range(key, v, 1, 1000000);
    else if (key == "overheads") {
        if (!v.is_string()) throw std::invalid_argument("overheads: expected a string");
        overheads = v.get<std::string>();
    } else
        throw std::invalid_argument(fmt::format("unknown admin setting '{}'", key));
}

nlohmann::json AdminState::to_json() const {
    return {{"stay", stay},           {"lstay", lstay},
            {"block", block},         {"quiet", quiet},
            {"nomfs", nomfs},         {"speed_set", speed_set},
            {"decay_interval", decay_interval},
            {"slow_decay", slow_decay}, {"fast_decay", fast_decay},
            {"gateways", gateways},   {"overheads", overheads},
            {"yardstick", yardstick}};
}

AdminState AdminState::from_json(const nlohmann::json& j) {
    AdminState a;
    if (!j.is_object()) return a;
    static const char* keys[] = {"stay",       "lstay",      "block",    "quiet",
                                 "nomfs",      "decay_interval", "slow_decay", "fast_decay",
                                 "gateways",   "overheads",  "yardstick"};
    for (const char* k : keys)
        if (j.contains(k)) {
            try {
                a.set(k, j.at(k));
            } catch (const std::invalid_argument&) {
            }
        }
    if (j.contains("speed_set")) {
        try {
            a.set("speed", j.at("speed_set"));
        } catch (const std::invalid_argument&) {
        }
    }
    return a;
}

void AdminState::save(const std::string& path) const {
    std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << to_json().dump(2) << "\n";
        out.flush();
        if (!out) throw std::runtime_error("cannot write " + tmp);
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
        throw std::system_error(errno, std::generic_category(), "rename " + tmp);
}

AdminState AdminState::load(const std::string& path, std::string* warning) {
    std::ifstream in(path);
    if (!in) return {};
    auto j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded()) {
        if (warning) *warning = path + " is corrupt; using default admin settings";
        return {};
    }
    return from_json(j);
}

}  // namespace omx
