#include "guest_backend.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "cgroups.h"
#include "common/cluster_key.h"
#include "common/control.h"
#include "guest_client.h"
#include "host_changes.h"
#include "namespaces.h"
#include "plan.h"
#include "switch.h"
#include "text_file.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace vcluster {
namespace {

void write_node_etc(const std::string& dir, int id, const UpOptions& opt, const std::string& key_hex) {
    fs::remove_all(dir + "/etc");
    fs::create_directories(dir + "/etc/openmosix");
    for (const auto& file : node_etc_files(id, opt.nodes, !opt.autodiscovery, key_hex))
        write_text_file(dir + "/etc/" + file.path, file.text, fs::perms(file.mode));
}

std::string join(const std::vector<std::string>& parts, char sep) {
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : std::string(1, sep)) + p;
    return out;
}

}  // namespace

std::vector<std::string> GuestBackend::writable_host_dirs(const ClusterState& state) {
    std::error_code ec;
    std::vector<fs::path> candidates = {fs::path(state.bin_dir).parent_path(), fs::current_path(ec)};
    // One mount per tree: a dir inside another is already there (and a later mount of the
    // outer one would hide it).
    auto inside = [](const fs::path& d, const fs::path& outer) {
        auto rel = d.lexically_relative(outer);
        return !rel.empty() && *rel.begin() != "..";
    };
    std::vector<std::string> dirs;
    for (const auto& d : candidates) {
        if (d.empty() || d == "/" || !fs::is_directory(d)) continue;
        bool covered = false;
        for (const auto& other : candidates)
            if (!other.empty() && other != "/" && other != d && fs::is_directory(other) && inside(d, other)) covered = true;
        if (!covered && std::find(dirs.begin(), dirs.end(), d.string()) == dirs.end()) dirs.push_back(d.string());
    }
    return dirs;
}

void GuestBackend::up(ClusterState& state, const UpOptions& opt) {
    state.backend = name();
    state.size = opt.nodes;
    state.autodiscovery = opt.autodiscovery;
    state.omxd_args = opt.omxd_args;
    state.guest_memory_mb = opt.memory_mb > 0 ? opt.memory_mb : default_memory_mb();
    prepare(state, opt);
    ensure_host_dir(state, "/var/lib/omxd");   // a mount point in a guest's read-only root
    std::string key = omx::ClusterKey::generate_hex();
    write_text_file(state_dir() + "/cluster.key", key + "\n", fs::perms(0600));

    create_switch(state);
    prepare_network(state);
    auto hierarchies = detect_cgroups();
    for (int id = 1; id <= opt.nodes; ++id) create_node(state, hierarchies, opt, id, key);
    for (int id = 1; id <= opt.nodes; ++id) boot(state, id);
    for (int id = 1; id <= opt.nodes; ++id) wait_for_guestd(state, id);
    for (int id = 1; id <= opt.nodes; ++id) start_daemon(state, id);
}

int GuestBackend::exec(const ClusterState& state, int node, const std::vector<std::string>& argv) {
    return guest::GuestClient(state, node).exec(argv);
}

void GuestBackend::start_daemon(const ClusterState& state, int node) {
    std::vector<std::string> argv = {state.bin_dir + "/omxd", "-f"};
    argv.insert(argv.end(), state.omxd_args.begin(), state.omxd_args.end());
    spawn(state, node, argv, log_path(node));
    const std::string agent = state.bin_dir + "/omx-agent";
    if (fs::exists(agent) && pids(state, node, {"omx-agent"}).empty())
        spawn(state, node, {agent, "--listen", node_address(node)}, node_dir(node) + "/agent.log");
}

void GuestBackend::crash(ClusterState& state, int node) {
    set_port_up(state, node, false);
    stop_guest(state, node);
    state.node(node)->crashed = true;
}

