// The netns backend: every node is a set of namespaces (net, mount, uts, ipc, pid) held by
// one process, wired by a veth pair to a bridge that lives in a namespace of its own, so no
// node traffic ever touches the host's interfaces.
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "held_backend.h"
#include "cgroups.h"
#include "common/cluster_key.h"
#include "common/control.h"
#include "namespaces.h"
#include "host_changes.h"
#include "plan.h"
#include "sshd.h"
#include "switch.h"
#include "text_file.h"

namespace fs = std::filesystem;

namespace vcluster {
namespace {

constexpr const char* kDaemonStateDir = "/var/lib/omxd";

void check(int rc, const std::string& what) {
    if (rc != 0) throw std::runtime_error(fmt::format("{}: {}", what, std::strerror(errno)));
}

void mount_or_throw(const char* source, const std::string& target, const char* type, unsigned long flags,
                    const std::string& data = "") {
    if (::mount(source, target.c_str(), type, flags, data.empty() ? nullptr : data.c_str()) != 0)
        throw std::runtime_error(fmt::format("mount {} on {}: {}", type ? type : source ? source : "(remount)",
                                             target, std::strerror(errno)));
}

struct NodeFiles {
    int id;
    int nodes;
    bool autodiscovery;
    std::string key_hex;
    std::string dir;   // <state>/node<id>
    std::vector<std::string> keep_in_tmp;   // host dirs under /tmp the node must still see
    bool bare = false;   // `up --bare`: no map and no key, whoever installs the node writes them
};

// The node gets a /tmp of its own, which would hide a build tree, a checkout or a state
// dir that lives under the host's /tmp (CI clones often do). Those are bound back in.
std::vector<std::string> host_dirs_to_keep_in_tmp(const std::vector<std::string>& paths) {
    std::vector<std::string> keep;
    for (const auto& p : paths) {
        fs::path rel = fs::path(p).lexically_normal().lexically_relative("/tmp");
        if (rel.empty() || *rel.begin() == ".." || *rel.begin() == ".") continue;
        std::string top = "/tmp/" + rel.begin()->string();
        if (fs::is_directory(top) && std::find(keep.begin(), keep.end(), top) == keep.end()) keep.push_back(top);
    }
    return keep;
}

// An O_PATH handle to a directory, used as a mount source by /proc/self/fd/N once the
// path itself may be hidden by an earlier mount.
struct DirHandle {
    omx::UniqueFd fd;
    explicit DirHandle(const std::string& path) : fd(::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)) {
        if (!fd) throw std::runtime_error(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
    }
    std::string source() const { return fmt::format("/proc/self/fd/{}", fd.get()); }
};

// Runs inside the node's fresh namespaces, before anything else lives there.
void set_up_node_filesystem(const NodeFiles& f) {
    std::string host = node_hostname(f.id);
    check(::sethostname(host.c_str(), host.size()), "sethostname");
    mount_or_throw(nullptr, "/", nullptr, MS_REC | MS_PRIVATE);

    // /etc: the host's, with the node's own changes in an upper dir.
    mount_or_throw("overlay", "/etc", "overlay", 0,
                   fmt::format("lowerdir=/etc,upperdir={0}/etc.upper,workdir={0}/etc.work", f.dir));
    // The host's own map and key (if it has them) are not the node's.
    for (const char* other : {"/etc/openmosix.map", "/etc/mosix.map", "/etc/hpc.map", "/etc/openmosix/cluster.key"})
        ::unlink(other);
    fs::create_directories("/etc/openmosix");
    for (const auto& file : node_etc_files(f.id, f.nodes, !f.autodiscovery && !f.bare, f.bare ? "" : f.key_hex))
        write_text_file("/etc/" + file.path, file.text, fs::perms(file.mode));

    DirHandle node_tmp(f.dir + "/tmp"), node_lib(f.dir + "/lib");
    std::vector<std::pair<DirHandle, std::string>> kept;
    for (const auto& k : f.keep_in_tmp) kept.emplace_back(DirHandle(k), k);
    mount_or_throw(node_tmp.source().c_str(), "/tmp", nullptr, MS_BIND);
    for (const auto& [handle, path] : kept) {
        fs::create_directories(path);   // now inside the node's own /tmp
        mount_or_throw(handle.source().c_str(), path, nullptr, MS_BIND | MS_REC);
    }
    mount_or_throw(node_lib.source().c_str(), kDaemonStateDir, nullptr, MS_BIND);
    // /run last: it hides the host's /run, where the state dir usually is.
    mount_or_throw("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=755");
    mount_or_throw("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
    mount_or_throw("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC);
}

class NetnsBackend : public HeldBackend {
public:
    std::string name() const override { return "netns"; }

    void up(ClusterState& state, const UpOptions& opt) override {
        state.backend = name();
        state.size = opt.nodes;
        state.autodiscovery = opt.autodiscovery;
        state.omxd_args = opt.omxd_args;
        ensure_host_dir(state, kDaemonStateDir);
        std::string key = omx::ClusterKey::generate_hex();
        write_text_file(state_dir() + "/cluster.key", key + "\n", fs::perms(0600));

        create_switch(state);

        auto hierarchies = detect_cgroups();
        for (int id = 1; id <= opt.nodes; ++id) create_node(state, hierarchies, opt, id, key);
        if (!opt.bare)
            for (int id = 1; id <= opt.nodes; ++id) start_daemon(state, id);
    }

    int exec(const ClusterState& state, int node, const std::vector<std::string>& argv) override {
        const auto& n = record(state, node);
        RunOptions opt;
        opt.cgroups = n.cgroups;
        opt.path_prefix = state.bin_dir;
        return run_in_node(n.holder, argv, opt);
    }

    void start_daemon(const ClusterState& state, int node) override {
        std::vector<std::string> argv = {state.bin_dir + "/omxd", "-f"};
        argv.insert(argv.end(), state.omxd_args.begin(), state.omxd_args.end());
        start_detached(state, node, argv, log_path(node));
        start_agent(state, node);
    }

    void crash(ClusterState& state, int node) override {
        const auto& n = record(state, node);
        set_port_up(state, node, false);
        for (int pid : processes_in_node(n.holder, {})) ::kill(pid, SIGKILL);
        state.node(node)->crashed = true;
    }

    void uncrash(ClusterState& state, int node) override {
        set_port_up(state, node, true);
        state.node(node)->crashed = false;
    }

    std::vector<int> daemon_pids(const ClusterState& state, int node) override {
        return processes_in_node(record(state, node).holder, {"omxd", "omdiscd"});
    }

    void kill_daemons(const ClusterState& state, int node) override {
        for (int pid : daemon_pids(state, node)) ::kill(pid, SIGKILL);
    }

    nlohmann::json control(const ClusterState& state, int node, const nlohmann::json& request,
                           int timeout_ms) override {
        auto socket = fmt::format("/proc/{}/root/run/omxd/control.sock", record(state, node).holder.pid);
        return omx::control::call(request, socket, timeout_ms);
    }

    // The node sees its files in its own /var/lib/omxd: the state dir is usually under the
    // host's /run, which the node's /run hides. /run/sshd is sshd's privilege-separation dir.
    void start_sshd(const ClusterState& state, int node) override {
        const std::string sub = "/vcluster-sshd";
        auto config = write_node_sshd_files(node_dir(node) + "/lib" + sub, kDaemonStateDir + sub, node_address(node));
        start_detached(state, node,
                       {"/bin/sh", "-c", "mkdir -p -m 0755 /run/sshd && exec /usr/sbin/sshd -D -e -f \"$0\"", config},
                       node_dir(node) + "/sshd.log");
    }

private:
    // The stress harness's agent (harness/agent), on the node's address, when it is built.
    void start_agent(const ClusterState& state, int node) {
        const std::string agent = state.bin_dir + "/omx-agent";
        if (!fs::exists(agent) || !processes_in_node(record(state, node).holder, {"omx-agent"}).empty()) return;
        start_detached(state, node, {agent, "--listen", node_address(node)}, node_dir(node) + "/agent.log");
    }

    // A daemon in the node's cgroups, its output appended to `log`.
    void start_detached(const ClusterState& state, int node, const std::vector<std::string>& argv,
                        const std::string& log_file) {
        omx::UniqueFd log(::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
        if (!log) throw std::runtime_error(fmt::format("cannot open {}: {}", log_file, std::strerror(errno)));
        RunOptions opt;
        opt.cgroups = record(state, node).cgroups;
        opt.path_prefix = state.bin_dir;
        opt.detach = true;
        opt.output_fd = log.get();
        run_in_node(record(state, node).holder, argv, opt);
    }

    void create_node(ClusterState& state, const std::vector<CgroupHierarchy>& hierarchies, const UpOptions& opt,
                     int id, const std::string& key) {
        std::error_code ec;
        NodeFiles files{id, opt.nodes, opt.autodiscovery, key, node_dir(id),
                        host_dirs_to_keep_in_tmp({state.bin_dir, fs::current_path(ec).string(), state_dir()})};
        for (const char* sub : {"etc.upper", "etc.work", "tmp", "lib"}) fs::create_directories(files.dir + "/" + sub);
        fs::permissions(files.dir + "/tmp", fs::perms::all | fs::perms::sticky_bit);
        files.bare = opt.bare;

        NodeRecord rec = add_node_record(state, hierarchies, id);

        vcluster::set_cpu_share(rec.cgroups, opt.cpu_share);
        set_memory_limit(rec.cgroups, opt.memory_mb);
        rec.cpu_share = opt.cpu_share;
        rec.memory_limit_mb = opt.memory_mb;
        rec.holder = spawn_holder(CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC,
                                  fmt::format("vcluster-node{}", id), rec.cgroups,
                                  [&files] { set_up_node_filesystem(files); });
        *state.node(id) = rec;
        save_state(state);

        run_in_netns(state.switch_holder, {"ip", "-batch", "-"},
                     fmt::format("link add {0} type veth peer name eth0 netns {1}\n"
                                 "link set {0} master {2}\n"
                                 "link set {0} up\n",
                                 switch_port_name(id), rec.holder.pid, kSwitchBridge));
        run_in_netns(rec.holder, {"ip", "-batch", "-"},
                     fmt::format("link set lo up\n"
                                 "addr add {0}/{1} dev eth0\n"
                                 "link set eth0 up\n"
                                 "route add default via {2}\n",
                                 node_address(id), kPrefixLength, kSwitchAddress));
    }
};

}  // namespace

std::unique_ptr<Backend> make_netns_backend() { return std::make_unique<NetnsBackend>(); }

}  // namespace vcluster
