#pragma once
// Client side of omxd's local control socket (protocol: docs/control-protocol.md).
// One JSON object per line each way; every tool talks to omxd only through this.
#include <nlohmann/json.hpp>

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

}  // namespace omx::control
