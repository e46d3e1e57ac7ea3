#pragma once
// A vcluster backend knows how to make nodes of one kind (network namespaces today; UML
// and QEMU guests later) and how to reach into them. Everything above it — waiting for the
// daemons to converge, the status table, the CLI — is the same for every backend.
#include <nlohmann/json.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "state.h"

namespace vcluster {

struct UpOptions {
    int nodes = 4;
    bool autodiscovery = false;   // no map file: omxd finds its peers by multicast
    double cpu_share = 0;         // cores per node, 0 = unlimited
    long memory_mb = 0;           // per node, 0 = unlimited
    std::vector<std::string> omxd_args;   // extra daemon options (e.g. --down-timeout 3)
    bool sshd = false;   // every node also runs an sshd of its own (sshd.h)
    bool bare = false;   // "fresh machines": no map, no cluster key, no daemons started
    std::string root;    // QEMU: the guests' root directory ("image": vm-images' for the arch)
};

class Backend {
public:
    virtual ~Backend() = default;
    virtual std::string name() const = 0;

    // Creates the switch, the nodes and their daemons, recording each step in `state`
    // (saved as it goes) so that `down` can undo a half-finished `up`.
    virtual void up(ClusterState& state, const UpOptions& opt) = 0;
    // Removes everything `state` records; idempotent. Returns what could not be removed.
    virtual std::vector<std::string> down(ClusterState& state) = 0;

    // Runs a command in a node, attached to our terminal; returns its exit status.
    virtual int exec(const ClusterState& state, int node, const std::vector<std::string>& argv) = 0;

    // Starts omxd, and the harness agent (omx-agent) when it is built and not running.
    virtual void start_daemon(const ClusterState& state, int node) = 0;
    // The node dies: its link goes dead (peers see silence, not refusals) and every process
    // in it is killed. `revive` brings it back.
    virtual void crash(ClusterState& state, int node) = 0;
    // Undoes crash's dead link (the processes stay dead; revive starts the daemons).
    virtual void uncrash(ClusterState& state, int node) = 0;
    // The node's omxd and omdiscd, by pid as the node sees them (empty when not running).
    virtual std::vector<int> daemon_pids(const ClusterState& state, int node) = 0;
    // `vcluster kill`: SIGKILL to the node's omxd (and omdiscd).
    virtual void kill_daemons(const ClusterState& state, int node) = 0;
    // One request to the node's omxd over its control socket; throws omx::control's errors.
    virtual nlohmann::json control(const ClusterState& state, int node, const nlohmann::json& request,
                                   int timeout_ms) = 0;
    virtual bool node_alive(const ClusterState& state, int node) = 0;

    // Cuts `nodes` off the main switch onto a switch of their own; heal undoes it.
    virtual void partition(ClusterState& state, const std::vector<int>& nodes) = 0;
    virtual void heal(ClusterState& state) = 0;
    virtual void set_cpu_share(ClusterState& state, int node, double cores) = 0;

    // Host path of the node daemon's log.
    virtual std::string log_path(int node) const = 0;

    // Starts the node's own sshd on its address, port 22 (`up --sshd`; sshd.h).
    virtual void start_sshd(const ClusterState& state, int node) {
        (void)state, (void)node;
        throw std::runtime_error("--sshd is not supported by the " + name() + " backend");
    }
};

std::unique_ptr<Backend> make_backend(const std::string& name);   // throws naming the known ones
std::unique_ptr<Backend> make_netns_backend();
std::unique_ptr<Backend> make_uml_backend();
std::unique_ptr<Backend> make_qemu_backend();
std::unique_ptr<Backend> make_qemu_i386_backend();
std::unique_ptr<Backend> make_libvirt_backend();
std::vector<std::string> backend_names();

}  // namespace vcluster
