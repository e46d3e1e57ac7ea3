// omx-deputy: the deputy of one migrated process on its home node. omxd starts it for
// `migrate PID NODE`; it sends the process, serves its calls while away, brings it home.
//   omx-deputy --pid P --to ID --address IP [--port 4660] --home-id H --key FILE [--control-fd N]
//              [--fork-token T]   (P is the child of a process that forked on node ID)
// Reports (JSON lines) and takes commands ({"cmd":"home"}, {"cmd":"goto",...}) on the
// control fd, or reports on stdout without one. Ends when the process is home or ended.
#include <CLI/CLI.hpp>
#include <arpa/inet.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <iostream>
#include <optional>
#include <utility>

#include "checkpoint.h"
#include "common/control.h"
#include "common/net.h"
#include "common/proc.h"
#include "deputy_session.h"

using namespace omx::mig;
using json = nlohmann::json;

namespace {

class Control {
public:
    Control(int fd, std::string omxd_socket) : channel_(fd, std::move(omxd_socket)), standalone_(fd < 0) {}
    int fd() const { return channel_.fd(); }

    // False when omxd did not get it (it went away: the process is served on, and reports
    // wait for the next omxd).
    bool report(const json& j) {
        if (!standalone_) return channel_.send(j);
        std::string line = j.dump() + "\n";
        return ::write(1, line.data(), line.size()) == ssize_t(line.size());
    }

    // The next complete command line, if one is waiting (call when the fd is readable).
    std::optional<json> command() {
        char buf[4096];
        ssize_t n = fd() >= 0 ? ::read(fd(), buf, sizeof buf) : -1;
        if (n <= 0) {
            channel_.close();
            pending_.clear();
            return std::nullopt;
        }
        pending_.append(buf, size_t(n));
        auto nl = pending_.find('\n');
        if (nl == std::string::npos) return std::nullopt;
        std::string line = pending_.substr(0, nl);
        pending_.erase(0, nl + 1);
        try {
            return json::parse(line);
        } catch (const json::exception&) {
            return std::nullopt;
        }
    }

