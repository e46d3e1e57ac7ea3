// The UML backend: every node is a User-Mode Linux guest — a kernel of its own, one vCPU,
// its root the host's file system through hostfs (read-only; vcluster-uml-init gives it
// its own /etc, /tmp and /run) — plugged by a TAP port into the cluster's switch. The host
// reaches into a node through vcluster-guestd (guest_link.h), which the node's init runs.
#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "held_backend.h"
#include "cgroups.h"
#include "common/cluster_key.h"
#include "common/control.h"
#include "guest_client.h"
#include "host_changes.h"
#include "namespaces.h"
#include "plan.h"
#include "switch.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace vcluster {
namespace {

constexpr long kDefaultGuestMemoryMb = 256;
constexpr double kBootTimeoutS = 180;   // 4 guests booting together on 2 busy cores

// The UML kernel: $VCLUSTER_UML_KERNEL (e.g. one `make kernel-uml` built), else Debian's.
std::string uml_kernel() {
    if (const char* k = std::getenv("VCLUSTER_UML_KERNEL"); k && *k) return k;
    for (const char* k : {"/usr/bin/linux.uml", "/usr/bin/linux"})
        if (::access(k, X_OK) == 0) return k;
    throw std::runtime_error("no UML kernel: install Debian's user-mode-linux (apt-get install user-mode-linux) "
                             "or set VCLUSTER_UML_KERNEL");
}

void write_node_etc(const std::string& dir, int id, const UpOptions& opt, const std::string& key_hex) {
    fs::remove_all(dir + "/etc");
    fs::create_directories(dir + "/etc/openmosix");
    for (const auto& file : node_etc_files(id, opt.nodes, !opt.autodiscovery, key_hex)) {
        std::string path = dir + "/etc/" + file.path;
        std::ofstream(path, std::ios::trunc) << file.text;
        fs::permissions(path, fs::perms(file.mode));
    }
}

// Host dirs a node must be able to write, as the netns nodes can: the state dir (logs)
// comes separately; these are the build tree (reports, test output) and where we stand.
std::string writable_host_dirs(const ClusterState& state) {
    std::error_code ec;
    std::vector<fs::path> dirs = {fs::path(state.bin_dir).parent_path(), fs::current_path(ec)};
    std::string out;
    for (const auto& d : dirs) {
        if (d.empty() || d == "/" || !fs::is_directory(d)) continue;
        if (!out.empty()) out += ":";
        out += d.string();
    }
    return out;
}

class UmlBackend : public HeldBackend {
public:
    std::string name() const override { return "uml"; }

    void up(ClusterState& state, const UpOptions& opt) override {
        const std::string kernel = uml_kernel();
        state.backend = name();
        state.size = opt.nodes;
        state.autodiscovery = opt.autodiscovery;
        state.omxd_args = opt.omxd_args;
        state.guest_memory_mb = opt.memory_mb > 0 ? opt.memory_mb : kDefaultGuestMemoryMb;
        ensure_host_dir(state, "/var/lib/omxd");   // a mount point in the guests' read-only root
        std::string key = omx::ClusterKey::generate_hex();
        std::ofstream(state_dir() + "/cluster.key") << key << "\n";
        fs::permissions(state_dir() + "/cluster.key", fs::perms(0600));

        create_switch(state);
        auto hierarchies = detect_cgroups();
        for (int id = 1; id <= opt.nodes; ++id) create_node(state, hierarchies, opt, id, key);
        for (int id = 1; id <= opt.nodes; ++id) boot(state, id, kernel);
        for (int id = 1; id <= opt.nodes; ++id) wait_for_guestd(state, id, kBootTimeoutS);
        for (int id = 1; id <= opt.nodes; ++id) start_daemon(state, id);
    }

    int exec(const ClusterState& state, int node, const std::vector<std::string>& argv) override {
        return guest::GuestClient(state, node).exec(argv);
    }

    void start_daemon(const ClusterState& state, int node) override {
        std::vector<std::string> argv = {state.bin_dir + "/omxd", "-f"};
        argv.insert(argv.end(), state.omxd_args.begin(), state.omxd_args.end());
        spawn(state, node, argv, log_path(node));
        const std::string agent = state.bin_dir + "/omx-agent";
        if (fs::exists(agent) && pids(state, node, {"omx-agent"}).empty())
            spawn(state, node, {agent, "--listen", node_address(node)}, node_dir(node) + "/agent.log");
    }

    // The node's kernel dies with everything in it; its port goes dead first so the peers
    // see silence. `revive` boots it again.
    void crash(ClusterState& state, int node) override {
        set_port_up(state, node, false);
        for (int pid : processes_in_node(record(state, node).holder, {})) ::kill(pid, SIGKILL);
        auto t0 = Clock::now();
        while (!processes_in_node(record(state, node).holder, {}).empty() && Clock::now() - t0 < std::chrono::seconds(5))
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        state.node(node)->crashed = true;
    }

    void uncrash(ClusterState& state, int node) override {
        boot(state, node, uml_kernel());
        if (state.node(node)->partitioned) {   // the new port starts on the main switch
            state.node(node)->partitioned = false;
            partition_ports(state, {node});
        }
        wait_for_guestd(state, node, kBootTimeoutS);
        state.node(node)->crashed = false;
    }

    std::vector<int> daemon_pids(const ClusterState& state, int node) override {
        return pids(state, node, {"omxd", "omdiscd"});
    }

