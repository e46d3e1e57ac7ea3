#pragma once
// What every backend whose nodes are virtual machines does the same way (UML, QEMU): a node
// is a guest kernel started inside the node's holder (in the switch's network, in the node's
// cgroups), plugged into the switch by a TAP port, whose init (node_init.sh) runs
// vcluster-guestd; the host reaches into the node only through guestd (guest_link.h). A
// backend says how to start its guest (boot_command) and nothing else.
#include <string>
#include <vector>

#include "held_backend.h"

namespace vcluster {

class GuestBackend : public HeldBackend {
public:
    void up(ClusterState& state, const UpOptions& opt) override;
    int exec(const ClusterState& state, int node, const std::vector<std::string>& argv) override;
    void start_daemon(const ClusterState& state, int node) override;
    // The node's kernel dies with everything in it; its port goes dead first so the peers
    // see silence. `revive` boots it again.
    void crash(ClusterState& state, int node) override;
    void uncrash(ClusterState& state, int node) override;
    std::vector<int> daemon_pids(const ClusterState& state, int node) override;
    void kill_daemons(const ClusterState& state, int node) override;
    nlohmann::json control(const ClusterState& state, int node, const nlohmann::json& request,
                           int timeout_ms) override;

protected:
    // Checks what the guests need (a kernel, an image …) and records the backend's choices
    // in `state` before anything is created; throws with what is missing.
    virtual void prepare(ClusterState& state, const UpOptions& opt) = 0;
    // Called once the cluster's switch exists, before the first guest starts.
    virtual void prepare_network(ClusterState& state) { (void)state; }
    // The command that runs node `id`'s guest in the foreground until it dies; its output
    // (the guest's console) goes to the node's console.log. `init_env` is what the node's
    // init expects as VC_* environment, for the kernel command line.
    virtual std::vector<std::string> boot_command(const ClusterState& state, int id,
                                                  const std::vector<std::string>& init_env) = 0;
    virtual long default_memory_mb() const { return 256; }
    virtual double boot_timeout_s() const { return 180; }   // 4 guests booting on 2 busy cores

    // How a guest is started, stopped and seen: by default the boot_command run in the
    // node's holder, killed with the holder's processes (libvirt asks its daemon instead).
    virtual void start_guest(const ClusterState& state, int id, const std::vector<std::string>& init_env);
    virtual void stop_guest(const ClusterState& state, int id);
    virtual bool guest_running(const ClusterState& state, int id);

    // Host dirs a node must be able to write, as netns nodes can: the build tree (reports,
    // test output) and the directory `up` ran from; the state dir (logs) comes first.
    static std::vector<std::string> writable_host_dirs(const ClusterState& state);

private:
    std::vector<int> pids(const ClusterState& state, int node, const std::vector<std::string>& comms);
    void spawn(const ClusterState& state, int node, const std::vector<std::string>& argv, const std::string& log);
    void create_node(ClusterState& state, const std::vector<CgroupHierarchy>& hierarchies, const UpOptions& opt,
                     int id, const std::string& key);
    void boot(const ClusterState& state, int id);
    void wait_for_guestd(const ClusterState& state, int id);
};

}  // namespace vcluster
