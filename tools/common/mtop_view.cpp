#include "mtop_view.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <string>

#include "numbers.h"
#include "tool_main.h"

namespace omx::tools {

namespace {

// Digits with at most one '.', as a user types a delay: std::stod alone would also take
// " 3", "1e3", "inf", "nan" and "0x1p2".
std::optional<double> parse_seconds(std::string_view s) {
    int digits = 0, dots = 0;
    for (char c : s) {
        if (std::isdigit(static_cast<unsigned char>(c))) ++digits;
        else if (c == '.') ++dots;
        else return std::nullopt;
    }
    if (digits == 0 || dots > 1 || s.size() > 32) return std::nullopt;
    return std::stod(std::string(s));
}

double parse_delay(const std::string& v) {
    auto secs = parse_seconds(v);
    if (!secs || !(*secs > 0) || *secs > kMaxDelaySeconds)
        throw UsageError(fmt::format("bad delay '{}' (seconds, more than 0 and at most {})", v, kMaxDelaySeconds));
    return *secs;
}

long long parse_iterations(const std::string& v) {
    auto n = parse_count(v);
    if (!n || *n < 1) throw UsageError(fmt::format("bad number of refreshes '{}' (1 or more)", v));
    return *n;
}

// "12,345" -> {12, 345}
void parse_pid_list(const std::string& v, std::vector<long>& out) {
    size_t i = 0;
    for (;;) {
        size_t comma = std::min(v.find(',', i), v.size());
        std::string one = v.substr(i, comma - i);
        auto pid = parse_count(one);
        if (!pid || *pid <= 0 || *pid > 0x7fffffff) throw UsageError(fmt::format("bad PID '{}'", one));
        out.push_back(long(*pid));
        if (comma == v.size()) return;
        i = comma + 1;
    }
}

// The value of -d, -n or -p: glued to the letter ("-d5") or the next argument ("-d 5").
std::string option_value(const std::vector<std::string>& args, size_t& i) {
    const std::string& a = args[i];
    if (a.size() > 2) return a.substr(2);
    if (i + 1 >= args.size()) throw UsageError(fmt::format("option '{}' needs a value", a));
    return args[++i];
}

std::string user_column(const std::string& user) {
    // Cut like top: a '+' says the name goes on.
    return user.size() <= 8 ? user : user.substr(0, 7) + "+";
}

}  // namespace

MtopOptions parse_mtop_args(const std::vector<std::string>& args) {
    MtopOptions o;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "-h" || a == "--help") o.help = true;
        else if (a == "-b") o.batch = true;
        else if (a.rfind("-d", 0) == 0) o.delay_seconds = parse_delay(option_value(args, i));
        else if (a.rfind("-n", 0) == 0) o.iterations = parse_iterations(option_value(args, i));
        else if (a.rfind("-p", 0) == 0) parse_pid_list(option_value(args, i), o.pids);
        else throw UsageError(fmt::format("unknown option '{}'", a));
    }
    return o;
}

std::string mtop_usage() {
    return "Usage: mtop [-b] [-d SECONDS] [-n N] [-p PID[,PID...]]\n"
           "Like top, with openMosix's NODE column: this node's processes, busiest first, and\n"
           "the node each runs on now (0 = here, its home).\n\n"
           "  -b           batch mode: plain text on stdout, no terminal needed\n"
           "  -d SECONDS   delay between refreshes (default 3, decimals allowed)\n"
           "  -n N         exit after N refreshes\n"
           "  -p PID,...   only these processes (may be repeated)\n"
           "  -h, --help   this text\n\n"
           "Keys: space refreshes now, q quits.\n";
}

TickHistory tick_history(const std::vector<ProcessInfo>& processes) {
    TickHistory h;
    for (const auto& p : processes) h[p.pid] = TickSample{p.start, p.ticks};
    return h;
}

unsigned long long ticks_since(const TickHistory& before, const ProcessInfo& now) {
    auto it = before.find(now.pid);
    if (it == before.end() || it->second.start != now.start) return now.ticks;
    // Never negative, whatever a racing reader saw.
    return now.ticks >= it->second.ticks ? now.ticks - it->second.ticks : 0;
}

double cpu_percent(unsigned long long ticks, long ticks_per_second, double wall_seconds) {
    if (ticks_per_second <= 0 || !(wall_seconds > 0)) return 0;
    return 100.0 * double(ticks) / double(ticks_per_second) / wall_seconds;
}

double mem_percent(long rss_pages, long page_size, unsigned long long mem_total_kb) {
    if (mem_total_kb == 0 || rss_pages <= 0) return 0;
    return 100.0 * double(rss_pages) * double(page_size) / (double(mem_total_kb) * 1024.0);
}

unsigned long long parse_mem_total_kb(std::string_view meminfo) {
    constexpr std::string_view kKey = "MemTotal:";
    for (size_t at = 0; at < meminfo.size();) {
        size_t end = std::min(meminfo.find('\n', at), meminfo.size());
        std::string_view line = meminfo.substr(at, end - at);
        at = end + 1;
        if (line.substr(0, kKey.size()) != kKey) continue;
        line.remove_prefix(kKey.size());
        size_t b = line.find_first_not_of(' ');
        if (b == std::string_view::npos) return 0;
        auto kb = parse_count(line.substr(b, line.find(' ', b) - b));
        return kb ? (unsigned long long)*kb : 0;
    }
    return 0;
}

std::string parse_load1(std::string_view loadavg) {
    std::string_view first = loadavg.substr(0, loadavg.find_first_of(" \n"));
    return first.empty() ? "?" : std::string(first);
}

std::vector<TopRow> top_rows(const std::vector<ProcessInfo>& now, const TickHistory& before, double wall_seconds,
                             const NodeFigures& node) {
    std::vector<TopRow> rows;
    rows.reserve(now.size());
    for (const auto& p : now)
        rows.push_back(TopRow{p, cpu_percent(ticks_since(before, p), node.ticks_per_second, wall_seconds),
                              mem_percent(p.rss_pages, node.page_size, node.mem_total_kb)});
    std::stable_sort(rows.begin(), rows.end(), [](const TopRow& a, const TopRow& b) {
        return a.cpu != b.cpu ? a.cpu > b.cpu : a.process.pid < b.process.pid;
    });
    return rows;
}

std::string header_line(const std::string& clock, const std::vector<TopRow>& rows, const std::string& load1) {
    auto away = std::count_if(rows.begin(), rows.end(), [](const TopRow& r) { return r.process.node != 0; });
    return fmt::format("mtop - {}  {} process{}, {} away, load average: {}", clock, rows.size(),
                       rows.size() == 1 ? "" : "es", away, load1);
}

std::string column_titles() {
    return fmt::format("{:>7} {:<8} {:>4} {:<4} {:>5} {:>5} {:>6} {}", "PID", "USER", "NODE", "STAT", "%CPU", "%MEM",
                       "TIME", "COMMAND");
}

std::string row_text(const TopRow& row, long ticks_per_second) {
    const ProcessInfo& p = row.process;
    return fmt::format("{:>7} {:<8} {:>4} {:<4} {:>5.1f} {:>5.1f} {:>6} {}", p.pid, user_column(p.user), p.node,
                       p.state, row.cpu, row.mem, cpu_time_text(p.ticks, ticks_per_second), p.command);
}

std::string batch_text(const std::string& header, const std::vector<TopRow>& rows, long ticks_per_second) {
    std::string out = header + "\n\n" + column_titles() + "\n";
    for (const auto& r : rows) out += row_text(r, ticks_per_second) + "\n";
    return out;
}

}  // namespace omx::tools