void GuestBackend::stop_guest(const ClusterState& state, int node) {
    for (int pid : processes_in_node(record(state, node).holder, {})) ::kill(pid, SIGKILL);
    auto t0 = Clock::now();
    while (guest_running(state, node) && Clock::now() - t0 < std::chrono::seconds(5))
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

bool GuestBackend::guest_running(const ClusterState& state, int node) {
    return !processes_in_node(record(state, node).holder, {}).empty();
}

void GuestBackend::uncrash(ClusterState& state, int node) {
    boot(state, node);
    if (state.node(node)->partitioned) {   // the new port starts on the main switch
        state.node(node)->partitioned = false;
        partition_ports(state, {node});
    }
    wait_for_guestd(state, node);
    state.node(node)->crashed = false;
}

std::vector<int> GuestBackend::daemon_pids(const ClusterState& state, int node) {
    return pids(state, node, {"omxd", "omdiscd"});
}

void GuestBackend::kill_daemons(const ClusterState& state, int node) {
    auto reply = guest::GuestClient(state, node).call({{"op", "kill"}, {"comms", {"omxd", "omdiscd"}}});
    if (!reply.value("ok", false))
        throw std::runtime_error(fmt::format("node {}: {}", node, reply.value("error", "kill failed")));
}

nlohmann::json GuestBackend::control(const ClusterState& state, int node, const nlohmann::json& request,
                                     int timeout_ms) {
    auto reply = guest::GuestClient(state, node)
                     .call({{"op", "control"}, {"request", request}, {"timeout_ms", timeout_ms}}, timeout_ms + 2000);
    if (reply.value("ok", false)) return reply;
    std::string error = reply.value("error", std::string("no answer"));
    if (reply.value("not_running", false)) throw omx::control::NotRunning(error);
    throw omx::control::CommandError(error);
}

std::vector<int> GuestBackend::pids(const ClusterState& state, int node, const std::vector<std::string>& comms) {
    try {
        auto reply = guest::GuestClient(state, node).call({{"op", "pids"}, {"comms", comms}}, 3000);
        return reply.value("pids", std::vector<int>{});
    } catch (const std::exception&) {
        return {};   // a node that does not answer runs nothing we can see
    }
}

void GuestBackend::spawn(const ClusterState& state, int node, const std::vector<std::string>& argv,
                         const std::string& log) {
    auto reply = guest::GuestClient(state, node)
                     .call({{"op", "spawn"}, {"argv", argv}, {"env", guest::environment_with_path(state.bin_dir)},
                            {"log", log}});
    if (!reply.value("ok", false))
        throw std::runtime_error(fmt::format("node {}: {}", node, reply.value("error", "cannot start " + argv[0])));
}

// The node's holder: PID 1 of a PID namespace (so killing it takes the whole guest with it)
// in the switch's network (where the node's TAP port is) and in the node's cgroups (so
// `--cpu` and `slow` limit the guest).
void GuestBackend::create_node(ClusterState& state, const std::vector<CgroupHierarchy>& hierarchies,
                               const UpOptions& opt, int id, const std::string& key) {
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

void GuestBackend::boot(const ClusterState& state, int id) {
    add_tap_port(state, id);
    std::vector<std::string> init_env = {
        fmt::format("VC_NODE={}", id),
        "VC_ADDR=" + node_address(id),
        fmt::format("VC_PREFIX={}", kPrefixLength),
        std::string("VC_GATEWAY=") + kSwitchAddress,
        "VC_DIR=" + state_dir(),
        "VC_BIN=" + state.bin_dir,
        "VC_RW=" + join(writable_host_dirs(state), ':'),
    };
    start_guest(state, id, init_env);
}

void GuestBackend::start_guest(const ClusterState& state, int id, const std::vector<std::string>& init_env) {
    const std::string dir = node_dir(id);
    omx::UniqueFd console(::open((dir + "/console.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (!console) throw std::runtime_error(fmt::format("cannot open {}/console.log: {}", dir, std::strerror(errno)));
    RunOptions run;
    run.cgroups = record(state, id).cgroups;
    run.detach = true;
    run.output_fd = console.get();
    run_in_node(record(state, id).holder, boot_command(state, id, init_env), run);
}

// The last lines of a node's console: why it did not boot, in the error itself (a failed
// `up` removes the state dir the console log is in).
static std::string console_tail(int id, size_t lines = 6) {
    std::ifstream in(node_dir(id) + "/console.log");
    std::vector<std::string> last;
    for (std::string line; std::getline(in, line);) {
        last.push_back(line);
        if (last.size() > lines) last.erase(last.begin());
    }
    std::string out;
    for (const auto& l : last) out += "\n  | " + l;
    return out.empty() ? "\n  (nothing on its console)" : out;
}

void GuestBackend::wait_for_guestd(const ClusterState& state, int id) {
    auto t0 = Clock::now();
    guest::GuestClient guest(state, id);
    while (!guest.answers()) {
        if (std::chrono::duration<double>(Clock::now() - t0).count() > boot_timeout_s())
            throw std::runtime_error(fmt::format("node {} did not boot within {:.0f} s; its console:{}", id,
                                                 boot_timeout_s(), console_tail(id)));
        if (!guest_running(state, id))
            throw std::runtime_error(
                fmt::format("node {}'s kernel stopped while booting; its console:{}", id, console_tail(id)));
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
}

}  // namespace vcluster
