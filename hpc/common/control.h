#pragma once
// Client side of omxd's local control socket (protocol: docs/control-protocol.md).
// One JSON object per line each way; every tool talks to omxd only through this.
#include <nlohmann/json.hpp>

#include <chrono>
#include <stdexcept>
#include <string>

#include "fd.h"

namespace omx::control {

inline constexpr const char* kDefaultSocket = "/run/omxd/control.sock";

// $OMX_CONTROL_SOCKET if set, else kDefaultSocket.
std::string socket_path();

// No daemon listens on the socket (the "NOT a openMosix system" case).
struct NotRunning : std::runtime_error {
    using std::runtime_error::runtime_error;
};
// The daemon answered {"ok":false,"error":...}; what() is the daemon's error text.
struct CommandError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Sends one request and returns the response object (whose "ok" is true).
nlohmann::json call(const nlohmann::json& request, const std::string& path = socket_path(),
                    int timeout_ms = 15000);

// Sends `hello` (a request omxd turns into a channel: "deputy", "guest") and returns the
// connection once omxd said ok; from then on it carries JSON lines both ways. Reads
// nothing past the reply, so no line omxd sends next is lost.
UniqueFd open_channel(const nlohmann::json& hello, const std::string& path, int timeout_ms = 2000);

// A helper's channel to omxd (a deputy's, a remote part's) that outlives omxd: JSON lines
// out; when omxd goes away the helper works on, and reopen() finds the next omxd (at most
// once a second) and presents `hello` to it.
class Channel {
public:
    Channel(int fd, std::string socket_path) : fd_(fd), path_(std::move(socket_path)) {}
    int fd() const { return fd_.get(); }
    // False (and the channel closed) when omxd is gone.
    bool send(const nlohmann::json& line);
    void close() { fd_.reset(); }
    // Once a second at most: drops a channel whose omxd has gone, and opens one to the
    // omxd now at the socket when there is none.
    void reopen(const nlohmann::json& hello);

private:
    UniqueFd fd_;
    std::string path_;
    std::chrono::steady_clock::time_point next_try_{};
};
}  // namespace omx::control
