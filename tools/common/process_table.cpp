#include "process_table.h"

#include <dirent.h>
#include <pwd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <iterator>
#include <memory>
#include <unordered_map>

#include "common/control.h"

namespace omx::tools {

namespace {

// The fields of `s` between blanks (spaces in /proc/PID/stat, tabs in status).
std::vector<std::string_view> split_fields(std::string_view s) {
    constexpr std::string_view kBlanks = " \t\n";
    std::vector<std::string_view> out;
    for (size_t i = s.find_first_not_of(kBlanks); i != std::string_view::npos; i = s.find_first_not_of(kBlanks, i)) {
        size_t j = std::min(s.find_first_of(kBlanks, i), s.size());
        out.push_back(s.substr(i, j - i));
        i = j;
    }
    return out;
}

template <typename T>
bool parse_number(std::string_view s, T& out) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size();
}

// Field N of proc(5), counted from 1, is fields[N - 3]: the fields after the comm start
// with the state, field 3.
constexpr size_t field(int n) { return size_t(n - 3); }

std::string read_whole(const std::string& path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), {});
}

// argv joined by spaces; empty for a kernel thread, a zombie or a migrated-away husk.
std::string command_line(long pid) {
    std::string cmd = read_whole(fmt::format("/proc/{}/cmdline", pid));
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    while (!cmd.empty() && cmd.back() == ' ') cmd.pop_back();
    return cmd;
}

// The effective uid from /proc/PID/status (the owner of /proc/PID is root for a process
// that is not dumpable, so it cannot be used).
std::optional<uid_t> effective_uid(long pid) {
    std::ifstream in(fmt::format("/proc/{}/status", pid));
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("Uid:", 0) != 0) continue;
        // "Uid:\treal\teffective\tsaved\tfs"
        auto ids = split_fields(std::string_view(line).substr(4));
        uid_t uid = 0;
        if (ids.size() >= 2 && parse_number(ids[1], uid)) return uid;
        return std::nullopt;
    }
    return std::nullopt;
}

// Names are looked up once per uid: a refresh of mtop reads every process, and a name
// service lookup each time would cost more than all of /proc.
const std::string& user_name(uid_t uid) {
    static std::unordered_map<uid_t, std::string> names;
    if (auto it = names.find(uid); it != names.end()) return it->second;
    passwd pw{};
    passwd* found = nullptr;
    std::vector<char> buf(16384);
    std::string name = std::to_string(uid);
    if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found) name = found->pw_name;
    return names.emplace(uid, std::move(name)).first->second;
}

}  // namespace

std::optional<ProcStat> parse_proc_stat(std::string_view line) {
    auto open = line.find('('), close = line.rfind(')');
    if (open == std::string_view::npos || close == std::string_view::npos || close < open) return std::nullopt;
    ProcStat s;
    std::string_view pid_text = line.substr(0, open);
    while (!pid_text.empty() && pid_text.back() == ' ') pid_text.remove_suffix(1);
    if (!parse_number(pid_text, s.pid)) return std::nullopt;
    s.comm = std::string(line.substr(open + 1, close - open - 1));
    auto f = split_fields(line.substr(close + 1));
    if (f.size() <= field(24)) return std::nullopt;
    unsigned long long utime = 0, stime = 0;
    if (!parse_number(f[field(7)], s.tty_nr) || !parse_number(f[field(14)], utime) ||
        !parse_number(f[field(15)], stime) || !parse_number(f[field(22)], s.start) ||
        !parse_number(f[field(24)], s.rss_pages))
        return std::nullopt;
    s.state = std::string(f[field(3)]);
    s.ticks = utime + stime;
    return s;
}

std::string tty_name(long nr) {
    long major = (nr >> 8) & 0xfff, minor = (nr & 0xff) | ((nr >> 12) & 0xfff00);
    if (nr == 0) return "?";
    if (major >= 136 && major <= 143) return fmt::format("pts/{}", minor + (major - 136) * 256);
    if (major == 4) return minor < 64 ? fmt::format("tty{}", minor) : fmt::format("ttyS{}", minor - 64);
    return fmt::format("{}:{}", major, minor);
}

std::string cpu_time_text(unsigned long long ticks, long ticks_per_second) {
    unsigned long long secs = ticks / (unsigned long long)std::max(1L, ticks_per_second);
    return fmt::format("{}:{:02}", secs / 60, secs % 60);
}

std::optional<ProcessInfo> read_process(long pid) {
    std::ifstream in(fmt::format("/proc/{}/stat", pid));
    std::string line;
    if (!std::getline(in, line)) return std::nullopt;
    auto stat = parse_proc_stat(line);
    if (!stat) return std::nullopt;
    ProcessInfo p;
    p.pid = pid;
    p.tty = tty_name(stat->tty_nr);
    p.state = stat->state;
    p.ticks = stat->ticks;
    p.start = stat->start;
    p.rss_pages = stat->rss_pages;
    if (auto uid = effective_uid(pid)) {
        p.uid = *uid;
        p.user = user_name(*uid);
    }
    p.command = command_line(pid);
    if (p.command.empty()) p.command = "[" + stat->comm + "]";
    return p;
}

std::vector<long> all_pids() {
    std::vector<long> pids;
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir("/proc"), ::closedir);
    while (auto* e = d ? ::readdir(d.get()) : nullptr) {
        long pid = 0;
        if (std::isdigit(static_cast<unsigned char>(e->d_name[0])) && parse_number(std::string_view(e->d_name), pid))
            pids.push_back(pid);
    }
    std::sort(pids.begin(), pids.end());
    return pids;
}

std::vector<ProcessInfo> read_processes(const std::vector<long>& pids, int* missing) {
    std::vector<ProcessInfo> out;
    out.reserve(pids.size());
    int gone = 0;
    for (long pid : pids) {
        if (auto p = read_process(pid)) out.push_back(std::move(*p));
        else ++gone;
    }
    if (missing) *missing = gone;
    return out;
}

AwayMap away_processes(int timeout_ms) {
    AwayMap out;
    try {
        auto r = omx::control::call({{"cmd", "processes"}}, omx::control::socket_path(), timeout_ms);
        for (const auto& a : r.at("away"))
            out[a.at("pid").get<long>()] = AwayProcess{a.at("node").get<int>(), a.value("command", "")};
    } catch (const std::exception&) {
        // no omxd (or an omxd too old to know): nothing is away
    }
    return out;
}

void mark_away(std::vector<ProcessInfo>& processes, const AwayMap& away) {
    for (auto& p : processes) {
        auto it = away.find(p.pid);
        if (it == away.end()) continue;
        p.node = it->second.node;
        if (!it->second.command.empty()) p.command = it->second.command;
    }
}

}  // namespace omx::tools
