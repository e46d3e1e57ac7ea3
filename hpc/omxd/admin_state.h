#pragma once
// The /proc/hpc/admin set: what an administrator steers with mosctl. Saved as JSON in
// the state directory on every change and read back at start-up.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace omx {

struct AdminState {
    bool stay = false;    // no automatic migration away from this node
    bool lstay = false;   // local processes stay
    bool block = false;   // no guest processes arrive
    bool quiet = false;   // stop gathering load information
    bool nomfs = false;   // oMFS/DFSA off
    uint32_t speed_set = 0;  // mosctl setspeed; 0 = the calibrated speed
    uint32_t decay_interval = 1;
    uint32_t slow_decay = 975;
    uint32_t fast_decay = 926;
    uint32_t gateways = 0;
    std::string overheads;
    uint32_t yardstick = 100;

    uint16_t status_bits() const;

    // Applies one `set` from the control socket; throws std::invalid_argument with a
    // user-facing message for an unknown key or an out-of-range value.
    void set(const std::string& key, const nlohmann::json& value);

    nlohmann::json to_json() const;
    static AdminState from_json(const nlohmann::json& j);  // tolerant: ignores junk fields

    // Atomic save (tmp + rename) and load; load of a missing file gives defaults,
    // a corrupt file gives defaults and a warning through `warning`.
    void save(const std::string& path) const;
    static AdminState load(const std::string& path, std::string* warning);
};

}  // namespace omx
