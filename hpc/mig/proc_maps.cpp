#include "proc_maps.h"

#include "arch/arch.h"

#include <fmt/format.h>
#include <sys/mman.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace omx::mig {

bool Mapping::kernel_special() const {
    return path == "[vdso]" || path == "[vvar]" || path == "[vvar_vclock]" || path == "[vsyscall]";
}

std::vector<Mapping> parse_maps(const std::string& text) {
    std::vector<Mapping> out;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.empty()) continue;
        // "start-end perms offset dev inode   path"
        std::istringstream in(line);
        std::string range, perms, offset, dev, inode;
        if (!(in >> range >> perms >> offset >> dev >> inode) || perms.size() != 4)
            throw std::runtime_error("unreadable maps line: " + line);
        Mapping m;
        auto dash = range.find('-');
        m.start = std::stoull(range.substr(0, dash), nullptr, 16);
        m.end = std::stoull(range.substr(dash + 1), nullptr, 16);
        m.prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
                 (perms[2] == 'x' ? PROT_EXEC : 0);
        m.shared = perms[3] == 's';
        m.offset = std::stoull(offset, nullptr, 16);
        m.inode = std::stoull(inode);
        std::string rest;
        std::getline(in, rest);
        auto first = rest.find_first_not_of(' ');
        m.path = first == std::string::npos ? "" : rest.substr(first);
        out.push_back(std::move(m));
    }
    return out;
}

static std::string slurp(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<Mapping> read_maps(pid_t pid) { return parse_maps(slurp(fmt::format("/proc/{}/maps", pid))); }

MmLayout parse_stat_layout(const std::string& line) {
    auto close = line.rfind(')');
    if (close == std::string::npos) throw std::runtime_error("unreadable stat line");
    std::istringstream in(line.substr(close + 2));
    std::vector<std::string> f(3);   // fields 1 and 2 are before ')'; index = field number
    std::string x;
    while (in >> x) f.push_back(x);
    if (f.size() <= 51) throw std::runtime_error("stat line too short (kernel without mm fields?)");
    auto u = [&](int i) { return std::stoull(f[size_t(i)]); };
    MmLayout m;
    m.start_code = u(26);
    m.end_code = u(27);
    m.start_stack = u(28);
    m.start_data = u(45);
    m.end_data = u(46);
    m.start_brk = u(47);
    m.arg_start = u(48);
    m.arg_end = u(49);
    m.env_start = u(50);
    m.env_end = u(51);
    return m;
}

MmLayout read_stat_layout(pid_t pid) { return parse_stat_layout(slurp(fmt::format("/proc/{}/stat", pid))); }

uint64_t find_hole(const std::vector<std::vector<Mapping>*>& layouts, uint64_t size, uint64_t from) {
    std::vector<std::pair<uint64_t, uint64_t>> used;
    for (auto* l : layouts)
        for (const auto& m : *l) used.emplace_back(m.start, m.end);
    std::sort(used.begin(), used.end());
    constexpr uint64_t kTop = arch::kUserTop;
    uint64_t candidate = (from + 0xfff) & ~0xfffULL;
    for (const auto& [s, e] : used) {
        if (e <= candidate) continue;
        if (s >= candidate + size) break;
        candidate = (e + 0xfff) & ~0xfffULL;
    }
    if (candidate + size > kTop) throw std::runtime_error("no free address range for the restorer");
    return candidate;
}

}  // namespace omx::mig
