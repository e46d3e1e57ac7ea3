#include "deputy_session.h"

#include "dfsa.h"
#include "state_file.h"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <system_error>

#include "checkpoint.h"
#include "common/proc.h"
#include "file_identity.h"
#include "restore.h"

namespace omx::mig {

namespace {

using Clock = std::chrono::steady_clock;

// After a call the next one of a busy process follows within this: waiting for it awake
// saves a sleep and a wake-up, and costs an idle process nothing.
constexpr int kNextCallSpinUs = 50;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// Who the process is, for the remote part to run it as.
MigrationRequest describe(pid_t pid, uint16_t home) {
    MigrationRequest q;
    q.pid = uint32_t(pid);
    q.home = home;
    std::ifstream in(fmt::format("/proc/{}/status", pid));
    if (!in) throw std::runtime_error(fmt::format("no process {}", pid));
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream f(line);
        std::string key;
        f >> key;
        uint32_t real, eff;
        if (key == "Name:") f >> q.comm;
        else if (key == "Uid:" && f >> real >> eff) q.uid = eff;
        else if (key == "Gid:" && f >> real >> eff) q.gid = eff;
        else if (key == "Groups:")
            for (uint32_t g; f >> g;) q.groups.push_back(g);
    }
    // DFSA gives direct files numbers of their own: not while the process holds one of
    // those numbers here (a file it has open at home, or a direct file from an earlier
    // trip, reopened here); its calls on them must come home.
    bool numbers_free = true;
    for (int fd = kDfsaFirstFd; fd < kDfsaEndFd && numbers_free; ++fd)
        numbers_free = !std::filesystem::is_symlink(fmt::format("/proc/{}/fd/{}", pid, fd));
    if (auto mfs = omx::mfs::read_state(); mfs && mfs->dfsa && numbers_free) q.home_mfs = mfs->mount;
    return q;
}

}  // namespace

DeputySession::DeputySession(pid_t pid, const ClusterKey& key, uint16_t home_id, int dead_after_ms)
    : pid_(pid), key_(key), home_id_(home_id), dead_after_ms_(dead_after_ms) {}

DeputySession::~DeputySession() {
    deputy_.reset();
    link_.reset();
    husk_.reset();   // a husk still away dies with us (PTRACE_O_EXITKILL); at home it is detached
}

void DeputySession::open_link(const Target& t, const MigrationRequest& req) {
    link_.emplace(connect_tcp(t.ipv4, t.port, 3000, dead_after_ms_));
    try {
        link_->handshake_as_home(key_, home_id_, 5000);
        link_->send(Msg::Request, encode_request(req));
        link_->expect(Msg::Accept, 5000);   // a refusal throws with the target's reason
    } catch (...) {
        link_.reset();
        throw;
    }
}

MigrationFigures DeputySession::migrate_out(const Target& t) {
    MigrationFigures fig;
    auto t0 = Clock::now();
    MigrationRequest req = describe(pid_, home_id_);
    if (auto why = cantmove_reason(pid_); !why.empty())
        throw CantMove(why, fmt::format("process {} cannot move ({})", pid_, why));
    open_link(t, req);
    auto frozen_at = Clock::now();
    husk_.emplace(Tracee::seize(pid_));
    std::optional<arch::Regs> resume;
    try {
        ImageWriter out(link_->fd());
        CheckpointStats cst = checkpoint(*husk_, out);
        resume = cst.resume_regs;
        fig.image_bytes = cst.image_bytes;
        link_->expect(Msg::Arrived, -1);   // a dead target is noticed by the keepalive
    } catch (...) {
        link_.reset();
        if (resume) husk_->detach_with(*resume);   // it runs on at home, untouched
        husk_.reset();
        throw;
    }
    fig.frozen_ms = ms_since(frozen_at);
    fig.total_ms = ms_since(t0);
    husk_->kill_on_our_exit();
    deputy_.emplace(*husk_);
    deputy_->release_body();
    away_ = true;
    node_ = t.id;
    return fig;
}

MigrationFigures DeputySession::adopt(const Target& t, const std::string& token) {
    MigrationFigures fig;
    auto t0 = Clock::now();
    husk_.emplace(Tracee::seize(pid_));
    husk_->kill_on_our_exit();
    try {
        husk_->set_signal_mask(0);   // parked with every signal blocked; now they are forwarded
        MigrationRequest req = describe(pid_, home_id_);
        req.fork_token = token;
        open_link(t, req);
        link_->expect(Msg::Arrived, 30000);
        deputy_.emplace(*husk_);
        deputy_->release_body();
    } catch (...) {
        link_.reset();
        deputy_.reset();
        husk_->kill();
        husk_.reset();
        throw;
    }
    fig.frozen_ms = fig.total_ms = ms_since(t0);
    away_ = true;
    node_ = t.id;
    return fig;
}