    // After an omxd restart: reports back with `who`, so that where/migrate/bring know
    // this process again.
    void find_omxd(const json& who) {
        if (standalone_ || fd() >= 0) return;
        pending_.clear();
        channel_.reopen(who);
    }

private:
    omx::control::Channel channel_;
    bool standalone_;   // started by hand: reports go to stdout
    std::string pending_;
};

Target parse_target(uint16_t id, const std::string& address, uint16_t port) {
    Target t;
    t.id = id;
    t.port = port;
    if (::inet_pton(AF_INET, address.c_str(), &t.ipv4) != 1) throw std::runtime_error("bad address " + address);
    return t;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"omx-deputy: the deputy of one migrated process (started by omxd)", "omx-deputy"};
    pid_t pid = 0;
    int to = 0, home_id = 0, control_fd = -1, dead_after_ms = 5000;
    uint16_t port = 4660;
    std::string address, key_file = "/etc/openmosix/cluster.key";
    app.add_option("--pid", pid, "the process")->required();
    app.add_option("--to", to, "target node id")->required();
    app.add_option("--address", address, "target node address")->required();
    app.add_option("--port", port, "target migration port")->capture_default_str();
    app.add_option("--home-id", home_id, "this node's id")->required();
    app.add_option("--key", key_file, "cluster key file")->capture_default_str();
    app.add_option("--control-fd", control_fd, "omxd's channel: reports out, commands in");
    std::string omxd_socket;
    app.add_option("--omxd-socket", omxd_socket, "omxd's control socket, to report back after its restart");
    std::string fork_token;
    app.add_option("--fork-token", fork_token, "adopt the forked child the target holds under this token");
    app.add_option("--dead-after", dead_after_ms, "ms after which a silent target is lost")->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    ::signal(SIGPIPE, SIG_IGN);
    Control control(control_fd, omxd_socket);
    std::string command_now = omx::command_line(pid);
    uint32_t moves = 0;
    try {
        auto key = omx::ClusterKey::load(key_file);
        DeputySession session(pid, key, uint16_t(home_id), dead_after_ms);
        session.on_exec([&](const std::string& command) {
            command_now = command;
            control.report({{"event", "exec"}, {"pid", pid}, {"command", command}});
        });
        std::string here_address = address;   // where the process runs now
        uint16_t here_port = port;
        // A child forked away gets its own deputy, which omxd starts on our word.
        session.set_fork_helper({[&] { return control.fd() >= 0; },
                                 [&](pid_t child, const std::string& token) {
                                     return control.report({{"event", "forked"}, {"pid", pid}, {"child", child},
                                                     {"node", session.where()}, {"address", here_address},
                                                     {"port", here_port}, {"token", token}});
                                 }});
        std::optional<Target> next = parse_target(uint16_t(to), address, port);
        while (next) {
            Target target = *next;
            next.reset();
            here_address = omx::format_ipv4(target.ipv4);
            here_port = target.port;
            try {
                MigrationFigures f = fork_token.empty() ? session.migrate_out(target)
                                                        : session.adopt(target, std::exchange(fork_token, {}));
                ++moves;
                control.report({{"event", "arrived"}, {"pid", pid}, {"node", target.id}, {"frozen_ms", f.frozen_ms},
                                {"total_ms", f.total_ms}, {"bytes", f.image_bytes}});
            } catch (const CantMove& e) {
                control.report({{"event", "failed"}, {"pid", pid}, {"node", target.id}, {"cantmove", e.reason},
                                {"error", e.what()}});
                return 3;
            } catch (const std::exception& e) {
                control.report({{"event", "failed"}, {"pid", pid}, {"node", target.id}, {"error", e.what()}});
                return 1;
            }
            auto command = [&] {
                auto c = control.command();
                if (!c || !c->contains("cmd")) return false;
                std::string what = c->value("cmd", "");
                if (what == "goto") {
                    try {
                        next = parse_target(uint16_t(c->value("node", 0)), c->value("address", ""), uint16_t(c->value("port", 4660)));
                    } catch (const std::exception& e) {
                        control.report({{"event", "error"}, {"pid", pid}, {"error", e.what()}});
                        return false;
                    }
                }
                return what == "home" || what == "goto";
            };
            auto calls_reported = std::chrono::steady_clock::now();
            uint64_t calls_told = 0;
            auto report_back = [&] {
                // How many calls came home, for omxd (mosproc, and the DFSA tests).
                if (session.forwarded() != calls_told &&
                    std::chrono::steady_clock::now() - calls_reported > std::chrono::milliseconds(500)) {
                    calls_told = session.forwarded();
                    calls_reported = std::chrono::steady_clock::now();
                    control.report({{"event", "calls"}, {"pid", pid}, {"forwarded", calls_told}});
                }
                control.find_omxd({{"cmd", "deputy"}, {"pid", pid}, {"node", session.where()}, {"nmigs", moves},
                                   {"command", command_now}});
            };
            switch (session.serve([&] { return control.fd(); }, command, report_back)) {
                case DeputySession::Ended::Exited:
                    control.report({{"event", "ended"}, {"pid", pid}, {"status", session.end_status()}});
                    return 0;
                case DeputySession::Ended::NodeLost:
                    control.report({{"event", "lost"}, {"pid", pid}, {"node", target.id}});
                    return 0;
                case DeputySession::Ended::HuskGone:
                    control.report({{"event", "killed"}, {"pid", pid}});
                    return 0;
                case DeputySession::Ended::CameHome:
                    ++moves;
                    control.report({{"event", "home"}, {"pid", pid}, {"from", target.id}});
                    break;
            }
        }
        return 0;
    } catch (const std::exception& e) {
        control.report({{"event", "error"}, {"pid", pid}, {"error", e.what()}});
        std::cerr << "omx-deputy: " << e.what() << "\n";
        return 1;
    }
}
