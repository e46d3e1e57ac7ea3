#pragma once
// `vcluster proxy NODE PORT`: stdin/stdout joined to a TCP connection to a node, made from
// the cluster switch's network (the host has no interface on the nodes' bridge). Meant as
// an ssh ProxyCommand: `ssh -o ProxyCommand="vcluster proxy %h 22" root@10.210.0.2`.
#include <string>

#include "state.h"

namespace vcluster {

// A node as an id ("3"), a hostname ("node3") or an address in the cluster's subnet
// ("10.210.0.3"); returns its address. Throws std::invalid_argument for anything else.
std::string proxy_target_address(const std::string& text, int nodes);

// Copies bytes both ways between (in_fd, out_fd) and sock until both directions ended;
// an end of input is passed on as a half-close (shutdown SHUT_WR), the peer's end of
// output closes out_fd. Returns when both are done or either side fails.
void relay(int in_fd, int out_fd, int sock);

// Connects to address:port through the switch and relays stdin/stdout; returns the exit
// status (0 once connected and relayed).
int run_proxy(const ClusterState& state, const std::string& target, int port, int timeout_ms = 5000);

}  // namespace vcluster
