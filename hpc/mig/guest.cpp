#include "guest.h"

#include "dfsa.h"

#include <fmt/format.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/limits.h>
#include <sys/mman.h>
#include <sched.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <optional>

#include "checkpoint.h"
#include "file_identity.h"
#include "remote_part.h"
#include "restore.h"

namespace omx::mig {

namespace {

std::atomic<bool> g_want_home{false};

// Most answers come back within this: waiting for them awake saves a sleep and a wake-up.
constexpr int kAnswerSpinUs = 100;

// A forked child's image waits here for the remote part its deputy's connection starts.
// /dev/shm: in memory, private to the node, and writable by the process's own uid.
constexpr const char* kForkImageDir = "/dev/shm";
constexpr const char* kForkImagePrefix = "omx-fork-";

std::string fork_image_path(const std::string& token) {
    return fmt::format("{}/{}{}", kForkImageDir, kForkImagePrefix, token);
}

std::string random_token() {
    uint8_t raw[16];
    if (::getrandom(raw, sizeof raw, 0) != sizeof raw) throw std::runtime_error("getrandom failed");
    std::string hex;
    for (uint8_t b : raw) hex += fmt::format("{:02x}", b);
    return hex;
}

bool valid_token(const std::string& t) {
    return t.size() == 32 && std::all_of(t.begin(), t.end(), [](char c) { return std::isxdigit(uint8_t(c)); });
}

// Images of children nobody came for (their deputy never started) go after ten minutes.
void sweep_stale_fork_images() {
    namespace fs = std::filesystem;
    std::error_code ec;
    auto limit = fs::file_time_type::clock::now() - std::chrono::minutes(10);
    for (const auto& e : fs::directory_iterator(kForkImageDir, ec))
        if (e.path().filename().string().rfind(kForkImagePrefix, 0) == 0 && e.last_write_time(ec) < limit)
            fs::remove(e.path(), ec);
}

// The home side, over the link: calls travel as Call/Result, signals and requests to come
// home arrive between them.
class LinkHome : public Home {
public:
    LinkHome(Link& link, pid_t remote, std::function<void()> tick) : link_(link), remote_(remote), tick_(std::move(tick)) {}

    ForwardedResult execute(const SyscallInfo&, const ForwardedCall& call) override {
        try {
            link_.send(Msg::Call, encode_call(call));
            link_.spin_until_readable(kAnswerSpinUs);
            return decode_result(wait_for(Msg::Result));
        } catch (const LinkClosed&) {
            gone_ = true;
            ForwardedResult r;
            r.ret = -EIO;   // the process is killed at the next look home
            return r;
        }
    }

    bool can_bring_home() const override { return !refused_home_; }

