// The libvirt backend: the QEMU x86_64 nodes of the qemu backend, defined and started as
// libvirt domains (vcluster-node1, …) so that `virsh list`, `virsh dominfo`, `virsh
// destroy` … see and manage them. vcluster runs a libvirtd of its own for the cluster: in
// the switch's network namespace (the domains' TAP ports are there, so no node traffic
// reaches the host's interfaces), in a mount namespace where /etc/libvirt, /var/lib/libvirt,
// /var/cache/libvirt and /var/log/libvirt are the cluster's own directories (the host's
// libvirt setup stays as it was), with its socket in the host's /run/libvirt so a plain
// `virsh` on the host reaches it. `down` undefines the domains and stops that libvirtd.
#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "cgroups.h"
#include "common/fd.h"
#include "host_changes.h"
#include "host_command.h"
#include "namespaces.h"
#include "qemu_backend.h"
#include "switch.h"
#include "text_file.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace vcluster {
namespace {

constexpr const char* kUri = "qemu:///system";
constexpr const char* kRunDir = "/run/libvirt";
constexpr double kDaemonStartTimeoutS = 30;

std::string domain_name(int id) { return fmt::format("vcluster-node{}", id); }
std::string libvirt_dir() { return state_dir() + "/libvirt"; }

std::vector<std::string> virsh_argv(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"virsh", "-q", "-c", kUri};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

// virsh on our daemon: the answer to look at, or (virsh_or_throw) its output as the error.
HostCommandResult virsh(const std::vector<std::string>& args) { return run_host_command(virsh_argv(args)); }
void virsh_or_throw(const std::vector<std::string>& args) { run_host_tool(virsh_argv(args)); }

std::string xml_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '\'': out += "&apos;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

// The daemon's configuration: no authentication on its root-only socket, QEMU run as root
// without a security driver, cgroups or private /dev (vcluster does the node's cgroups).
void write_daemon_config(const std::string& etc) {
    fs::create_directories(etc + "/qemu");
    write_text_file(etc + "/libvirtd.conf",
               "unix_sock_group = \"root\"\n"
               "unix_sock_ro_perms = \"0700\"\n"
               "unix_sock_rw_perms = \"0700\"\n"
               "auth_unix_ro = \"none\"\n"
               "auth_unix_rw = \"none\"\n"
               "log_outputs = \"3:stderr\"\n");
    write_text_file(etc + "/qemu.conf",
               "user = \"root\"\n"
               "group = \"root\"\n"
               "dynamic_ownership = 0\n"
               "remember_owner = 0\n"
               "security_driver = \"none\"\n"
               "cgroup_controllers = [ ]\n"
               "namespaces = [ ]\n"
               // 9p passthrough acts with the guest user's ids: QEMU keeps root's capabilities.
               "clear_emulator_capabilities = 0\n");
}

void bind_mount(const std::string& from, const std::string& to) {
    fs::create_directories(to);
    if (::mount(from.c_str(), to.c_str(), nullptr, MS_BIND, nullptr) != 0)
        throw std::runtime_error(fmt::format("cannot bind {} on {}: {}", from, to, std::strerror(errno)));
}

bool daemon_answers() { return virsh({"uri"}).status == 0; }

// Where libvirt puts its domains' cgroups, even with no controllers: <root>/machine of
// every cgroup hierarchy (v2's root, or each v1 one).
std::vector<std::string> machine_cgroup_dirs() {
    std::vector<std::string> dirs;
    std::error_code ec;
    if (fs::exists("/sys/fs/cgroup/cgroup.procs", ec)) dirs.push_back("/sys/fs/cgroup/machine");
    for (const auto& e : fs::directory_iterator("/sys/fs/cgroup", ec))
        if (fs::exists(e.path() / "cgroup.procs", ec)) dirs.push_back((e.path() / "machine").string());
    return dirs;
}

// A cgroup and the groups under it, deepest first (cgroups go by rmdir, leaves first).
void remove_cgroup_tree(const fs::path& dir, std::vector<std::string>& left) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.is_directory(ec)) remove_cgroup_tree(e.path(), left);
    for (const auto& d : remove_cgroups({dir.string()})) left.push_back("cgroup " + d);
}

// What libvirt left of our domains' cgroups when its daemon died with them, and the
// machine groups themselves when they were ours.
void remove_domain_cgroups(const ClusterState& state, std::vector<std::string>& left) {
    std::error_code ec;
    for (const auto& machine : machine_cgroup_dirs()) {
        for (const auto& e : fs::directory_iterator(machine, ec)) {
            const std::string name = e.path().filename().string();
            for (const auto& n : state.nodes)
                if (name.starts_with("qemu-") && name.ends_with("-" + domain_name(n.id) + ".libvirt-qemu"))
                    remove_cgroup_tree(e.path(), left);
        }
        if (std::find(state.host_dirs_created.begin(), state.host_dirs_created.end(), machine) !=
            state.host_dirs_created.end())
            remove_cgroups({machine});
    }
}

