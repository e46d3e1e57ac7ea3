#include "proc.h"

#include <fmt/format.h>

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

}  // namespace omx