namespace {

// The child husk must wait, harmless, until its own deputy seizes it: every signal
// blocked, sleeping in pause() (it has no memory to run anything else).
void park_new_husk(pid_t child, uint64_t syscall_site) {
    Tracee c = Tracee::adopt_forked(child);
    c.set_signal_mask(~0ULL);
    arch::Regs r = c.registers();
    arch::set_ip(r, syscall_site);
    arch::set_call(r, SYS_pause, std::array<uint64_t, 6>{});
    c.detach_with(r);
}

}  // namespace

void DeputySession::serve_fork(const std::vector<uint8_t>& payload) {
    ForkRequest f = decode_fork(payload);
    int64_t ret = -ENOSYS;   // the remote part then sends the process home to fork there
    if (fork_helper_.available && fork_helper_.available()) {
        pid_t child = -1;
        try {
            child = husk_->inject_fork(int(f.exit_signal));
            park_new_husk(child, husk_->syscall_site());
            if (!fork_helper_.start(child, f.token)) throw std::runtime_error("omxd is gone: no deputy for the child");
            parked_.emplace_back(child, Clock::now());
            ret = child;
        } catch (const std::exception& e) {
            std::cerr << fmt::format("omx-deputy: process {} cannot fork on node {}: {}\n", pid_, node_, e.what());
            if (child > 0) {   // it never was, for the process: gone, and reaped here
                ::kill(child, SIGKILL);
                husk_->inject(SYS_wait4, uint64_t(child), 0, __WALL, 0);
            }
            auto* se = dynamic_cast<const std::system_error*>(&e);
            ret = se ? -se->code().value() : -EAGAIN;
        }
    }
    link_->send(Msg::ForkResult, encode_i64(ret));
}

void DeputySession::check_parked() {
    constexpr auto kAdoptWithin = std::chrono::seconds(30);
    for (auto it = parked_.begin(); it != parked_.end();) {
        long tracer = omx::status_number(omx::proc_status(it->first), "TracerPid:");
        if (tracer != 0) {   // its deputy has it (or it is gone)
            it = parked_.erase(it);
        } else if (Clock::now() - it->second > kAdoptWithin) {
            std::cerr << fmt::format("omx-deputy: nobody adopted child {} of process {}; killed\n", it->first, pid_);
            ::kill(it->first, SIGKILL);
            it = parked_.erase(it);
        } else {
            ++it;
        }
    }
}

void DeputySession::serve_exec_check(const std::vector<uint8_t>& payload) {
    std::string why;
    for (const auto& there : decode_identities(payload)) {
        auto here = identify_file(fmt::format("/proc/{}/root{}", pid_, there.path), there.path);
        if (!here) why = fmt::format("{} is missing at home", there.path);
        else if (!(*here == there)) why = fmt::format("{} differs between home and node {}", there.path, node_);
        if (!why.empty()) break;
    }
    link_->send(Msg::ExecResult, encode_text(why));
}

void DeputySession::note_exec(const std::vector<uint8_t>& payload) {
    ExecedNote e = decode_execed(payload);
    deputy_->after_exec(e.path.substr(e.path.rfind('/') + 1));
    if (on_exec_) on_exec_(e.command);
}

void DeputySession::serve_map_file(const std::vector<uint8_t>& payload) {
    int fd = int(decode_u32(payload));
    std::string fd_path = fmt::format("/proc/{}/fd/{}", pid_, fd);
    std::vector<FileIdentity> ids;
    std::error_code ec;
    std::string target = std::filesystem::read_symlink(fd_path, ec).string();
    if (!ec && !target.empty() && target[0] == '/' && !target.ends_with(" (deleted)"))
        if (auto id = identify_file(fd_path, target)) ids.push_back(*id);
    link_->send(Msg::MapFileResult, encode_identities(ids));
}

bool DeputySession::serve_request(Msg type, const std::vector<uint8_t>& payload) {
    switch (type) {
        case Msg::Call: serve_call(payload); return true;
        case Msg::Fork: serve_fork(payload); return true;
        case Msg::Exec: serve_exec_check(payload); return true;
        case Msg::Execed: note_exec(payload); return true;
        case Msg::MapFile: serve_map_file(payload); return true;
        case Msg::Stopped:
            // At home the kernel drops a stop for an orphaned process group: the process,
            // stopped where it runs, goes on as it would have here.
            if (!deputy_->stop_husk(int(decode_u32(payload)))) link_->send(Msg::Signal, encode_u32(SIGCONT));
            return true;
        default: return false;
    }
}

void DeputySession::serve_call(const std::vector<uint8_t>& payload) {
    ForwardedCall call = decode_call(payload);
    ForwardedResult res;
    auto row = find_syscall(call.nr);
    if (!row || row->cls != SyscallClass::Forwarded) {
        res.ret = -ENOSYS;
    } else {
        try {
            res = deputy_->execute(*row, call);
        } catch (const std::system_error& e) {
            res.ret = -e.code().value();
        } catch (const std::invalid_argument&) {
            res.ret = -ENOSYS;
        }
    }
    ++forwarded_;
    if (is_restart_code(res.ret))
        // A signal for the process interrupted the call at home: it goes first, so the
        // process's own call is interrupted the same way where it runs.
        for (int sig : deputy_->pending_signals()) link_->send(Msg::Signal, encode_u32(uint32_t(sig)));
    link_->send(Msg::Result, encode_result(res));
}

