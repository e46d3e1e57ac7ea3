#include "proc.h"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

namespace omx {

std::string command_line(pid_t pid) {
    std::ifstream in(fmt::format("/proc/{}/cmdline", pid));
    std::string cmd((std::istreambuf_iterator<char>(in)), {});
    for (auto& ch : cmd)
        if (ch == '\0') ch = ' ';
    while (!cmd.empty() && cmd.back() == ' ') cmd.pop_back();
    return cmd;
}

std::string proc_status(pid_t pid) {
    std::ifstream in(fmt::format("/proc/{}/status", pid));
    return std::string((std::istreambuf_iterator<char>(in)), {});
}

namespace {

// Where the value of `key` (a field name at a line start, "SigPnd:") begins, or npos.
size_t field(const std::string& status, const char* key) {
    std::string line_key = std::string("\n") + key;
    if (size_t at = status.find(line_key); at != std::string::npos) return at + line_key.size();
    return status.compare(0, line_key.size() - 1, key) == 0 ? line_key.size() - 1 : std::string::npos;
}

}  // namespace

uint64_t status_mask(const std::string& status, const char* key) {
    size_t at = field(status, key);
    return at == std::string::npos ? 0 : std::strtoull(status.c_str() + at, nullptr, 16);
}

long status_number(const std::string& status, const char* key, long absent) {
    size_t at = field(status, key);
    return at == std::string::npos ? absent : std::strtol(status.c_str() + at, nullptr, 10);
}

}  // namespace omx
