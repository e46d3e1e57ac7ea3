#include "state_file.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <signal.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace omx::mfs {

void write_state(const std::string& path, const MfsState& s) {
    nlohmann::json j = {{"pid", s.pid}, {"mount", s.mount}, {"dfsa", s.dfsa}, {"port", s.port}, {"self", s.self}};
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << j.dump() << "\n";
    }
    std::rename(tmp.c_str(), path.c_str());   // readers see the old file or the new one
}

std::optional<MfsState> read_state(const std::string& path) {
    std::ifstream in(path);
    if (!in) return std::nullopt;
    try {
        auto j = nlohmann::json::parse(in);
        MfsState s{j.value("pid", 0), j.value("mount", std::string()), j.value("dfsa", false), j.value("port", 0u),
                   uint16_t(j.value("self", 0))};
        if (s.pid <= 0 || (::kill(s.pid, 0) != 0 && errno == ESRCH)) return std::nullopt;
        return s;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

}  // namespace omx::mfs
