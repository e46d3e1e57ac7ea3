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

#include "guest.h"
#include "restore.h"

using namespace omx::mig;

static void write_event(int fd, const nlohmann::json& j) {
    if (fd < 0) return;
    std::string line = j.dump() + "\n";
    if (::write(fd, line.data(), line.size()) < 0) {}   // omxd gone: the process runs on regardless
}

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
    CLI11_PARSE(app, argc, argv);
    if (opt.restorer_path.empty()) opt.restorer_path = default_restorer_path();
    struct sigaction sa {};
    sa.sa_handler = [](int) { request_guest_home(); };
    ::sigaction(SIGTERM, &sa, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
    opt.report = [&](const std::string& event, const MigrationRequest& who, pid_t local) {
        write_event(events_fd, {{"event", event}, {"home", who.home}, {"home_pid", who.pid}, {"pid", local},
                                {"uid", who.uid}, {"comm", who.comm}});
    };
    // Not for the process: the restorer stub is exec'd from here.
    ::fcntl(sock_fd, F_SETFD, FD_CLOEXEC);
    if (events_fd >= 0) ::fcntl(events_fd, F_SETFD, FD_CLOEXEC);
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
