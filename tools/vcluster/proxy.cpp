#include "proxy.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "namespaces.h"
#include "plan.h"

namespace vcluster {

std::string proxy_target_address(const std::string& text, int nodes) {
    if (text.find('.') == std::string::npos) return node_address(parse_node_id(text, nodes));
    in_addr parsed{};
    const std::string prefix = kSubnetPrefix;
    bool ours = ::inet_pton(AF_INET, text.c_str(), &parsed) == 1 && text.rfind(prefix, 0) == 0;
    std::string host = ours ? text.substr(prefix.size()) : "";
    int id = 0;
    try {
        if (ours) id = parse_node_id(host, nodes);
    } catch (const std::invalid_argument&) {
        id = 0;
    }
    if (id == 0)
        throw std::invalid_argument(fmt::format("'{}' is not a node of this cluster: give 1..{}, node1..node{} or {}1..{}{}",
                                                text, nodes, nodes, prefix, prefix, nodes));
    return node_address(id);
}

namespace {

constexpr size_t kChunk = 64 * 1024;

// One direction of the relay: bytes read from `from` wait in `buf` until `to` took them.
struct Direction {
    int from;
    int to;
    std::vector<char> buf = std::vector<char>(kChunk);
    size_t start = 0, end = 0;
    bool eof = false;    // `from` ended
    bool done = false;   // ended and flushed, the end passed on to `to`
    bool pending() const { return start < end; }
};

// poll() said ready, so neither call blocks: sockets get MSG_DONTWAIT, and pipes and
// terminals are written at most PIPE_BUF at a time (what POLLOUT promises room for).
// Their O_NONBLOCK flag stays untouched: stdin and stdout are shared with whoever started us.
ssize_t read_some(int fd, char* p, size_t n) {
    ssize_t r = ::recv(fd, p, n, MSG_DONTWAIT);
    if (r < 0 && errno == ENOTSOCK) r = ::read(fd, p, n);
    return r;
}

ssize_t write_some(int fd, const char* p, size_t n) {
    ssize_t r = ::send(fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (r < 0 && errno == ENOTSOCK) r = ::write(fd, p, std::min(n, size_t(PIPE_BUF)));
    return r;
}

// A socket is half-closed so the peer still sends its answer; a pipe is closed, as that is
// the only end of input its reader can see.
void pass_on_end(int fd) {
    if (::shutdown(fd, SHUT_WR) != 0 && errno == ENOTSOCK) ::close(fd);
}

bool retry(int err) { return err == EINTR || err == EAGAIN || err == EWOULDBLOCK; }

void fill(Direction& d) {
    ssize_t n = read_some(d.from, d.buf.data(), d.buf.size());
    if (n < 0 && retry(errno)) return;
    if (n < 0) throw std::runtime_error(fmt::format("read: {}", std::strerror(errno)));
    if (n == 0) d.eof = true;
    d.start = 0;
    d.end = size_t(n);
}

void flush(Direction& d) {
    ssize_t n = write_some(d.to, d.buf.data() + d.start, d.end - d.start);
    if (n < 0 && retry(errno)) return;
    if (n < 0) throw std::runtime_error(fmt::format("write: {}", std::strerror(errno)));
    d.start += size_t(n);
}

}  // namespace

void relay(int in_fd, int out_fd, int sock) {
    Direction up{in_fd, sock}, down{sock, out_fd};
    Direction* dirs[] = {&up, &down};
    while (!up.done || !down.done) {
        std::vector<pollfd> fds;
        std::vector<Direction*> owner;
        for (auto* d : dirs) {
            if (d->done) continue;
            if (d->pending()) fds.push_back({d->to, POLLOUT, 0});
            else fds.push_back({d->from, POLLIN, 0});
            owner.push_back(d);
        }
        if (::poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error(fmt::format("poll: {}", std::strerror(errno)));
        }
        for (size_t i = 0; i < fds.size(); ++i) {
            Direction& d = *owner[i];
            if (!fds[i].revents) continue;
            if (d.pending()) flush(d);
            else fill(d);
            if (d.eof && !d.pending()) {
                pass_on_end(d.to);
                d.done = true;
            }
        }
    }
}

int run_proxy(const ClusterState& state, const std::string& target, int port, int timeout_ms) {
    if (port < 1 || port > 65535) throw std::invalid_argument(fmt::format("bad port {}: give 1..65535", port));
    std::string address = proxy_target_address(target, state.size);
    auto sock = connect_in_netns(state.switch_holder, address, port, timeout_ms);
    // A reader that went away is then an EPIPE from write, reported, not a silent death.
    ::signal(SIGPIPE, SIG_IGN);
    try {
        relay(STDIN_FILENO, STDOUT_FILENO, sock.get());
    } catch (const std::exception& e) {
        throw std::runtime_error(fmt::format("proxy to {}:{}: {}", address, port, e.what()));
    }
    return 0;
}

}  // namespace vcluster