class LibvirtBackend : public QemuBackend {
public:
    LibvirtBackend() : QemuBackend(kQemuX86_64) {}
    std::string name() const override { return "libvirt"; }

    std::vector<std::string> down(ClusterState& state) override {
        std::vector<std::string> left;
        if (state.libvirt_holder.alive()) {
            for (const auto& n : state.nodes) {
                virsh({"destroy", domain_name(n.id)});   // fails when not running: fine
                auto r = virsh({"undefine", domain_name(n.id)});
                if (r.status != 0 && r.output.find("failed to get domain") == std::string::npos)
                    left.push_back(fmt::format("domain {}: {}", domain_name(n.id), r.output));
            }
            try {
                kill_holder(state.libvirt_holder);
            } catch (const std::exception& e) {
                left.push_back(fmt::format("libvirtd: {}", e.what()));
            }
        }
        remove_domain_cgroups(state, left);
        // The daemon we started leaves its socket and pid files in the host's /run/libvirt.
        if (std::find(state.host_dirs_created.begin(), state.host_dirs_created.end(), kRunDir) !=
            state.host_dirs_created.end()) {
            std::error_code ec;
            for (const auto& e : fs::directory_iterator(kRunDir, ec)) fs::remove_all(e.path(), ec);
        }
        auto rest = QemuBackend::down(state);
        left.insert(left.end(), rest.begin(), rest.end());
        return left;
    }

protected:
    void prepare(ClusterState& state, const UpOptions& opt) override {
        if (::access("/usr/sbin/libvirtd", X_OK) != 0 || ::access("/usr/bin/virsh", X_OK) != 0)
            throw std::runtime_error(
                "libvirtd or virsh not found: apt-get install libvirt-daemon-system libvirt-clients");
        if (daemon_answers())
            throw std::runtime_error(
                "a libvirtd already runs on this host; vcluster's libvirt nodes need one of their own inside the "
                "cluster's network namespace (stop it, or use --backend qemu)");
        for (int id = 1; id <= opt.nodes; ++id)
            if (virsh({"dominfo", domain_name(id)}).status == 0)
                throw std::runtime_error(fmt::format("a libvirt domain {} exists already", domain_name(id)));
        QemuBackend::prepare(state, opt);
    }

