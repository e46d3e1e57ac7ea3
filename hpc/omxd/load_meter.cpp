#include "load_meter.h"

#include <dirent.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

namespace omx {

namespace {

// The initial PID namespace has this fixed inode (PROC_PID_INIT_INO).
constexpr ino_t kInitPidNsIno = 0xEFFFFFFCU;

bool in_initial_pid_namespace() {
    struct stat st {};
    return ::stat("/proc/self/ns/pid", &st) == 0 && st.st_ino == kInitPidNsIno;
}

// /proc/loadavg's 4th field: runnable tasks now / total tasks (machine-wide).
int runnable_from_loadavg() {
    std::ifstream in("/proc/loadavg");
    std::string a, b, c, rt;
    if (!(in >> a >> b >> c >> rt)) return 0;
    return std::max(0, std::atoi(rt.c_str()));
}

char task_state(const std::string& stat_path) {
    std::ifstream in(stat_path);
    std::string line;
    if (!std::getline(in, line)) return '?';
    auto paren = line.rfind(')');  // comm may contain spaces and parentheses
    if (paren == std::string::npos || paren + 2 >= line.size()) return '?';
    return line[paren + 2];
}

struct MemInfo {
    uint64_t total = 0, free = 0, available = 0;  // bytes
};

MemInfo read_meminfo() {
    MemInfo m;
    std::ifstream in("/proc/meminfo");
    std::string key;
    uint64_t kb;
    std::string unit;
    while (in >> key >> kb) {
        std::getline(in, unit);
        if (key == "MemTotal:") m.total = kb * 1024;
        else if (key == "MemFree:") m.free = kb * 1024;
        else if (key == "MemAvailable:") m.available = kb * 1024;
    }
    return m;
}

bool read_proc_stat(uint64_t& busy, uint64_t& total) {
    std::ifstream in("/proc/stat");
    std::string cpu;
    if (!(in >> cpu) || cpu != "cpu") return false;
    uint64_t v[10] = {};
    for (auto& x : v) in >> x;
    total = 0;
    for (auto x : v) total += x;
    busy = total - v[3] - v[4];  // minus idle and iowait
    return true;
}

}  // namespace

LoadMeter::LoadMeter() : cgroup_(CgroupView::detect()), init_pidns_(in_initial_pid_namespace()) {
    refresh_resources();
}

double LoadMeter::decay(double current, double sample, double up, double down) {
    double keep = sample > current ? up : down;
    return current * keep + sample * (1.0 - keep);
}

int LoadMeter::count_runnable() const {
    // On a real node the kernel's count is exact and cheap. In a PID namespace (a netns
    // node) it would count the whole machine, so count the tasks we can see instead.
    if (init_pidns_) return std::max(0, runnable_from_loadavg() - 1);  // minus ourselves
    int n = 0;
    const pid_t self = getpid();
    DIR* proc = opendir("/proc");
    if (!proc) return 0;
    while (auto* e = readdir(proc)) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        if (std::atoi(e->d_name) == self) continue;
        std::string base = std::string("/proc/") + e->d_name + "/task";
        DIR* tasks = opendir(base.c_str());
        if (!tasks) continue;
        while (auto* t = readdir(tasks))
            if (t->d_name[0] >= '0' && t->d_name[0] <= '9' &&
                task_state(base + "/" + t->d_name + "/stat") == 'R')
                ++n;
        closedir(tasks);
    }
    closedir(proc);
    return n;
}

void LoadMeter::sample() {
    double n = count_runnable();
    last_runnable_ = n;
    // Per-sample keep factors at 4 samples/s: 0.5 reacts within a second, 0.9 takes ~10 s.
    exported_ = decay(exported_, n, 0.5, 0.9);
    local_ = decay(local_, n, 0.9, 0.5);
}

uint32_t LoadMeter::normalise(double runq, uint32_t speed) const {
    if (speed == 0) speed = 1;
    return uint32_t(std::lround(runq * 100.0 * 100.0 / (double(speed) * res_.cpus)));
}

uint32_t LoadMeter::exported_load(uint32_t speed) const { return normalise(exported_, speed); }
uint32_t LoadMeter::local_load(uint32_t speed) const { return normalise(local_, speed); }

void LoadMeter::refresh_resources() {
    cpu_set_t set;
    CPU_ZERO(&set);
    int cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
    auto quota = cgroup_.cpu_quota_cores();
    res_.quota_cores = quota.value_or(0);
    if (quota) cpus = std::clamp(int(std::ceil(*quota - 1e-9)), 1, std::max(cpus, 1));
    res_.cpus = uint16_t(std::max(cpus, 1));

    MemInfo m = read_meminfo();
    uint64_t total = m.total, avail = m.available, free = m.free;
    if (auto limit = cgroup_.memory_limit_bytes(); limit && *limit < total) {
        uint64_t used = cgroup_.memory_usage_bytes().value_or(0);
        uint64_t left = *limit > used ? *limit - used : 0;
        total = *limit;
        avail = std::min(avail, left);
        free = std::min(free, left);
    }
    res_.tmem_pages = total / 4096;
    res_.mem_pages = avail / 4096;
    res_.rmem_pages = free / 4096;

    // Utilisation: CPU time used over the capacity the node has in the same time.
    auto now = std::chrono::steady_clock::now();
    double capacity = res_.quota_cores > 0 ? res_.quota_cores : double(res_.cpus);
    if (auto busy = cgroup_.cpu_usage_ns()) {
        if (last_busy_ns_ && last_util_at_.time_since_epoch().count()) {
            double wall = std::chrono::duration<double>(now - last_util_at_).count();
            double used = double(*busy - std::min(*busy, *last_busy_ns_)) * 1e-9;
            if (wall > 0) util_ = uint16_t(std::clamp(100.0 * used / (wall * capacity), 0.0, 100.0));
        }
        last_busy_ns_ = busy;
    } else {
        uint64_t b = 0, t = 0;
        if (read_proc_stat(b, t) && last_stat_total_ && t > last_stat_total_)
            util_ = uint16_t(std::clamp(100.0 * double(b - last_stat_busy_) /
                                            double(t - last_stat_total_), 0.0, 100.0));
        last_stat_busy_ = b;
        last_stat_total_ = t;
    }
    last_util_at_ = now;
}

}  // namespace omx