// Nothing of the process is ours any more: no husk, no link (its closing tells the remote
// part, which kills a process still running there).
void DeputySession::forget_process() {
    deputy_.reset();
    husk_.reset();
    link_.reset();
    away_ = false;
}

void DeputySession::end_husk(int status) {
    end_status_ = status;
    deputy_->finish(status);
    forget_process();
}

void DeputySession::lose_husk() {
    // openMosix semantics: the node the process ran on is gone, so is the process.
    std::cerr << fmt::format("omx-deputy: node {} running process {} is lost; the process is killed\n", node_, pid_);
    end_status_ = W_EXITCODE(0, SIGKILL);
    if (husk_) ::kill(pid_, SIGKILL);
    forget_process();
}

DeputySession::Ended DeputySession::serve(const std::function<int()>& command_fd_now, const std::function<bool()>& command,
                                          const std::function<void()>& tick) {
    auto next_check = Clock::now();
    bool busy = false;   // just served a call: a busy process sends its next one soon
    for (;;) {
        int command_fd = command_fd_now();
        pollfd p[2] = {{link_->fd(), POLLIN, 0}, {command_fd, POLLIN, 0}};
        int n;
        if (busy && link_->spin_until_readable(kNextCallSpinUs)) {
            p[0].revents = POLLIN;
            n = 1;
        } else {
            n = ::poll(p, command_fd >= 0 ? 2 : 1, 20);
        }
        busy = false;
        bool want_home = false;
        try {
            if (n > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
                Msg type;
                std::vector<uint8_t> payload;
                link_->receive(type, payload);   // readable: poll said so
                if (type == Msg::WantHome) {
                    want_home = true;
                } else if (type == Msg::Exit) {
                    end_husk(int(decode_u32(payload)));
                    return Ended::Exited;
                } else if (serve_request(type, payload)) {
                    busy = type == Msg::Call;
                } else {
                    throw omx::WireError(fmt::format("unexpected {} from node {}", to_string(type), node_));
                }
            }
            if (n > 0 && command_fd >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
                if (command()) want_home = true;   // a closed channel: command() lets it go
            if (n == 0 || Clock::now() >= next_check) {
                next_check = Clock::now() + std::chrono::milliseconds(20);
                if (tick) tick();
                if (!parked_.empty()) check_parked();
                if (!deputy_->husk_alive()) {
                    forget_process();
                    return Ended::HuskGone;
                }
                for (int sig : deputy_->pending_signals()) link_->send(Msg::Signal, encode_u32(uint32_t(sig)));
            }
        } catch (const LinkClosed&) {
            lose_husk();
            return Ended::NodeLost;
        } catch (const std::runtime_error& e) {
            if (deputy_ && !deputy_->husk_alive()) {   // killed at home in the middle of a call
                forget_process();
                return Ended::HuskGone;
            }
            throw;
        }
        if (want_home) {
            std::string why;
            if (come_home(why)) return Ended::CameHome;
            if (!away_) return Ended::Exited;   // it ended on the way
            std::cerr << fmt::format("omx-deputy: process {} could not come home: {}\n", pid_, why);
        }
    }
}

bool DeputySession::come_home(std::string& why, MigrationFigures* figures) {
    auto t0 = Clock::now();
    try {
        link_->send(Msg::ComeHome);
        for (;;) {   // calls sent before our request are still answered
            Msg type;
            std::vector<uint8_t> payload;
            link_->receive(type, payload);
            if (type == Msg::ComeHome) break;
            if (type == Msg::Exit) {
                end_husk(int(decode_u32(payload)));
                why = "the process ended";
                return false;
            }
            serve_request(type, payload);   // a call sent before our request
        }
        ImageReader in(link_->fd());
        try {
            deputy_.reset();   // its scratch page goes with the old address space
            RestoreStats st;
            restore_into(*husk_, in, &st);
        } catch (const LinkClosed&) {
            throw;
        } catch (const std::exception& e) {
            why = e.what();
            Frame f;   // the rest of the image, so the link stays in step
            std::vector<uint8_t> rest;
            while (in.next(f, rest)) {}
            link_->send(Msg::HomeFailed, encode_text(why));
            deputy_.emplace(*husk_);
            deputy_->release_body();
            return false;
        }
        link_->send(Msg::HomeOk);
    } catch (const std::exception& e) {
        // The link broke (or the image did) half-way: the process is neither here nor there.
        lose_husk();
        why = fmt::format("the node was lost while the process came home ({})", e.what());
        return false;
    }
    husk_.reset();   // restore_into let it run: it is home
    link_.reset();
    away_ = false;
    node_ = 0;
    if (figures) figures->frozen_ms = figures->total_ms = ms_since(t0);
    return true;
}

}  // namespace omx::mig
