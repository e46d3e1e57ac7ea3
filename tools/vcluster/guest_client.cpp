#include "guest_client.h"

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "common/cluster_key.h"
#include "guest_link.h"
#include "namespaces.h"
#include "plan.h"

extern char** environ;

namespace vcluster::guest {

using json = nlohmann::json;

GuestClient::GuestClient(const ClusterState& state, int node) : state_(state), node_(node) {}

omx::UniqueFd GuestClient::open(const json& request, int timeout_ms) const {
    auto key = omx::ClusterKey::load(state_dir() + "/cluster.key");
    auto sock = connect_in_netns(state_.switch_holder, node_address(node_), kGuestPort, timeout_ms);
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    ::setsockopt(sock.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string greeting = read_line(sock.get(), 256);
    const std::string prefix = "vcluster-guestd 1 ";
    if (greeting.rfind(prefix, 0) != 0)
        throw std::runtime_error(fmt::format("node {}: not a vcluster-guestd: {}", node_, greeting));
    write_all(sock.get(), proof(key, greeting.substr(prefix.size())) + "\n" + request.dump() + "\n");
    return sock;
}

bool GuestClient::answers(int timeout_ms) const {
    try {
        return call({{"op", "pids"}, {"comms", json::array()}}, timeout_ms).value("ok", false);
    } catch (const std::exception&) {
        return false;
    }
}

json GuestClient::call(const json& request, int timeout_ms) const {
    auto sock = open(request, timeout_ms);
    try {
        return json::parse(read_line(sock.get()));
    } catch (const std::exception& e) {
        throw std::runtime_error(fmt::format("node {}: no answer to {}: {}", node_, request.value("op", "?"), e.what()));
    }
}

json environment_with_path(const std::string& path_prefix) {
    json env = json::object();
    for (char** e = environ; *e; ++e) {
        std::string kv = *e;
        auto eq = kv.find('=');
        if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    std::string path = env.value("PATH", std::string("/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"));
    if (!path_prefix.empty()) env["PATH"] = path_prefix + ":" + path;
    return env;
}

namespace {

// Copies our stdin to the node and its output to ours until the exit frame.
int shuttle(int sock, int node) {
    FrameReader frames;
    bool input_open = true;
    char buf[65536];
    for (;;) {
        pollfd fds[2] = {{sock, POLLIN, 0}, {input_open ? 0 : -1, POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error(fmt::format("poll: {}", std::strerror(errno)));
        }
        if (fds[1].revents) {
            ssize_t n = ::read(0, buf, sizeof buf);
            if (n <= 0) input_open = false;
            write_all(sock, encode_frame(FrameType::Stdin, n > 0 ? std::string_view(buf, size_t(n)) : ""));
        }
        if (!fds[0].revents) continue;
        ssize_t n = ::read(sock, buf, sizeof buf);
        if (n <= 0)
            throw std::runtime_error(fmt::format("node {} closed the connection before the command ended "
                                                 "(did the node go down?)", node));
        frames.append({buf, size_t(n)});
        while (auto f = frames.next()) {
            if (f->type == FrameType::Exit) return decode_exit(*f);
            write_all(f->type == FrameType::Stderr ? 2 : 1, f->data);
        }
    }
}

}  // namespace

int GuestClient::exec(const std::vector<std::string>& argv) const {
    std::error_code ec;
    json req = {{"op", "exec"},
                {"argv", argv},
                {"env", environment_with_path(state_.bin_dir)},
                {"cwd", std::filesystem::current_path(ec).string()}};
    auto sock = open(req, 5000);
    timeval none{0, 0};
    ::setsockopt(sock.get(), SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
    auto reply = json::parse(read_line(sock.get()));   // {"ok":true} before the frames, or why not
    if (!reply.value("ok", false))
        throw std::runtime_error(fmt::format("node {}: {}", node_, reply.value("error", reply.dump())));
    return shuttle(sock.get(), node_);
}

}  // namespace vcluster::guest
