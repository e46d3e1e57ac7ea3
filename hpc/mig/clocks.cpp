#include "clocks.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/fd.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace omx::mig {
namespace {

constexpr int64_t kNsPerSec = 1'000'000'000;

int64_t now_ns(clockid_t clock) {
    timespec ts{};
    ::clock_gettime(clock, &ts);
    return int64_t(ts.tv_sec) * kNsPerSec + ts.tv_nsec;
}

// Seconds and nanoseconds as the kernel wants them: nanoseconds in [0, 1e9).
std::string seconds_nanos(int64_t ns) {
    int64_t sec = ns / kNsPerSec, nsec = ns % kNsPerSec;
    if (nsec < 0) {
        nsec += kNsPerSec;
        --sec;
    }
    return fmt::format("{} {}", sec, nsec);
}

// The caller's own CLOCK_MONOTONIC and CLOCK_BOOTTIME.
ProcessClocks clocks_now() { return {now_ns(CLOCK_MONOTONIC), now_ns(CLOCK_BOOTTIME)}; }

// The offsets a timens_offsets file holds; zero when there is none (no time namespaces).
ProcessClocks timens_offsets(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return parse_timens_offsets(text.str()).value_or(ProcessClocks{});
}

bool write_text(const char* path, const std::string& text) {
    omx::UniqueFd fd(::open(path, O_WRONLY | O_CLOEXEC));
    if (!fd) return false;
    // One write: the kernel takes the offsets of a single write only.
    return ::write(fd.get(), text.data(), text.size()) == ssize_t(text.size());
}

}  // namespace

std::optional<ProcessClocks> parse_timens_offsets(const std::string& text) {
    ProcessClocks off;
    bool monotonic = false, boottime = false;
    std::istringstream in(text);
    for (std::string clock; in >> clock;) {
        int64_t sec = 0, nsec = 0;
        if (!(in >> sec >> nsec) || nsec < 0 || nsec >= kNsPerSec) return std::nullopt;
        int64_t ns = sec * kNsPerSec + nsec;
        if (clock == "monotonic" || clock == "1") {
            off.monotonic_ns = ns;
            monotonic = true;
        } else if (clock == "boottime" || clock == "7") {
            off.boottime_ns = ns;
            boottime = true;
        } else {
            return std::nullopt;
        }
    }
    if (!monotonic || !boottime) return std::nullopt;
    return off;
}

std::string format_timens_offsets(const ProcessClocks& offsets) {
    return fmt::format("monotonic {}\nboottime {}\n", seconds_nanos(offsets.monotonic_ns),
                       seconds_nanos(offsets.boottime_ns));
}

ProcessClocks clocks_of(pid_t pid) {
    // What the caller reads (omxd and its helpers live in the node's own time namespace)
    // plus pid's offsets.
    ProcessClocks c = clocks_now();
    ProcessClocks off = timens_offsets(fmt::format("/proc/{}/timens_offsets", pid));
    return {c.monotonic_ns + off.monotonic_ns, c.boottime_ns + off.boottime_ns};
}

bool enter_time_namespace_at(const ProcessClocks& want) {
    // A new namespace's offsets count from the node's clocks, not from ours (we may sit in
    // a time namespace already): read ours while /proc/self/timens_offsets still shows it.
    ProcessClocks ours = clocks_now(), off_ours = timens_offsets("/proc/self/timens_offsets");
    ProcessClocks node{ours.monotonic_ns - off_ours.monotonic_ns, ours.boottime_ns - off_ours.boottime_ns};
    if (::unshare(CLONE_NEWTIME) != 0) return false;
    ProcessClocks off{want.monotonic_ns - node.monotonic_ns, want.boottime_ns - node.boottime_ns};
    if (!write_text("/proc/self/timens_offsets", format_timens_offsets(off))) return false;
    omx::UniqueFd ns(::open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC));
    return ns && ::setns(ns.get(), CLONE_NEWTIME) == 0;
}

}  // namespace omx::mig