    // The child is a copy of the process as it entered the call: its image goes to a
    // file here, home makes its husk and deputy, and the deputy's link restores it.
    bool fork(pid_t remote, long nr, const uint64_t* args) override {
        if (!forks_here_ || gone_) return false;
        std::string token = random_token(), path = fork_image_path(token);
        omx::UniqueFd file(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
        if (!file) {
            std::cerr << fmt::format("omx-remote: cannot write a fork image ({}): forks go home\n", std::strerror(errno));
            forks_here_ = false;
            return false;
        }
        std::optional<Tracee> traced;
        CheckpointStats st;
        try {
            traced.emplace(Tracee::seize(remote));
            ImageWriter out(file.get());
            st = checkpoint(*traced, out);
        } catch (const std::exception& e) {
            ::unlink(path.c_str());
            std::cerr << "omx-remote: cannot copy the process for its fork: " << e.what() << "; forks go home\n";
            forks_here_ = false;
            return false;   // the detach lets it make the call again
        }
        file.reset();
        Tracee& t = *traced;
        if (arch::result(st.resume_regs) != nr) {
            // A signal came first and its handler is about to run: the process makes the
            // call again afterwards.
            ::unlink(path.c_str());
            t.detach();
            return true;
        }
        int64_t child = -EIO;
        try {
            link_.send(Msg::Fork, encode_fork({uint32_t(fork_exit_signal(nr, args)), token}));
            child = decode_i64(wait_for(Msg::ForkResult));
        } catch (const LinkClosed&) {
            gone_ = true;   // the process is killed at the next look home
        }
        arch::Regs regs = st.resume_regs;
        if (child == -ENOSYS) {
            ::unlink(path.c_str());
            forks_here_ = false;
            t.detach_with(regs);   // makes the call again, and it goes home
            return true;
        }
        if (child < 0) ::unlink(path.c_str());
        else if (auto c = arch::clone_args(args); nr == SYS_clone && (c.flags & CLONE_PARENT_SETTID)) {
            auto tid = uint32_t(child);
            t.write_memory(c.parent_tid, {reinterpret_cast<const uint8_t*>(&tid), sizeof tid});
        }
        arch::set_ip(regs, arch::ip(regs) + arch::kSyscallInsnSize);   // past the call, which returns the child's PID at home
        arch::set_result(regs, long(child));
        t.detach_with(regs);
        return true;
    }
    void home_refused() { refused_home_ = true; }

    News news() override {
        if (tick_) tick_();
        News n;
        try {
            if (g_want_home.exchange(false) && !asked_) {
                link_.send(Msg::WantHome, encode_text("expelled"));
                asked_ = true;
            }
            Msg type;
            std::vector<uint8_t> payload;
            while (!gone_ && link_.receive(type, payload, 0)) {
                if (type == Msg::Signal) n.signals.push_back(int(decode_u32(payload)));
                else other(type, payload);
            }
        } catch (const LinkClosed&) {
            gone_ = true;
        }
        n.gone = gone_;
        n.come_home = std::exchange(come_home_, false);
        return n;
    }

    bool exec(pid_t remote, int listener, uint64_t id, const uint64_t* args) override {
        if (gone_) return false;
        std::string path, command;
        try {
            ProcessMemory mem(remote);
            path = mem.read_string(args[0], PATH_MAX);
            command = command_line(mem, args[1]);
        } catch (const std::exception&) {
            return false;   // at home it gets its EFAULT
        }
        if (!path.empty() && path.back() == '\0') path.pop_back();
        auto files = files_to_exec(path);
        if (!files || changes_privileges(path)) return false;
        std::string why;
        try {
            link_.send(Msg::Exec, encode_identities(*files));
            why = decode_text(wait_for(Msg::ExecResult));
        } catch (const LinkClosed&) {
            gone_ = true;
            return false;
        }
        if (!why.empty()) {
            std::cerr << fmt::format("omx-remote: exec of {} goes home: {}\n", path, why);
            return false;
        }
        ExecOutcome done = run_exec_watched(remote, listener, id);
        if (done == ExecOutcome::NotTraced) return false;
        if (done == ExecOutcome::Execed) {
            try {
                link_.send(Msg::Execed, encode_execed({path, command}));
            } catch (const LinkClosed&) {
                gone_ = true;
            }
        }
        return true;
    }

    void stopped(int sig) override {
        try {
            link_.send(Msg::Stopped, encode_u32(uint32_t(sig)));
        } catch (const LinkClosed&) {
            gone_ = true;
        }
    }

    bool map_file(int listener, uint64_t id, const uint64_t* args) override {
        int type = int(args[3] & MAP_TYPE), fd = int(args[4]);
        if (gone_ || (args[3] & MAP_ANONYMOUS) || fd < 0) return false;
        // A shared mapping must see the writes made to the file at home: only a private
        // copy may come from this node's file.
        if (type != MAP_PRIVATE) return false;
        std::vector<FileIdentity> there;
        try {
            link_.send(Msg::MapFile, encode_u32(uint32_t(fd)));
            there = decode_identities(wait_for(Msg::MapFileResult));
        } catch (const LinkClosed&) {
            gone_ = true;
            return false;
        }
        if (there.size() != 1) return false;
        auto here = identify_file(there[0].path, there[0].path);
        if (!here || !(*here == there[0])) return false;
        omx::UniqueFd local(::open(there[0].path.c_str(), O_RDONLY | O_CLOEXEC));
        return local && run_with_local_fd(listener, id, local.get(), fd);
    }

private:
    // argv as one line for the tools (mps), at most 4 KiB.
    static std::string command_line(const ProcessMemory& mem, uint64_t argv) {
        std::string line;
        for (int i = 0; argv && i < 256 && line.size() < 4096; ++i) {
            auto raw = mem.read(argv + uint64_t(i) * sizeof(unsigned long), sizeof(unsigned long));
            unsigned long at = 0;   // a pointer of the process, whose layout is ours
            std::memcpy(&at, raw.data(), sizeof at);
            if (!at) break;
            std::string arg = mem.read_string(at, 4096);
            if (!arg.empty() && arg.back() == '\0') arg.pop_back();
            line += (line.empty() ? "" : " ") + arg;
        }
        return line.substr(0, 4096);
    }

    // The answer to what we asked; signals for the process and home's requests that come
    // first are taken as they come.
    std::vector<uint8_t> wait_for(Msg answer) {
        for (;;) {
            Msg type;
            std::vector<uint8_t> payload;
            link_.receive(type, payload);
            if (type == answer) return payload;
            other(type, payload);
            if (type == Msg::Signal) pass_signal(remote_, int(decode_u32(payload)));
        }
    }

    void other(Msg type, const std::vector<uint8_t>&) {
        if (type == Msg::ComeHome) come_home_ = true;
        else if (type != Msg::Signal)
            throw omx::WireError(fmt::format("unexpected {} from the home node", to_string(type)));
    }

    Link& link_;
    pid_t remote_;
    std::function<void()> tick_;
    bool gone_ = false, come_home_ = false, asked_ = false, refused_home_ = false, forks_here_ = true;
};

void become(const MigrationRequest& req) {
    std::vector<gid_t> groups(req.groups.begin(), req.groups.end());
    if (::setgroups(groups.size(), groups.data()) != 0 || ::setgid(req.gid) != 0 || ::setuid(req.uid) != 0)
        throw std::runtime_error(fmt::format("cannot run as uid {} gid {}: {}", req.uid, req.gid, std::strerror(errno)));
}

// Sends the process home. True when home took it (it is gone from here).
bool send_home(Link& link, pid_t remote) {
    Tracee t = Tracee::seize(remote);
    link.send(Msg::ComeHome);   // the image follows: home stops reading messages here
    ImageWriter out(link.fd());
    CheckpointStats st = checkpoint(t, out);
    Msg type;
    std::vector<uint8_t> payload;
    for (;;) {
        link.receive(type, payload);
        if (type == Msg::Signal) continue;   // it is home now; the husk received it there too
        break;
    }
    if (type == Msg::HomeOk) {
        t.kill();
        return true;
    }
    std::cerr << "omx-remote: the home node could not take the process back: "
              << (type == Msg::HomeFailed ? decode_text(payload) : to_string(type)) << "; it runs on here\n";
    t.detach_with(st.resume_regs);
    return false;
}

}  // namespace

void request_guest_home() { g_want_home = true; }

int serve_guest(Link& link, const ClusterKey& key, const GuestOptions& opt) {
    link.handshake_as_remote(key, opt.handshake_timeout_ms);
    MigrationRequest req = decode_request(link.expect(Msg::Request, opt.handshake_timeout_ms));
    if (!opt.refuse.empty() && req.fork_token.empty()) {   // a child born here is not a newcomer
        link.send(Msg::Refuse, encode_text(opt.refuse));
        return 0;
    }
    pid_t remote = -1;
    omx::UniqueFd listener;
    bool ro_direct_files = false;   // the filter was made for DFSA
    try {
        sweep_stale_fork_images();
        if (opt.drop_privileges && ::geteuid() == 0) become(req);
        RestoreOptions ro;
        ro.install_filter = true;
        ro.comm = req.comm;
        ro.direct_files = ro_direct_files = bool(dfsa_config(req.home_mfs));
        omx::UniqueFd child_image;
        if (!req.fork_token.empty()) {
            // A child born here: its image is already on this node, written by its parent's
            // remote part as the same user.
            if (!valid_token(req.fork_token)) throw omx::WireError("malformed fork token");
            std::string path = fork_image_path(req.fork_token);
            child_image.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
            if (!child_image) throw std::runtime_error(fmt::format("no image for forked child {}", req.pid));
            ::unlink(path.c_str());
            ro.fork_child = pid_t(req.pid);
        }
        link.send(Msg::Accept);
        ImageReader in(child_image ? child_image.get() : link.fd());
        RestoreStats st;
        remote = restore(in, opt.restorer_path, &st, ro);
        listener.reset(st.listener_fd);
    } catch (const LinkClosed&) {
        throw;
    } catch (const std::exception& e) {
        link.send(Msg::Failed, encode_text(e.what()));
        throw;
    }
    link.send(Msg::Arrived, encode_u32(uint32_t(remote)));
    if (opt.report) opt.report("arrived", req, remote);
    LinkHome home(link, remote, opt.tick);
    std::optional<Dfsa> dfsa;
    if (auto cfg = dfsa_config(req.home_mfs); cfg && ro_direct_files) dfsa.emplace(*cfg, remote);
    for (;;) {
        Supervised end = supervise(remote, listener.get(), home, nullptr, dfsa ? &*dfsa : nullptr);
        if (end.outcome == Outcome::Exited) {
            link.send(Msg::Exit, encode_u32(uint32_t(end.status)));
            if (opt.report) opt.report("ended", req, remote);
            return 0;
        }
        if (end.outcome == Outcome::HomeGone) {
            std::cerr << fmt::format("omx-remote: home node {} of process {} is gone; process killed\n", req.home, req.pid);
            if (opt.report) opt.report("killed", req, remote);
            return 1;
        }
        if (end.outcome == Outcome::NeedsHome) {
            // Ask for the trip and wait for home's go-ahead; signals still pass meanwhile.
            std::cerr << fmt::format("omx-remote: process {} of node {} goes home for {}\n", req.pid, req.home, end.call);
            link.send(Msg::WantHome, encode_text(end.call));
            for (;;) {
                Msg type;
                std::vector<uint8_t> payload;
                link.receive(type, payload);
                if (type == Msg::ComeHome) break;
                if (type == Msg::Signal) pass_signal(remote, int(decode_u32(payload)));
                else throw omx::WireError(fmt::format("unexpected {} from the home node", to_string(type)));
            }
        }
        if (send_home(link, remote)) {
            ::waitpid(remote, nullptr, 0);
            if (opt.report) opt.report("left", req, remote);
            return 0;
        }
        home.home_refused();   // it stays: calls that need home fail (ENOSYS) from now on
    }
}

}  // namespace omx::mig