    // Our libvirtd, once the switch (where its QEMUs must open the TAP ports) exists.
    void prepare_network(ClusterState& state) override {
        const std::string dir = libvirt_dir();
        for (const char* sub : {"etc", "lib", "cache", "log"}) fs::create_directories(dir + "/" + sub);
        write_daemon_config(dir + "/etc");
        ensure_host_dir(state, kRunDir);
        for (const auto& machine : machine_cgroup_dirs())   // libvirtd will make them: ours to remove
            if (!fs::exists(machine)) state.host_dirs_created.push_back(machine);
        save_state(state);

        const std::string switch_net = fmt::format("/proc/{}/ns/net", state.switch_holder.pid);
        state.libvirt_holder = spawn_holder(CLONE_NEWNS, "vcluster-libvirt", {}, [&switch_net, &dir] {
            omx::UniqueFd net(::open(switch_net.c_str(), O_RDONLY | O_CLOEXEC));
            if (!net || ::setns(net.get(), CLONE_NEWNET) != 0)
                throw std::runtime_error(fmt::format("cannot join the switch's network: {}", std::strerror(errno)));
            if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
                throw std::runtime_error(fmt::format("cannot make mounts private: {}", std::strerror(errno)));
            // Its own PID namespace: libvirtd reads its QEMUs' /proc entries by their pids there.
            if (::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
                throw std::runtime_error(fmt::format("cannot mount /proc: {}", std::strerror(errno)));
            bind_mount(dir + "/etc", "/etc/libvirt");
            bind_mount(dir + "/lib", "/var/lib/libvirt");
            bind_mount(dir + "/cache", "/var/cache/libvirt");
            bind_mount(dir + "/log", "/var/log/libvirt");
        });
        save_state(state);

        omx::UniqueFd log(::open((dir + "/libvirtd.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
        if (!log) throw std::runtime_error(fmt::format("cannot open {}/libvirtd.log", dir));
        RunOptions run;
        run.detach = true;
        run.output_fd = log.get();
        // virtlogd writes the guests' consoles and QEMU's own log for libvirtd.
        run_in_node(state.libvirt_holder, {"/usr/sbin/virtlogd"}, run);
        run_in_node(state.libvirt_holder, {"/usr/sbin/libvirtd"}, run);
        auto t0 = Clock::now();
        while (!daemon_answers()) {
            if (std::chrono::duration<double>(Clock::now() - t0).count() > kDaemonStartTimeoutS)
                throw std::runtime_error(fmt::format("libvirtd did not answer within {:.0f} s (see {}/libvirtd.log)",
                                                     kDaemonStartTimeoutS, dir));
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
    }

    void start_guest(const ClusterState& state, int id, const std::vector<std::string>& init_env) override {
        const std::string xml_path = node_dir(id) + "/domain.xml";
        write_text_file(xml_path, domain_xml(state, id, init_env));
        // A revive: the domain is still defined (shut off); define it anew, as it is now.
        if (virsh({"dominfo", domain_name(id)}).status == 0)
            virsh_or_throw({"undefine", domain_name(id)});
        virsh_or_throw({"define", xml_path});
        virsh_or_throw({"start", domain_name(id)});
        put_in_node_cgroups(state, id);
    }

    void stop_guest(const ClusterState&, int id) override { virsh({"destroy", domain_name(id)}); }

    bool guest_running(const ClusterState&, int id) override {
        auto r = virsh({"domstate", domain_name(id)});
        return r.status == 0 && r.output.rfind("running", 0) == 0;
    }

private:
    std::string domain_xml(const ClusterState& state, int id, const std::vector<std::string>& init_env) {
        BootFiles boot = boot_files(arch());
        std::string filesystems = fmt::format(
            "    <filesystem type='mount' accessmode='passthrough'><source dir='{}'/><target dir='root'/>"
            "<readonly/></filesystem>\n",
            xml_escape(state.guest_root));
        auto shared = shared_dirs(state);
        for (size_t i = 0; i < shared.size(); ++i)   // node_init.sh mounts rw<i>
            filesystems += fmt::format(
                "    <filesystem type='mount' accessmode='passthrough'><source dir='{}'/><target dir='rw{}'/>"
                "</filesystem>\n",
                xml_escape(shared[i]), i);
        return fmt::format(
            "<domain type='qemu'>\n"
            "  <name>{name}</name>\n"
            "  <memory unit='MiB'>{mem}</memory>\n"
            "  <vcpu>1</vcpu>\n"
            "  <os>\n"
            "    <type arch='{arch}' machine='pc'>hvm</type>\n"
            "    <kernel>{kernel}</kernel>\n"
            "    <initrd>{initrd}</initrd>\n"
            "    <cmdline>{cmdline}</cmdline>\n"
            "  </os>\n"
            "  <on_poweroff>destroy</on_poweroff>\n"
            "  <on_reboot>destroy</on_reboot>\n"
            "  <on_crash>destroy</on_crash>\n"
            "  <devices>\n"
            "    <emulator>/usr/bin/{emulator}</emulator>\n"
            "{filesystems}"
            "    <interface type='ethernet'><mac address='{mac}'/><target dev='{tap}' managed='no'/>"
            "<model type='virtio'/></interface>\n"
            "    <serial type='file'><source path='{console}' append='on'/><target port='0'/></serial>\n"
            "    <memballoon model='none'/>\n"
            "  </devices>\n"
            "</domain>\n",
            fmt::arg("name", domain_name(id)), fmt::arg("mem", state.guest_memory_mb),
            fmt::arg("arch", arch().libvirt), fmt::arg("kernel", xml_escape(boot.kernel)),
            fmt::arg("initrd", xml_escape(boot.initrd)),
            fmt::arg("cmdline", xml_escape(kernel_cmdline(state, init_env))), fmt::arg("emulator", arch().emulator),
            fmt::arg("filesystems", filesystems), fmt::arg("mac", mac_address(id)),
            fmt::arg("tap", switch_port_name(id)), fmt::arg("console", xml_escape(node_dir(id) + "/console.log")));
    }

    // libvirt starts the QEMU; `--cpu` and `slow` act on the node's cgroups, so it goes there.
    void put_in_node_cgroups(const ClusterState& state, int id) {
        const std::string marker = "guest=" + domain_name(id) + ",";
        auto procs = open_procs_files(record(state, id).cgroups);
        for (int pid : processes_in_node(state.libvirt_holder, {})) {
            std::ifstream in(fmt::format("/proc/{}/cmdline", pid));
            std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            if (cmdline.find(marker) != std::string::npos) move_pid(procs, pid);
        }
    }
};

}  // namespace

std::unique_ptr<Backend> make_libvirt_backend() { return std::make_unique<LibvirtBackend>(); }

}  // namespace vcluster