    void kill_daemons(const ClusterState& state, int node) override {
        auto reply = guest::GuestClient(state, node).call({{"op", "kill"}, {"comms", {"omxd", "omdiscd"}}});
        if (!reply.value("ok", false))
            throw std::runtime_error(fmt::format("node {}: {}", node, reply.value("error", "kill failed")));
    }

    nlohmann::json control(const ClusterState& state, int node, const nlohmann::json& request,
                           int timeout_ms) override {
        auto reply = guest::GuestClient(state, node)
                         .call({{"op", "control"}, {"request", request}, {"timeout_ms", timeout_ms}}, timeout_ms + 2000);
        if (reply.value("ok", false)) return reply;
        std::string error = reply.value("error", std::string("no answer"));
        if (reply.value("not_running", false)) throw omx::control::NotRunning(error);
        throw omx::control::CommandError(error);
    }

private:
    std::vector<int> pids(const ClusterState& state, int node, const std::vector<std::string>& comms) {
        try {
            auto reply = guest::GuestClient(state, node).call({{"op", "pids"}, {"comms", comms}}, 3000);
            return reply.value("pids", std::vector<int>{});
        } catch (const std::exception&) {
            return {};   // a node that does not answer runs nothing we can see
        }
    }

    void spawn(const ClusterState& state, int node, const std::vector<std::string>& argv, const std::string& log) {
        auto reply = guest::GuestClient(state, node)
                         .call({{"op", "spawn"},
                                {"argv", argv},
                                {"env", guest::environment_with_path(state.bin_dir)},
                                {"log", log}});
        if (!reply.value("ok", false))
            throw std::runtime_error(fmt::format("node {}: {}", node, reply.value("error", "cannot start " + argv[0])));
    }

    // The node's holder: PID 1 of a PID namespace (so killing it takes the whole guest
    // with it) in the switch's network (where the node's TAP port is) and in the node's
    // cgroups (so `--cpu` and `slow` limit the guest).
    void create_node(ClusterState& state, const std::vector<CgroupHierarchy>& hierarchies, const UpOptions& opt,
                     int id, const std::string& key) {
        const std::string dir = node_dir(id);
        fs::create_directories(dir);
        write_node_etc(dir, id, opt, key);

        NodeRecord rec = add_node_record(state, hierarchies, id);
        vcluster::set_cpu_share(rec.cgroups, opt.cpu_share);
        rec.cpu_share = opt.cpu_share;
        rec.memory_limit_mb = state.guest_memory_mb;

        const std::string switch_net = fmt::format("/proc/{}/ns/net", state.switch_holder.pid);
        rec.holder = spawn_holder(CLONE_NEWNS, fmt::format("vcluster-node{}", id), rec.cgroups, [&switch_net] {
            omx::UniqueFd net(::open(switch_net.c_str(), O_RDONLY | O_CLOEXEC));
            if (!net || ::setns(net.get(), CLONE_NEWNET) != 0)
                throw std::runtime_error(fmt::format("cannot join the switch's network: {}", std::strerror(errno)));
        });
        *state.node(id) = rec;
        save_state(state);
    }

    void boot(const ClusterState& state, int id, const std::string& kernel) {
        add_tap_port(state, id);
        const std::string dir = node_dir(id);
        std::vector<std::string> argv = {
            kernel,
            fmt::format("mem={}M", state.guest_memory_mb),
            fmt::format("umid=node{}", id),
            "uml_dir=" + dir,
            "rootfstype=hostfs", "rootflags=/", "ro",
            "init=" + state.bin_dir + "/vcluster-uml-init",
            "con=null", "con0=fd:0,fd:1",
            "eth0=tuntap," + switch_port_name(id),
            fmt::format("VC_NODE={}", id),
            "VC_ADDR=" + node_address(id),
            fmt::format("VC_PREFIX={}", kPrefixLength),
            std::string("VC_GATEWAY=") + kSwitchAddress,
            "VC_DIR=" + state_dir(),
            "VC_BIN=" + state.bin_dir,
            "VC_RW=" + writable_host_dirs(state),
        };
        omx::UniqueFd console(::open((dir + "/console.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
        if (!console) throw std::runtime_error(fmt::format("cannot open {}/console.log: {}", dir, std::strerror(errno)));
        RunOptions run;
        run.cgroups = record(state, id).cgroups;
        run.detach = true;
        run.output_fd = console.get();
        run_in_node(record(state, id).holder, argv, run);
    }

    void wait_for_guestd(const ClusterState& state, int id, double timeout_s) {
        auto t0 = Clock::now();
        guest::GuestClient guest(state, id);
        while (!guest.answers()) {
            if (std::chrono::duration<double>(Clock::now() - t0).count() > timeout_s)
                throw std::runtime_error(fmt::format("node {} did not boot within {:.0f} s (see {}/console.log)", id,
                                                     timeout_s, node_dir(id)));
            if (processes_in_node(record(state, id).holder, {}).empty())
                throw std::runtime_error(fmt::format("node {}'s kernel stopped while booting (see {}/console.log)", id,
                                                     node_dir(id)));
            std::this_thread::sleep_for(std::chrono::milliseconds(250));
        }
    }
};

}  // namespace

std::unique_ptr<Backend> make_uml_backend() { return std::make_unique<UmlBackend>(); }

}  // namespace vcluster
