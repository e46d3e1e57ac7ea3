#include "process_sampler.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace omx {

JobHints parse_hints(const std::string& text) {
    JobHints h;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == 'c') h.cpujob = true, h.iojob = false;
        else if (c == 'i') h.iojob = true, h.cpujob = false;
        else if (c == 'n') h.nodecay = true;
        else if (c == 's' || c == 'f') h.speed = c, h.nodecay = false;
        else if (c == 't' || c == 'd') {
            size_t end = i + 1;
            while (end < text.size() && (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.')) ++end;
            double v = 0;
            try {
                v = std::stod(text.substr(i + 1, end - i - 1));
            } catch (const std::exception&) {
                v = 0;
            }
            if (c == 't' && v > 0) h.interval = v;
            if (c == 'd' && v > 0 && v < 1000) h.rate = v;
            i = end - 1;
        }
    }
    return h;
}

void ProcessSampler::update(const std::vector<ProcSample>& samples, double now, const DecayTuning& decay) {
    std::map<pid_t, ProcessUse> next;
    for (const auto& s : samples) {
        ProcessUse u;
        auto old = procs_.find(s.pid);
        bool known = old != procs_.end() && old->second.age_seconds <= s.age_seconds;
        if (known) {
            u = old->second;
        } else {
            u.hints = parse_hints(s.hints);
            // First sight: its lifetime average is the best guess of what it will do, and
            // a runnable process is taken as busy. (The kernel adds a wait to run_delay
            // only when the wait ends, so a young process on a crowded, throttled node shows
            // half its real busy time; the measurements that follow correct either guess.)
            u.demand = s.age_seconds > 0.05 ? std::clamp(s.busy_seconds / s.age_seconds, 0.0, 1.0) : 0.0;
            if (s.state == 'R') u.demand = 1.0;
        }
        double dt = known ? now - u.seen_at : 0;
        if (known && dt > 0) {
            double instant = std::clamp((s.busy_seconds - u.busy_seconds) / dt, 0.0, 1.0);
            if (u.hints.nodecay) {
                u.demand = s.age_seconds > 0 ? std::clamp(s.busy_seconds / s.age_seconds, 0.0, 1.0) : instant;
            } else {
                double per_mille = u.hints.rate.value_or(u.hints.speed == 's' ? decay.slow : decay.fast);
                double interval = u.hints.interval.value_or(std::max(decay.interval_seconds, 0.01));
                double keep = std::pow(std::clamp(per_mille / 1000.0, 0.0, 1.0), dt / interval);
                u.demand = u.demand * keep + instant * (1.0 - keep);
            }
        }
        if (u.hints.cpujob) u.demand = 1.0;
        u.ppid = s.ppid;
        u.busy_seconds = s.busy_seconds;
        u.age_seconds = s.age_seconds;
        u.rss_bytes = s.rss_bytes;
        u.comm = s.comm;
        u.seen_at = known && dt <= 0 ? u.seen_at : now;
        next[s.pid] = std::move(u);
    }
    procs_ = std::move(next);
}

namespace {

double uptime_seconds() {
    std::ifstream in("/proc/uptime");
    double up = 0;
    in >> up;
    return up;
}

std::string environment_hints(pid_t pid) {
    std::ifstream in(fmt::format("/proc/{}/environ", pid), std::ios::binary);
    std::string var;
    while (std::getline(in, var, '\0'))
        if (var.rfind("MOSRUN_HINTS=", 0) == 0) return var.substr(13);
    return "";
}

std::optional<ProcSample> read_sample(pid_t pid, double uptime, double ticks, long page, bool with_hints = true) {
    std::ifstream in(fmt::format("/proc/{}/stat", pid));
    std::string line;
    if (!std::getline(in, line)) return std::nullopt;
    auto open = line.find('('), close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close + 2 >= line.size()) return std::nullopt;
    ProcSample s;
    s.pid = pid;
    s.comm = line.substr(open + 1, close - open - 1);
    std::istringstream rest(line.substr(close + 2));
    std::vector<std::string> f;   // f[0] is field 3 (state)
    std::string w;
    while (rest >> w) f.push_back(w);
    if (f.size() < 22) return std::nullopt;
    s.state = f[0][0];
    s.ppid = std::atoi(f[1].c_str());
    double cpu = (std::strtod(f[11].c_str(), nullptr) + std::strtod(f[12].c_str(), nullptr)) / ticks;
    double start = std::strtod(f[19].c_str(), nullptr) / ticks;
    s.age_seconds = std::max(0.0, uptime - start);
    s.rss_bytes = uint64_t(std::max(0LL, std::atoll(f[21].c_str()))) * uint64_t(page);
    // schedstat: ns on the CPU, ns waiting for it (more precise than clock ticks).
    std::ifstream ss(fmt::format("/proc/{}/schedstat", pid));
    double on_ns = 0, wait_ns = 0;
    if (ss >> on_ns >> wait_ns) s.busy_seconds = (on_ns + wait_ns) * 1e-9;
    else s.busy_seconds = cpu;
    if (with_hints) s.hints = environment_hints(pid);
    return s;
}

}  // namespace

std::optional<ProcSample> ProcessSampler::read_one(pid_t pid) {
    return read_sample(pid, uptime_seconds(), double(::sysconf(_SC_CLK_TCK)), ::sysconf(_SC_PAGESIZE));
}

std::vector<ProcSample> ProcessSampler::read_proc(pid_t skip) const {
    std::vector<ProcSample> out;
    double up = uptime_seconds(), ticks = double(::sysconf(_SC_CLK_TCK));
    long page = ::sysconf(_SC_PAGESIZE);
    DIR* proc = ::opendir("/proc");
    if (!proc) return out;
    while (auto* e = ::readdir(proc)) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
        pid_t pid = std::atoi(e->d_name);
        if (pid == skip || pid == 1) continue;
        auto s = read_sample(pid, up, ticks, page, false);
        if (!s || s->ppid == 2 || s->ppid == 0) continue;
        // A PID seen before, no younger than then, is the same process: its hints are known.
        auto known = procs_.find(pid);
        if (known == procs_.end() || known->second.age_seconds > s->age_seconds) s->hints = environment_hints(pid);
        out.push_back(std::move(*s));
    }
    ::closedir(proc);
    return out;
}

}  // namespace omx
