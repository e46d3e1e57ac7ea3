#include "guest.h"

#include <fmt/format.h>
#include <grp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <iostream>

#include "checkpoint.h"
#include "remote_part.h"
#include "restore.h"

namespace omx::mig {

namespace {

std::atomic<bool> g_want_home{false};

// The home side, over the link: calls travel as Call/Result, signals and requests to come
// home arrive between them.
class LinkHome : public Home {
public:
    LinkHome(Link& link, pid_t remote) : link_(link), remote_(remote) {}

    ForwardedResult execute(const SyscallInfo&, const ForwardedCall& call) override {
        try {
            link_.send(Msg::Call, encode_call(call));
            for (;;) {
                Msg type;
                std::vector<uint8_t> payload;
                link_.receive(type, payload);
                if (type == Msg::Result) return decode_result(payload);
                other(type, payload);
                if (type == Msg::Signal) ::kill(remote_, int(decode_u32(payload)));
            }
        } catch (const LinkClosed&) {
            gone_ = true;
            ForwardedResult r;
            r.ret = -EIO;   // the process is killed at the next look home
            return r;
        }
    }

    bool can_bring_home() const override { return !refused_home_; }
    void home_refused() { refused_home_ = true; }

    News news() override {
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

private:
    void other(Msg type, const std::vector<uint8_t>&) {
        if (type == Msg::ComeHome) come_home_ = true;
        else if (type != Msg::Signal)
            throw omx::WireError(fmt::format("unexpected {} from the home node", to_string(type)));
    }

    Link& link_;
    pid_t remote_;
    bool gone_ = false, come_home_ = false, asked_ = false, refused_home_ = false;
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
    if (!opt.refuse.empty()) {
        link.send(Msg::Refuse, encode_text(opt.refuse));
        return 0;
    }
    pid_t remote = -1;
    omx::UniqueFd listener;
    try {
        if (opt.drop_privileges && ::geteuid() == 0) become(req);
        link.send(Msg::Accept);
        ImageReader in(link.fd());
        RestoreStats st;
        RestoreOptions ro;
        ro.install_filter = true;
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
    LinkHome home(link, remote);
    for (;;) {
        Supervised end = supervise(remote, listener.get(), home);
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
            link.send(Msg::WantHome, encode_text(end.call));
            for (;;) {
                Msg type;
                std::vector<uint8_t> payload;
                link.receive(type, payload);
                if (type == Msg::ComeHome) break;
                if (type == Msg::Signal) ::kill(remote, int(decode_u32(payload)));
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
