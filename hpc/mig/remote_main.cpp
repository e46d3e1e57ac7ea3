// omx-remote: the remote part of one migrated process. omxd starts one for every
// incoming migration connection (port 4660) and hands it the connection.
//   omx-remote --socket-fd N --key FILE [--events-fd M] [--refuse REASON]
// SIGTERM asks the process's home to take it back (mosctl expel).
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <iostream>

#include "common/control.h"
#include "guest.h"
#include "restore.h"

using namespace omx::mig;

namespace {

// omxd's events channel; after an omxd restart the new omxd learns of the guest from us
// (for `processes`, mps, expel).
class Reporter {
public:
    Reporter(int fd, std::string omxd_socket) : channel_(fd, std::move(omxd_socket)) {}

    void event(const nlohmann::json& j) {
        if (j.value("event", "") == "arrived") {
            who_ = j;
            who_["cmd"] = "guest";
        }
        channel_.send(j);   // omxd gone: the process runs on regardless
    }

    void find_omxd() {
        if (!who_.is_null()) channel_.reopen(who_);
    }

private:
    omx::control::Channel channel_;
    nlohmann::json who_;
};

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"omx-remote: the remote part of one migrated process (started by omxd)", "omx-remote"};
    int sock_fd = -1, events_fd = -1;
    std::string key_file = "/etc/openmosix/cluster.key";
    GuestOptions opt;
    app.add_option("--socket-fd", sock_fd, "the accepted migration connection")->required();
    app.add_option("--events-fd", events_fd, "where to report arrivals and departures (JSON lines)");
    app.add_option("--key", key_file, "cluster key file")->capture_default_str();
    app.add_option("--refuse", opt.refuse, "refuse the process with this reason (the node is blocked)");
    app.add_option("--restorer", opt.restorer_path, "restorer stub (default: next to this program)");
    std::string omxd_socket;
    app.add_option("--omxd-socket", omxd_socket, "omxd's control socket, to report back after its restart");
    CLI11_PARSE(app, argc, argv);
    if (opt.restorer_path.empty()) opt.restorer_path = default_restorer_path();
    struct sigaction sa {};
    sa.sa_handler = [](int) { request_guest_home(); };
    ::sigaction(SIGTERM, &sa, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
    if (events_fd >= 0) ::fcntl(events_fd, F_SETFD, FD_CLOEXEC);   // not for the process
    Reporter reporter(events_fd, omxd_socket);
    opt.report = [&](const std::string& event, const MigrationRequest& who, pid_t local) {
        reporter.event({{"event", event}, {"home", who.home}, {"home_pid", who.pid}, {"pid", local},
                        {"uid", who.uid}, {"comm", who.comm}});
    };
    opt.tick = [&] { reporter.find_omxd(); };
    // Not for the process: the restorer stub is exec'd from here.
    ::fcntl(sock_fd, F_SETFD, FD_CLOEXEC);
    try {
        auto key = omx::ClusterKey::load(key_file);
        Link link{omx::UniqueFd(sock_fd)};
        set_liveness(link.fd(), 5000);
        return serve_guest(link, key, opt);
    } catch (const std::exception& e) {
        std::cerr << "omx-remote: " << e.what() << "\n";
        return 1;
    }
}
