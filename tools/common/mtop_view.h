#pragma once
// mtop without the terminal: its command line, the %CPU and %MEM figures, the order of the
// rows and the text of a refresh. tools/mtop reads /proc, sleeps and draws; everything it
// computes is here so it is tested without processes to watch.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "process_table.h"

namespace omx::tools {

// mtop [-b] [-d SECONDS] [-n N] [-p PID[,PID...]] [-h|--help]
struct MtopOptions {
    double delay_seconds = 3;              // between refreshes
    std::optional<long long> iterations;   // -n: refreshes before exiting; forever without
    bool batch = false;                    // -b: plain text, no terminal
    std::vector<long> pids;                // -p: only these; every process when empty
    bool help = false;
};
inline constexpr double kMaxDelaySeconds = 86400;  // keeps the deadline arithmetic finite

// Throws UsageError for an unknown option, a missing value, a delay that is not a number
// of seconds in (0, kMaxDelaySeconds], an N < 1 or a bad PID.
MtopOptions parse_mtop_args(const std::vector<std::string>& args);
std::string mtop_usage();

// What a refresh keeps of each process to compute %CPU at the next one.
struct TickSample {
    unsigned long long start = 0;  // tells a reused PID from the process it replaced
    unsigned long long ticks = 0;
};
using TickHistory = std::map<long, TickSample>;
TickHistory tick_history(const std::vector<ProcessInfo>& processes);

// CPU ticks `now` used since `before` was taken: all of them for a process that is new
// (not in `before`, or a different process under a reused PID).
unsigned long long ticks_since(const TickHistory& before, const ProcessInfo& now);

// Share of one CPU, as top shows it: 100 = one CPU busy for the whole interval (a process
// with several busy threads goes above 100). 0 when no time passed.
double cpu_percent(unsigned long long ticks, long ticks_per_second, double wall_seconds);
// Resident memory as a share of the node's memory; 0 when the total is unknown.
double mem_percent(long rss_pages, long page_size, unsigned long long mem_total_kb);

// MemTotal of /proc/meminfo in kB (0 when absent); the 1-minute load of /proc/loadavg
// as written there ("?" when absent).
unsigned long long parse_mem_total_kb(std::string_view meminfo);
std::string parse_load1(std::string_view loadavg);

// What a refresh needs to know about this node besides its processes.
struct NodeFigures {
    long ticks_per_second = 100;
    long page_size = 4096;
    unsigned long long mem_total_kb = 0;
};

struct TopRow {
    ProcessInfo process;
    double cpu = 0;  // %CPU over the last interval
    double mem = 0;  // %MEM now
};

// The rows of a refresh, busiest first (then by PID), given the previous refresh's ticks
// and the wall time between the two.
std::vector<TopRow> top_rows(const std::vector<ProcessInfo>& now, const TickHistory& before, double wall_seconds,
                             const NodeFigures& node);

// "mtop - 12:34:56  57 processes, 2 away, load average: 0.52" ("1 process" for one)
std::string header_line(const std::string& clock, const std::vector<TopRow>& rows, const std::string& load1);
// "    PID USER     NODE STAT  %CPU  %MEM   TIME COMMAND" and one row under it.
std::string column_titles();
std::string row_text(const TopRow& row, long ticks_per_second);

// A whole refresh as -b prints it: the header, a blank line, the titles and the rows.
std::string batch_text(const std::string& header, const std::vector<TopRow>& rows, long ticks_per_second);

}  // namespace omx::tools
