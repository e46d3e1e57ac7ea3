#include "syscall_groups.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "children.h"
#include "common/fd.h"

namespace omx::stress {

namespace {

[[noreturn]] void fail_errno(const std::string& what) {
    throw std::runtime_error(what + ": " + std::strerror(errno));
}

void write_all(int fd, const std::string& data, size_t chunk = 4096) {
    for (size_t at = 0; at < data.size();) {
        ssize_t n = ::write(fd, data.data() + at, std::min(chunk, data.size() - at));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail_errno("write");
        at += size_t(n);
    }
}

std::string read_to_end(int fd) {
    std::string out;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail_errno("read");
        if (n == 0) return out;
        out.append(buf, size_t(n));
    }
}

UniqueFd open_or_fail(const std::string& path, int flags, mode_t mode = 0) {
    UniqueFd fd(::open(path.c_str(), flags | O_CLOEXEC, mode));
    if (!fd) fail_errno("open " + path);
    return fd;
}

// A directory of the files group's own, removed with its contents on every exit path.
class TempDir {
public:
    explicit TempDir(const std::string& parent) {
        std::string templ = parent + "/syscalls.XXXXXX";
        if (!::mkdtemp(templ.data())) fail_errno("mkdtemp in " + parent);
        path_ = templ;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

// ---- files -----------------------------------------------------------------------------

// Writes the pattern, reads it back by pread, lseek + read and fstat.
std::string files_write_and_read(int fd, const std::string& data) {
    write_all(fd, data);
    off_t end = ::lseek(fd, 0, SEEK_END);
    if (end != off_t(data.size())) fail_errno("lseek SEEK_END gave " + std::to_string(end));
    size_t at = data.size() / 3, len = std::min<size_t>(100, data.size() - at);
    std::string piece(len, '\0');
    if (::pread(fd, piece.data(), len, off_t(at)) != ssize_t(len)) fail_errno("pread");
    if (piece != data.substr(at, len)) throw std::runtime_error("pread at " + std::to_string(at) + " read other bytes");
    if (::lseek(fd, 0, SEEK_SET) != 0) fail_errno("lseek SEEK_SET");
    std::string back = read_to_end(fd);
    if (back != data) throw std::runtime_error("read back " + std::to_string(back.size()) + " bytes that differ from those written");
    struct stat st {};
    if (::fstat(fd, &st) != 0) fail_errno("fstat");
    char mode[8];
    std::snprintf(mode, sizeof mode, "%o", unsigned(st.st_mode & 07777));
    return "wrote " + std::to_string(data.size()) + " end " + std::to_string(end) + " pread@" + std::to_string(at) + " " +
           checksum(piece) + " sum " + checksum(back) + " size " + std::to_string(st.st_size) + " mode " + mode +
           (S_ISREG(st.st_mode) ? " regular" : " not-regular");
}

// Truncates to half, renames, reads the half back from the new name, unlinks it.
std::string files_truncate_rename_unlink(UniqueFd fd, const std::string& a, const std::string& b, const std::string& data) {
    off_t half = off_t(data.size() / 2);
    if (::ftruncate(fd.get(), half) != 0) fail_errno("ftruncate");
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) fail_errno("fstat after ftruncate");
    fd.reset();
    if (::rename(a.c_str(), b.c_str()) != 0) fail_errno("rename");
    bool old_gone = ::access(a.c_str(), F_OK) != 0 && errno == ENOENT;
    std::string back = read_to_end(open_or_fail(b, O_RDONLY).get());
    if (back != data.substr(0, size_t(half))) throw std::runtime_error("the renamed file does not hold the truncated content");
    if (::unlink(b.c_str()) != 0) fail_errno("unlink");
    bool new_gone = ::access(b.c_str(), F_OK) != 0 && errno == ENOENT;
    return "truncated " + std::to_string(st.st_size) + " renamed sum " + checksum(back) + (old_gone ? " old-name-gone" : " old-name-there") +
           (new_gone ? " unlinked" : " still-there");
}

std::string run_files(GroupContext& ctx) {
    TempDir dir(ctx.dir);
    std::string a = dir.path() + "/a", b = dir.path() + "/b";
    std::string data = pattern(ctx.file_bytes, 1);
    UniqueFd fd = open_or_fail(a, O_RDWR | O_CREAT | O_EXCL, 0640);
    std::string rec = files_write_and_read(fd.get(), data);
    return rec + " " + files_truncate_rename_unlink(std::move(fd), a, b, data);
}

// ---- pipes -----------------------------------------------------------------------------

std::string flipped(std::string s) {
    for (auto& c : s) c = char(c ^ 0x5a);
    return s;
}

// The child's side: reads the parent's stream, checks it, answers with it flipped.
int pipe_echo(int in, int out, const std::string& expected) {
    std::string got;
    char buf[4096];
    while (got.size() < expected.size()) {
        ssize_t n = ::read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return 3;
        got.append(buf, size_t(n));
    }
    if (got != expected) return 4;
    write_all(out, flipped(got));
    return 0;
}

std::string run_pipes(GroupContext& ctx) {
    Pipe down = make_pipe(), up = make_pipe();
    std::string data = pattern(ctx.pipe_bytes, 2);
    Child child = Child::fork([&] {
        down.wr.reset();
        up.rd.reset();
        return pipe_echo(down.rd.get(), up.wr.get(), data);
    });
    down.rd.reset();
    up.wr.reset();
    write_all(down.wr.get(), data);
    down.wr.reset();
    std::string back = read_to_end(up.rd.get());
    auto status = child.wait(std::chrono::seconds(60));
    if (!status) throw std::runtime_error("the pipe child did not end within 60 s");
    if (back != flipped(data))
        throw std::runtime_error("got " + std::to_string(back.size()) + " bytes back that are not the flipped stream (child " +
                                 describe_status(*status) + ")");
    return "sent " + std::to_string(data.size()) + " sum " + checksum(data) + " got " + std::to_string(back.size()) + " sum " +
           checksum(back) + " child " + describe_status(*status);
}

// ---- time ------------------------------------------------------------------------------

long long ns_of(clockid_t clock) {
    timespec ts{};
    if (::clock_gettime(clock, &ts) != 0) fail_errno("clock_gettime");
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

std::string run_time(GroupContext& ctx) {
    long long mono = ns_of(CLOCK_MONOTONIC);
    if (mono < ctx.last_monotonic_ns)
        throw std::runtime_error("CLOCK_MONOTONIC went back " + std::to_string(ctx.last_monotonic_ns - mono) + " ns since the last round");
    ctx.last_monotonic_ns = mono;
    long long real = ns_of(CLOCK_REALTIME);
    timeval tv{};
    if (::gettimeofday(&tv, nullptr) != 0) fail_errno("gettimeofday");
    long long diff = tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL - real;
    if (diff < -1000000000LL || diff > 1000000000LL)
        throw std::runtime_error("CLOCK_REALTIME and gettimeofday are " + std::to_string(diff) + " ns apart");
    timespec want{0, 20 * 1000000L}, left{};
    long long t0 = ns_of(CLOCK_MONOTONIC);
    while (::nanosleep(&want, &left) != 0 && errno == EINTR) want = left;
    long long slept = ns_of(CLOCK_MONOTONIC) - t0;
    if (slept < 20 * 1000000LL) throw std::runtime_error("nanosleep of 20 ms slept " + std::to_string(slept) + " ns");
    return "monotonic non-decreasing; realtime within 1 s of gettimeofday; nanosleep 20 ms slept at least 20 ms";
}

// ---- identity --------------------------------------------------------------------------

std::string run_identity(GroupContext&) {
    char cwd[4096];
    if (!::getcwd(cwd, sizeof cwd)) fail_errno("getcwd");
    // uname's nodename is left out: a migrated process may see its home's or its host's.
    return "pid " + std::to_string(::getpid()) + " ppid " + std::to_string(::getppid()) + " uid " + std::to_string(::getuid()) +
           " gid " + std::to_string(::getgid()) + " cwd " + cwd;
}

// ---- fork and exec ---------------------------------------------------------------------

std::string wait_for(Child& child, const char* what) {
    auto status = child.wait(std::chrono::seconds(60));
    if (!status) throw std::runtime_error(std::string(what) + " did not end within 60 s");
    return describe_status(*status);
}

std::string run_forkexec(GroupContext&) {
    Child forked = Child::fork([] { return 42; });
    std::string fork_status = wait_for(forked, "the forked child");
    Child execed = Child::fork([] {
        ::execl("/bin/sh", "sh", "-c", "exit 7", static_cast<char*>(nullptr));
        return 127;
    });
    std::string exec_status = wait_for(execed, "the child running /bin/sh");
    return "fork child " + fork_status + "; sh -c 'exit 7' child " + exec_status;
}

}  // namespace

// The signals group is in syscall_signals.cpp.
std::string run_signals(GroupContext& ctx);

const std::vector<SyscallGroup>& syscall_groups() {
    static const std::vector<SyscallGroup> groups = {
        {"files", run_files},       {"pipes", run_pipes},       {"time", run_time},
        {"identity", run_identity}, {"forkexec", run_forkexec}, {"signals", run_signals},
    };
    return groups;
}

std::vector<SyscallGroup> select_groups(const std::vector<std::string>& names) {
    if (names.empty()) return syscall_groups();
    std::vector<SyscallGroup> out;
    for (const auto& g : syscall_groups())
        for (const auto& n : names)
            if (n == g.name) out.push_back(g);
    for (const auto& n : names) {
        bool known = false;
        for (const auto& g : syscall_groups()) known = known || g.name == n;
        if (!known) throw std::invalid_argument("no group '" + n + "'");
    }
    return out;
}

std::string checksum(const std::string& data) {
    unsigned long long h = 0xcbf29ce484222325ULL;
    for (unsigned char c : data) h = (h ^ c) * 0x100000001b3ULL;
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", h);
    return buf;
}

std::string pattern(size_t n, unsigned seed) {
    std::string out(n, '\0');
    unsigned long long x = 0x9e3779b97f4a7c15ULL * (seed + 1);
    for (auto& c : out) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        c = char(x >> 56);
    }
    return out;
}

}  // namespace omx::stress
