#include "control.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "fd.h"

namespace omx::control {

std::string socket_path() {
    const char* env = std::getenv("OMX_CONTROL_SOCKET");
    return env && *env ? env : kDefaultSocket;
}

namespace {

UniqueFd connect_unix(const std::string& path) {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path.size() >= sizeof sa.sun_path) throw NotRunning("control socket path too long: " + path);
    std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
        throw NotRunning("omxd is not running (" + path + ": " + std::strerror(errno) + ")");
    return fd;
}

void send_all(int fd, const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
        ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw std::runtime_error(std::string("control socket write: ") + std::strerror(errno));
        off += size_t(n);
    }
}

std::string read_line(int fd, int timeout_ms) {
    std::string line;
    char buf[4096];
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        int r = ::poll(&p, 1, timeout_ms);
        if (r < 0 && errno == EINTR) continue;
        if (r == 0) throw std::runtime_error("omxd did not answer within " + std::to_string(timeout_ms) + " ms");
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw std::runtime_error("omxd closed the control connection");
        line.append(buf, size_t(n));
        if (auto nl = line.find('\n'); nl != std::string::npos) return line.substr(0, nl);
    }
}

std::string read_line_exactly(int fd, int timeout_ms) {
    std::string line;
    for (char c = 0; line.size() < 65536;) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, timeout_ms) != 1) throw std::runtime_error("omxd did not answer");
        if (::recv(fd, &c, 1, 0) != 1) throw std::runtime_error("omxd closed the control connection");
        if (c == '\n') return line;
        line += c;
    }
    throw std::runtime_error("omxd sent an overlong reply");
}

}  // namespace

UniqueFd open_channel(const nlohmann::json& hello, const std::string& path, int timeout_ms) {
    UniqueFd fd = connect_unix(path);
    send_all(fd.get(), hello.dump() + "\n");
    auto reply = nlohmann::json::parse(read_line_exactly(fd.get(), timeout_ms), nullptr, false);
    if (reply.is_discarded() || !reply.is_object()) throw std::runtime_error("omxd sent a malformed reply");
    if (!reply.value("ok", false)) throw CommandError(reply.value("error", std::string("refused")));
    return fd;
}

bool Channel::send(const nlohmann::json& line) {
    std::string text = line.dump() + "\n";
    if (fd_ && ::send(fd_.get(), text.data(), text.size(), MSG_NOSIGNAL) == ssize_t(text.size())) return true;
    close();
    return false;
}

void Channel::reopen(const nlohmann::json& hello) {
    auto now = std::chrono::steady_clock::now();
    if (path_.empty() || now < next_try_) return;
    next_try_ = now + std::chrono::seconds(1);
    if (fd_) {   // still there? a channel whose omxd went away reads as end of file
        pollfd p{fd_.get(), POLLIN, 0};
        char c;
        if (::poll(&p, 1, 0) == 0 || ::recv(fd_.get(), &c, 1, MSG_DONTWAIT | MSG_PEEK) != 0) return;
        close();
    }
    try {
        fd_ = open_channel(hello, path_, 500);
    } catch (const std::exception&) {
        // not back yet: next second
    }
}

nlohmann::json call(const nlohmann::json& request, const std::string& path, int timeout_ms) {
    UniqueFd fd = connect_unix(path);
    send_all(fd.get(), request.dump() + "\n");
    auto reply = nlohmann::json::parse(read_line(fd.get(), timeout_ms), nullptr, false);
    if (reply.is_discarded() || !reply.is_object())
        throw std::runtime_error("omxd sent a malformed reply");
    if (!reply.value("ok", false)) throw CommandError(reply.value("error", std::string("failed")));
    return reply;
}

}  // namespace omx::control
