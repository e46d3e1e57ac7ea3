#pragma once
// `vcluster up --sshd`: every node runs an sshd of its own, so that tools which manage real
// machines over ssh (Ansible, the playbooks in playbooks/) drive the virtual nodes the same
// way. One client key pair per cluster lives in the state dir; nothing is written into the
// host's ~/.ssh. The host reaches the nodes through `vcluster proxy` (see proxy.h).
#include <string>

#include "state.h"

namespace vcluster {

inline constexpr int kSshPort = 22;

std::string ssh_dir();               // <state dir>/ssh
std::string client_key_path();       // <state dir>/ssh/id_ed25519 (the .pub next to it)
std::string inventory_path();        // <state dir>/inventory.ini

// True when the current cluster was started with --sshd (its client key exists).
bool sshd_enabled();

// Makes the cluster's client key pair unless it exists already.
void ensure_client_key();

// What a node's sshd gets: a config, a host key and the authorized key, all in `host_dir`
// (seen from the host) which the node sees as `dir_in_node`. Returns the config's path
// inside the node, for `sshd -f`.
std::string write_node_sshd_files(const std::string& host_dir, const std::string& dir_in_node,
                                  const std::string& address);

// The sshd_config of a node: listens on address:22 only, key logins for root only.
std::string sshd_config_text(const std::string& dir_in_node, const std::string& address);

// True when the node's sshd sends its banner.
bool sshd_answers(const ClusterState& state, int node);
// Polls until every node's sshd sends its banner; throws naming the laggards.
void wait_for_sshd(const ClusterState& state, double timeout_s);

// The Ansible INI inventory of a cluster: group [openmosix] with every node, ssh through
// `<vcluster> proxy`, and the playbooks' variables for netns nodes (see docs/ansible.md).
struct InventoryPaths {
    std::string vcluster;      // absolute path of the vcluster binary (for ProxyCommand)
    std::string state_dir;     // $VCLUSTER_DIR, passed on to the proxy
    std::string client_key;    // the private key
};
std::string inventory_text(const ClusterState& state, const InventoryPaths& paths);
// The paths of this vcluster binary, this state dir and its client key.
InventoryPaths current_inventory_paths();

// The end of `up --sshd`: waits for every sshd, then writes inventory_path().
void wait_for_sshd_and_write_inventory(const ClusterState& state, double timeout_s);

}  // namespace vcluster
