// vcluster: a virtual openMosix cluster on one machine (docs/vcluster.md, vcluster(1)).
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "cluster.h"
#include "plan.h"
#include "proxy.h"
#include "sshd.h"

using namespace vcluster;
namespace fs = std::filesystem;

namespace {

// IA32 nodes run the IA32 build: by default the build-i386 tree next to ours (make build-i386).
std::string default_bin_dir(const std::string& backend) {
    if (backend != "qemu-i386") return own_bin_dir();
    return (fs::path(own_bin_dir()).parent_path().parent_path() / "build-i386" / "bin").string();
}

int node_arg(const Cluster& c, const std::string& text) { return parse_node_id(text, c.state().size); }

// `exec NODE cmd...` keeps everything after NODE for the command (its options included),
// so it is split off before CLI11 sees the line.
int run_exec(const std::vector<std::string>& args) {
    if (args.empty()) throw CLI::ValidationError("exec", "usage: vcluster exec NODE [command [args...]]");
    auto c = Cluster::current();
    int node = node_arg(c, args[0]);
    std::vector<std::string> cmd(args.begin() + 1, args.end());
    if (cmd.empty()) cmd = {"/bin/bash", "-i"};   // an interactive shell in the node
    return c.exec(node, cmd);
}

int run_logs(const std::string& node_text, bool follow) {
    auto c = Cluster::current();
    std::string path = c.log_path(node_arg(c, node_text));
    if (follow) {
        ::execlp("tail", "tail", "-n", "+1", "-f", path.c_str(), nullptr);
        throw std::runtime_error("cannot run tail");
    }
    std::ifstream in(path);
    if (!in) throw std::runtime_error(fmt::format("no log at {}", path));
    std::cout << in.rdbuf();
    return 0;
}

constexpr const char* kFooter = R"(
Nodes are 10.210.0.1 .. 10.210.0.N (hostnames node1 .. nodeN) on a bridge that lives in a
namespace of its own; each runs its own omxd. State is kept in $VCLUSTER_DIR (default
/run/vcluster). Every command needs root. See vcluster(1) and docs/vcluster.md.)";

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> all(argv + 1, argv + argc);
    try {
        if (!all.empty() && all[0] == "exec" && !(all.size() == 2 && (all[1] == "--help" || all[1] == "-h"))) {
            if (::geteuid() != 0) throw std::runtime_error("needs root (namespaces and cgroups); run it with sudo");
            return run_exec({all.begin() + 1, all.end()});
        }

        CLI::App app{"vcluster: a virtual openMosix cluster on this machine", "vcluster"};
        app.footer(kFooter);
        app.require_subcommand(1);

        UpOptions up_opt;
        std::string backend = "netns";
        double timeout = 60;
        std::string cpu_text = "0";
        auto* up = app.add_subcommand("up", "create N nodes, start omxd in each, wait until all see each other");
        up->add_option("nodes", up_opt.nodes, "number of nodes (1..250)")->required();
        up->add_flag("--auto", up_opt.autodiscovery, "no map file: the daemons find each other by autodiscovery");
        up->add_option("--cpu", cpu_text, "CPU share of every node in cores (0.5 = half a core; 0 = no limit)");
        up->add_option("--mem", up_opt.memory_mb, "memory limit of every node in MiB (0 = no limit)");
        up->add_option("--backend", backend, "kind of nodes")->check(CLI::IsMember(backend_names()));
        up->add_option("--timeout", timeout, "seconds to wait for the daemons to converge");
        up->add_option("--omxd-arg", up_opt.omxd_args, "extra option for every omxd (repeatable)")
            ->allow_extra_args(false);
        up->add_flag("--sshd", up_opt.sshd, "every node also runs an sshd (key login with the cluster's key; see `inventory`)");
        up->add_flag("--bare", up_opt.bare, "fresh machines: no map file, no cluster key, no omxd (install them with the playbooks)");
        up->add_option("--root", up_opt.root,
                       "qemu backends: the guests' root directory (default: / for qemu; 'image' = vm-images' root filesystem)");
        std::string bin_dir;
        up->add_option("--bin", bin_dir,
                       "the product the nodes run (a bin dir; default: vcluster's own; qemu-i386: the IA32 build, build-i386/bin)");

        auto* down = app.add_subcommand("down", "remove the cluster and everything it created");
        bool json = false;
        auto* status = app.add_subcommand("status", "every node's daemon and what it sees");
        status->add_flag("--json", json, "machine-readable output");
        app.add_subcommand("exec", "exec NODE [command...]: run a command in a node (a shell without one)");

        std::string node_text;
        auto* kill = app.add_subcommand("kill", "kill NODE's omxd with SIGKILL (the node stays)");
        kill->add_option("node", node_text, "node id")->required();
        auto* crash = app.add_subcommand("crash", "NODE dies: its link goes dead and every process in it is killed");
        crash->add_option("node", node_text, "node id")->required();
        auto* revive = app.add_subcommand("revive", "start NODE's omxd again (and its link, after a crash)");
        revive->add_option("node", node_text, "node id")->required();
        std::vector<std::string> part_nodes;
        auto* partition = app.add_subcommand("partition", "cut these nodes off the others (onto a switch of their own)");
        partition->add_option("nodes", part_nodes, "node ids")->required();
        auto* heal = app.add_subcommand("heal", "put every node back on the main switch");
        std::string share_text;
        auto* slow = app.add_subcommand("slow", "slow NODE CORES: limit a node to a CPU share (0 = no limit)");
        slow->add_option("node", node_text, "node id")->required();
        slow->add_option("cores", share_text, "cores, e.g. 0.25")->required();
        bool follow = false;
        auto* logs = app.add_subcommand("logs", "print NODE's omxd log");
        logs->add_option("node", node_text, "node id")->required();
        logs->add_flag("-f,--follow", follow, "keep printing as the log grows");
        std::string target;
        int port = 0;
        auto* proxy = app.add_subcommand("proxy", "proxy NODE PORT: stdin/stdout to NODE:PORT (an ssh ProxyCommand)");
        proxy->add_option("node", target, "node id, hostname or address")->required();
        proxy->add_option("port", port, "TCP port")->required();
        app.add_subcommand("inventory", "print the Ansible inventory of a cluster started with --sshd");

        try {
            app.parse(argc, argv);
        } catch (const CLI::ParseError& e) {
            return app.exit(e);
        }
        if (::geteuid() != 0) throw std::runtime_error("needs root (namespaces and cgroups); run it with sudo");

        if (up->parsed()) {
            up_opt.cpu_share = parse_cpu_share(cpu_text);
            Cluster::up(backend, up_opt, bin_dir.empty() ? default_bin_dir(backend) : bin_dir, timeout);
            return 0;
        }
        if (down->parsed()) return Cluster::down();
        auto c = Cluster::current();
        if (status->parsed()) {
            auto views = c.views();
            if (json) std::cout << status_json(c.state(), views).dump(2) << "\n";
            else std::cout << format_status_table(c.state(), views);
            return converged(views, c.state().size) ? 0 : 3;
        }
        if (kill->parsed()) c.kill_daemon(node_arg(c, node_text));
        if (revive->parsed()) c.revive(node_arg(c, node_text));
        if (crash->parsed()) c.crash(node_arg(c, node_text));
        if (partition->parsed()) {
            std::vector<int> ids;
            for (const auto& t : part_nodes) ids.push_back(node_arg(c, t));
            c.partition(ids);
        }
        if (heal->parsed()) c.heal();
        if (slow->parsed()) c.slow(node_arg(c, node_text), parse_cpu_share(share_text));
        if (logs->parsed()) return run_logs(node_text, follow);
        if (proxy->parsed()) return run_proxy(c.state(), target, port);
        if (app.got_subcommand("inventory")) {
            if (!sshd_enabled())
                throw std::runtime_error("this cluster has no sshd: start it with `vcluster up N --sshd`");
            std::cout << inventory_text(c.state(), current_inventory_paths());
        }
        return 0;
    } catch (const CLI::ValidationError& e) {
        std::cerr << "vcluster: " << e.what() << "\n";
        return 2;
    } catch (const std::invalid_argument& e) {
        std::cerr << "vcluster: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "vcluster: " << e.what() << "\n";
        return 1;
    }
}
