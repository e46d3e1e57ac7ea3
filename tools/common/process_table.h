#pragma once
// This node's processes as mps and mtop show them: what /proc says about each, plus the
// node each one runs on now (omxd knows which processes migrated away; /proc at home
// only shows their stopped husks).
#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace omx::tools {

// The fields of one /proc/PID/stat line that the tools use.
struct ProcStat {
    long pid = 0;
    std::string comm;               // without the parentheses
    std::string state;              // "R", "S", "t", ...
    long tty_nr = 0;                // the kernel's device number, 0 = none
    unsigned long long ticks = 0;   // utime + stime, in clock ticks
    unsigned long long start = 0;   // start time, ticks after boot
    long rss_pages = 0;
};

// Parses a /proc/PID/stat line; nullopt when it is not one. The comm may itself hold
// spaces and parentheses ("1 (a (b) c) R ..."): it ends at the line's last ')'.
std::optional<ProcStat> parse_proc_stat(std::string_view line);

// "pts/3", "tty1", "ttyS0", "?" (no terminal) or "MAJOR:MINOR", as ps names them.
std::string tty_name(long tty_nr);

// CPU time as mps and mtop print it: "M:SS".
std::string cpu_time_text(unsigned long long ticks, long ticks_per_second);

struct ProcessInfo {
    long pid = 0;
    uid_t uid = 0;                  // effective uid
    std::string user = "?";         // its name, or the uid in decimal
    std::string tty = "?";
    std::string state;
    unsigned long long ticks = 0;   // utime + stime
    unsigned long long start = 0;   // ticks after boot: tells a reused PID from the old process
    long rss_pages = 0;
    std::string command;            // the command line, or "[comm]" when it has none
    int node = 0;                   // where it runs now, 0 = here (see mark_away)
};

// One process, or nullopt when it does not exist (or ended while being read).
std::optional<ProcessInfo> read_process(long pid);

// Every PID in /proc, in increasing order.
std::vector<long> all_pids();

// The processes of `pids` that exist, in the order given; `missing` counts the others.
std::vector<ProcessInfo> read_processes(const std::vector<long>& pids, int* missing = nullptr);

// A process that runs on another node, as omxd's "processes" request reports it.
struct AwayProcess {
    int node = 0;
    std::string command;  // as it left: the husk at home has no memory to show it from
};
using AwayMap = std::map<long, AwayProcess>;

// omxd's away processes by home PID; empty when omxd does not answer (then nothing is
// away, as without openMosix).
AwayMap away_processes(int timeout_ms = 15000);

// Sets the node (and the command, which only omxd still knows) of the processes away.
void mark_away(std::vector<ProcessInfo>& processes, const AwayMap& away);

}  // namespace omx::tools
