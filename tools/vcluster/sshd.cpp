#include "sshd.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "common/fd.h"
#include "host_command.h"
#include "namespaces.h"
#include "plan.h"
#include "text_file.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace vcluster {

std::string ssh_dir() { return state_dir() + "/ssh"; }
std::string client_key_path() { return ssh_dir() + "/id_ed25519"; }
std::string inventory_path() { return state_dir() + "/inventory.ini"; }
bool sshd_enabled() { return fs::exists(client_key_path()); }

namespace {


void make_key(const std::string& path, const std::string& comment) {
    if (fs::exists(path)) return;
    run_host_tool({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path});
}

}  // namespace

// An sshd answers a new connection with its banner, "SSH-2.0-...".
bool sshd_answers(const ClusterState& state, int node) {
    try {
        auto sock = connect_in_netns(state.switch_holder, node_address(node), kSshPort, 500);
        pollfd p{sock.get(), POLLIN, 0};
        char banner[8] = {};
        return ::poll(&p, 1, 1000) == 1 && ::read(sock.get(), banner, 4) == 4 && std::string(banner, 4) == "SSH-";
    } catch (const std::exception&) {
        return false;
    }
}

void ensure_client_key() {
    fs::create_directories(ssh_dir());
    fs::permissions(ssh_dir(), fs::perms::owner_all);
    make_key(client_key_path(), fmt::format("vcluster@{}", state_dir()));
}

std::string sshd_config_text(const std::string& dir_in_node, const std::string& address) {
    return fmt::format(
        "# written by `vcluster up --sshd`: the node's own sshd; the host's /etc/ssh is not used\n"
        "ListenAddress {1}:{2}\n"
        "HostKey {0}/ssh_host_ed25519_key\n"
        "AuthorizedKeysFile {0}/authorized_keys\n"
        "PidFile /run/sshd.pid\n"
        "PermitRootLogin prohibit-password\n"
        "PasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\n"
        "UsePAM no\n"
        "UseDNS no\n"
        "X11Forwarding no\n"
        "PrintMotd no\n"
        // lastlog is the host's file: the nodes share /var/log.
        "PrintLastLog no\n"
        "AcceptEnv LANG LC_*\n"
        "Subsystem sftp internal-sftp\n",
        dir_in_node, address, kSshPort);
}

std::string write_node_sshd_files(const std::string& host_dir, const std::string& dir_in_node,
                                  const std::string& address) {
    fs::create_directories(host_dir);
    make_key(host_dir + "/ssh_host_ed25519_key", "host key of " + address);
    write_text_file(host_dir + "/authorized_keys", read_text_file(client_key_path() + ".pub"),
               fs::perms::owner_read | fs::perms::owner_write);
    write_text_file(host_dir + "/sshd_config", sshd_config_text(dir_in_node, address),
               fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
    return dir_in_node + "/sshd_config";
}

void wait_for_sshd(const ClusterState& state, double timeout_s) {
    auto t0 = Clock::now();
    std::vector<int> waiting;
    for (const auto& n : state.nodes) waiting.push_back(n.id);
    while (!waiting.empty()) {
        std::erase_if(waiting, [&](int id) { return sshd_answers(state, id); });
        if (waiting.empty()) return;
        if (std::chrono::duration<double>(Clock::now() - t0).count() > timeout_s) {
            std::string which;
            for (int id : waiting) which += fmt::format(" {}", id);
            throw std::runtime_error(fmt::format("sshd did not answer within {:.0f} s on node(s){} (see "
                                                 "{}/node<N>/sshd.log; the cluster stays up)",
                                                 timeout_s, which, state_dir()));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

std::string inventory_text(const ClusterState& state, const InventoryPaths& paths) {
    std::string out = fmt::format(
        "# Ansible inventory of the virtual cluster in {} ({} {} nodes), written by vcluster.\n"
        "# The nodes are reached over ssh through `vcluster proxy`; see docs/ansible.md.\n"
        "[openmosix]\n",
        paths.state_dir, state.size, state.backend);
    for (const auto& n : state.nodes)
        out += fmt::format("{} ansible_host={} omx_node_id={}\n", node_hostname(n.id), node_address(n.id), n.id);
    out += fmt::format(
        "\n# where omx-stress runs (stress.yml)\n[omx_controller]\n{}\n\n"
        "[all:vars]\n"
        "ansible_user=root\n"
        "ansible_ssh_private_key_file={}\n"
        "ansible_ssh_common_args='-o ProxyCommand=\"env VCLUSTER_DIR={} {} proxy %h {}\" "
        "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'\n"
        "ansible_python_interpreter=/usr/bin/python3\n"
        "ansible_ssh_pipelining=true\n"
        "# /tmp is each node's own; the host's ~/.ansible is shared by all nodes\n"
        "ansible_remote_tmp=/tmp/.ansible\n"
        "ansible_async_dir=/tmp/.ansible_async\n"
        "# ssh's connection sharing by address: other clusters use the same addresses\n"
        "ansible_control_path_dir={}/cp\n"
        "omx_agent_port=4670\n"
        "omx_autodiscovery={}\n"
        "# netns nodes share the host's /usr: the product goes under each node's own /var/lib/omxd\n"
        "omx_prefix=/var/lib/omxd/prefix\n"
        "omx_log_dir=/var/lib/omxd/log\n"
        "omx_bin_dir={}\n",
        node_hostname(state.nodes.empty() ? 1 : state.nodes.front().id), paths.client_key, paths.state_dir,
        paths.vcluster, kSshPort, paths.state_dir + "/ssh", state.autodiscovery ? "true" : "false", state.bin_dir);
    return out;
}

InventoryPaths current_inventory_paths() {
    return {fs::read_symlink("/proc/self/exe").string(), fs::absolute(state_dir()).string(), client_key_path()};
}

void wait_for_sshd_and_write_inventory(const ClusterState& state, double timeout_s) {
    wait_for_sshd(state, timeout_s);
    write_text_file(inventory_path(), inventory_text(state, current_inventory_paths()),
               fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
}

}  // namespace vcluster
