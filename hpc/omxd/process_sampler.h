#pragma once
// What each process of this node asks of the CPU, for the balancer: its demand (the share
// of a core it would keep busy: CPU used plus time spent waiting in the run queue, so a
// job starved on an overloaded node still counts as CPU-bound), decayed per process as
// openMosix did (slow 975 / fast 926 per mille per decay interval, or none), and its
// mosrun hints (cpujob, iojob, nodecay, ...).
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace omx {

// One look at a process in /proc.
struct ProcSample {
    pid_t pid = 0;
    pid_t ppid = 0;
    char state = '?';
    double busy_seconds = 0;    // CPU used + time runnable but waiting, in all
    double age_seconds = 0;
    uint64_t rss_bytes = 0;
    std::string comm;
    std::string hints;          // MOSRUN_HINTS of its environment ("" = none)
};

struct DecayTuning {
    double interval_seconds = 1;   // mosctl setdecay interval
    double slow = 975, fast = 926; // per mille kept per interval
};

// Per-process hints as mosrun writes them: letters c i n s f, and t<seconds> d<per mille>.
struct JobHints {
    bool cpujob = false, iojob = false, nodecay = false;
    char speed = 'f';                      // 's' slow or 'f' fast decay (the default)
    std::optional<double> interval, rate;  // -t, -d
};
JobHints parse_hints(const std::string& text);

struct ProcessUse {
    pid_t ppid = 0;
    double demand = 0;       // cores, 0..1
    double busy_seconds = 0;
    double age_seconds = 0;
    uint64_t rss_bytes = 0;
    std::string comm;
    JobHints hints;
    double seen_at = 0;      // internal: the sample time of the last update
};

class ProcessSampler {
public:
    // Folds one round of samples taken at `now` (any monotonic seconds): processes not in
    // `samples` are forgotten.
    void update(const std::vector<ProcSample>& samples, double now, const DecayTuning& decay);
    const std::map<pid_t, ProcessUse>& processes() const { return procs_; }

    // Reads every process of this PID namespace's /proc (except `skip`). The environment
    // (for the hints) is read only for processes not tracked yet.
    std::vector<ProcSample> read_proc(pid_t skip) const;
    static std::optional<ProcSample> read_one(pid_t pid);

private:
    std::map<pid_t, ProcessUse> procs_;
};

}  // namespace omx
