// The UML backend: every node is a User-Mode Linux guest — a kernel of its own, one vCPU,
// its root the host's file system through hostfs (read-only; vcluster-node-init gives it
// its own /etc, /tmp and /run) — plugged by a TAP port into the cluster's switch. The rest
// (holder, port, guestd) is GuestBackend's.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

#include "guest_backend.h"
#include "switch.h"

namespace vcluster {
namespace {

// The UML kernel: $VCLUSTER_UML_KERNEL (e.g. one `make kernel-uml` built), else Debian's.
std::string uml_kernel() {
    if (const char* k = std::getenv("VCLUSTER_UML_KERNEL"); k && *k) return k;
    for (const char* k : {"/usr/bin/linux.uml", "/usr/bin/linux"})
        if (::access(k, X_OK) == 0) return k;
    throw std::runtime_error("no UML kernel: install Debian's user-mode-linux (apt-get install user-mode-linux) "
                             "or set VCLUSTER_UML_KERNEL");
}

class UmlBackend : public GuestBackend {
public:
    std::string name() const override { return "uml"; }

protected:
    void prepare(ClusterState&, const UpOptions&) override { uml_kernel(); }

    std::vector<std::string> boot_command(const ClusterState& state, int id,
                                          const std::vector<std::string>& init_env) override {
        std::vector<std::string> argv = {
            uml_kernel(),
            fmt::format("mem={}M", state.guest_memory_mb),
            fmt::format("umid=node{}", id),
            "uml_dir=" + node_dir(id),
            "rootfstype=hostfs", "rootflags=/", "ro",
            "init=" + state.bin_dir + "/vcluster-node-init",
            "con=null", "con0=fd:0,fd:1",
            "eth0=tuntap," + switch_port_name(id),
            "VC_SHARE=hostfs",
        };
        argv.insert(argv.end(), init_env.begin(), init_env.end());
        return argv;
    }
};

}  // namespace

std::unique_ptr<Backend> make_uml_backend() { return std::make_unique<UmlBackend>(); }

}  // namespace vcluster
