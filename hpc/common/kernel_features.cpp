#include "common/kernel_features.h"

#include <arpa/inet.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>

#include <fmt/format.h>

#include "common/fd.h"

namespace omx::kernel {

bool Report::ok() const {
    for (const auto& f : features)
        if (f.need == Need::required && !f.present) return false;
    return true;
}

std::vector<Feature> Report::missing(Need need) const {
    std::vector<Feature> out;
    for (const auto& f : features)
        if (f.need == need && !f.present) out.push_back(f);
    return out;
}

const char* need_name(Need need) { return need == Need::required ? "required" : "optional"; }

std::string describe(const std::vector<Feature>& features) {
    std::string out;
    for (const auto& f : features) {
        if (!out.empty()) out += ", ";
        out += fmt::format("{} ({})", f.title, f.kconfig);
    }
    return out;
}

nlohmann::json to_json(const Report& report) {
    auto rows = nlohmann::json::array();
    for (const auto& f : report.features)
        rows.push_back({{"name", f.name}, {"title", f.title}, {"kconfig", f.kconfig},
                        {"need", need_name(f.need)}, {"present", f.present}, {"detail", f.detail}});
    return {{"ok", report.ok()}, {"features", rows}};
}

namespace {

// What a probe found: present or not, and one line saying how.
struct Probe {
    bool present;
    std::string detail;
};

std::string errno_name(int err) {
    const char* name = strerrorname_np(err);
    return name ? name : std::to_string(err);
}

long sys_seccomp(unsigned op, unsigned flags, void* arg) { return syscall(SYS_seccomp, op, flags, arg); }

bool file_exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

bool file_has_word(const std::string& path, const std::string& word) {
    std::ifstream in(path);
    std::string w;
    while (in >> w)
        if (w == word) return true;
    return false;
}

Probe probe_seccomp_filter() {
    uint32_t action = SECCOMP_RET_ERRNO;
    if (sys_seccomp(SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0)
        return {true, "seccomp(SECCOMP_GET_ACTION_AVAIL) answers"};
    int seccomp_err = errno;
    // Kernels before 4.14 lack that operation; there a NULL filter program fails with
    // EFAULT only when filters are built in (EINVAL otherwise), and installs nothing.
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, nullptr, 0, 0) != 0 && errno == EFAULT)
        return {true, "prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER) accepted the mode"};
    return {false, fmt::format("seccomp(): {}, prctl(PR_SET_SECCOMP): {}", errno_name(seccomp_err),
                               errno_name(errno))};
}

Probe probe_seccomp_user_notif() {
    uint32_t action = SECCOMP_RET_USER_NOTIF;
    if (sys_seccomp(SECCOMP_GET_ACTION_AVAIL, 0, &action) != 0)
        return {false, "SECCOMP_RET_USER_NOTIF not available: " + errno_name(errno)};
    seccomp_notif_sizes sizes{};
    if (sys_seccomp(SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0)
        return {false, "SECCOMP_GET_NOTIF_SIZES: " + errno_name(errno)};
    return {true, fmt::format("SECCOMP_RET_USER_NOTIF; notif/resp/data sizes {}/{}/{}", sizes.seccomp_notif,
                              sizes.seccomp_notif_resp, sizes.seccomp_data)};
}

Probe probe_pidfd() {
    UniqueFd pidfd(int(syscall(SYS_pidfd_open, getpid(), 0)));
    if (!pidfd) return {false, "pidfd_open: " + errno_name(errno) + " (needs Linux 5.3)"};
    // Any answer but ENOSYS means the call exists (a security module may still say EPERM).
    UniqueFd copy(int(syscall(SYS_pidfd_getfd, pidfd.get(), pidfd.get(), 0)));
    if (!copy && errno == ENOSYS) return {false, "pidfd_getfd: ENOSYS (needs Linux 5.6)"};
    return {true, copy ? "pidfd_open, pidfd_getfd" : "pidfd_open; pidfd_getfd: " + errno_name(errno)};
}

Probe probe_cross_memory_attach() {
    const uint64_t want = 0x6f70656e4d6f7378;  // read back from our own address space
    uint64_t got = 0;
    iovec local{&got, sizeof got};
    iovec remote{const_cast<uint64_t*>(&want), sizeof want};
    if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) != ssize_t(sizeof got))
        return {false, "process_vm_readv: " + errno_name(errno)};
    if (got != want) return {false, "process_vm_readv read wrong bytes"};
    return {true, "process_vm_readv of our own memory"};
}

// A child that only waits to be traced; killed and reaped when the probe is done.
class IdleChild {
public:
    IdleChild() : pid_(fork()) {
        if (pid_ == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a checker that dies mid-probe
            for (;;) pause();
        }
    }
    IdleChild(const IdleChild&) = delete;
    IdleChild& operator=(const IdleChild&) = delete;
    ~IdleChild() {
        if (pid_ <= 0) return;
        kill(pid_, SIGKILL);
        while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {}
    }
    pid_t pid() const { return pid_; }

private:
    pid_t pid_;
};

std::string yama_scope() {
    std::ifstream in("/proc/sys/kernel/yama/ptrace_scope");
    std::string s;
    return in >> s ? "yama ptrace_scope " + s : "no yama";
}

Probe probe_ptrace() {
    IdleChild child;
    if (child.pid() < 0) return {false, "fork: " + errno_name(errno)};
    if (ptrace(PTRACE_SEIZE, child.pid(), nullptr, nullptr) != 0)
        return {false, fmt::format("PTRACE_SEIZE of a child: {} ({})", errno_name(errno), yama_scope())};
    return {true, "PTRACE_SEIZE of a child (" + yama_scope() + ")"};
}

Probe probe_namespace(const std::string& ns) {
    char target[64] = {};
    std::string path = "/proc/self/ns/" + ns;
    if (readlink(path.c_str(), target, sizeof target - 1) < 0)
        return {false, path + ": " + errno_name(errno)};
    return {true, target};
}

// Whether a cgroup v1 hierarchy with the cpu controller, or a v2 one offering cpu, is
// mounted; nodes and real hosts differ (v1 here, v2 on current distributions).
std::string mounted_cpu_controller() {
    std::ifstream in("/proc/self/mountinfo");
    std::string line;
    while (std::getline(in, line)) {
        auto dash = line.find(" - ");
        if (dash == std::string::npos) continue;
        std::istringstream pre(line.substr(0, dash)), post(line.substr(dash + 3));
        std::string id, parent, devno, root, mnt, fstype, source, opts;
        pre >> id >> parent >> devno >> root >> mnt;
        post >> fstype >> source >> opts;
        if (fstype == "cgroup" && ("," + opts + ",").find(",cpu,") != std::string::npos)
            return "cgroup v1 cpu at " + mnt;
        if (fstype == "cgroup2" && file_has_word(mnt + "/cgroup.controllers", "cpu"))
            return "cgroup v2 cpu at " + mnt;
    }
    return "";
}

Probe probe_cgroup_cpu() {
    if (auto where = mounted_cpu_controller(); !where.empty()) return {true, where};
    // Built in but not mounted (e.g. a mount namespace without /sys/fs/cgroup): the kernel
    // still lists the controller.
    std::ifstream in("/proc/cgroups");
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream row(line);
        std::string name, hierarchy, count, enabled;
        if (row >> name >> hierarchy >> count >> enabled && name == "cpu")
            return {enabled == "1", enabled == "1" ? "cpu controller in /proc/cgroups, not mounted here"
                                                   : "cpu controller disabled (cgroup_disable=cpu?)"};
    }
    return {false, "no cpu controller mounted nor in /proc/cgroups"};
}

Probe probe_multicast() {
    // /proc/net/igmp exists only with CONFIG_IP_MULTICAST; joining a group without it
    // still "works" locally, so the join below only adds detail.
    if (!file_exists("/proc/net/igmp")) return {false, "no /proc/net/igmp"};
    UniqueFd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ip_mreq req{};
    inet_pton(AF_INET, "239.255.46.60", &req.imr_multiaddr);  // admin-scoped; joined on lo only
    inet_pton(AF_INET, "127.0.0.1", &req.imr_interface);
    if (sock && setsockopt(sock.get(), IPPROTO_IP, IP_ADD_MEMBERSHIP, &req, sizeof req) == 0)
        return {true, "/proc/net/igmp; a socket joined a group on lo"};
    return {true, "/proc/net/igmp (joining on lo: " + errno_name(errno) + ")"};
}

Probe probe_fuse() {
    if (file_exists("/dev/fuse")) return {true, "/dev/fuse"};
    if (file_has_word("/proc/filesystems", "fuse")) return {true, "fuse in /proc/filesystems (no /dev/fuse)"};
    return {false, "no /dev/fuse, no fuse in /proc/filesystems (modprobe fuse?)"};
}

Probe probe_overlayfs() {
    if (file_has_word("/proc/filesystems", "overlay")) return {true, "overlay in /proc/filesystems"};
    return {false, "no overlay in /proc/filesystems (modprobe overlay?)"};
}

Probe probe_tun() {
    if (file_exists("/dev/net/tun")) return {true, "/dev/net/tun"};
    return {false, "no /dev/net/tun (modprobe tun?)"};
}

// PR_SET_MM_MAP_SIZE answers only when the kernel has CONFIG_CHECKPOINT_RESTORE.
Probe probe_checkpoint_restore() {
    unsigned size = 0;
    if (::prctl(PR_SET_MM, PR_SET_MM_MAP_SIZE, &size, 0, 0) == 0)
        return {true, fmt::format("PR_SET_MM_MAP ({} bytes)", size)};
    return {false, "no PR_SET_MM_MAP: restore sets the memory map one field at a time"};
}

struct FeatureProbe {
    const char* name;
    const char* title;
    const char* kconfig;
    Need need;
    std::function<Probe()> probe;
};

// One row per feature, in the order of kernel/openmosix.config.
const std::vector<FeatureProbe>& feature_probes() {
    auto ns = [](const char* n) { return [n] { return probe_namespace(n); }; };
    static const std::vector<FeatureProbe> probes = {
        {"seccomp-filter", "seccomp filter", "CONFIG_SECCOMP_FILTER", Need::required, probe_seccomp_filter},
        {"seccomp-user-notif", "seccomp user notification", "CONFIG_SECCOMP_FILTER", Need::required,
         probe_seccomp_user_notif},
        {"pidfd", "pidfd_open/pidfd_getfd", "-", Need::required, probe_pidfd},
        {"checkpoint-restore", "checkpoint/restore prctls", "CONFIG_CHECKPOINT_RESTORE", Need::optional,
         probe_checkpoint_restore},
        {"cross-memory-attach", "cross-memory attach", "CONFIG_CROSS_MEMORY_ATTACH", Need::required,
         probe_cross_memory_attach},
        {"ptrace", "ptrace", "-", Need::required, probe_ptrace},
        {"mount-ns", "mount namespace", "CONFIG_NAMESPACES", Need::required, ns("mnt")},
        {"net-ns", "network namespace", "CONFIG_NET_NS", Need::required, ns("net")},
        {"pid-ns", "pid namespace", "CONFIG_PID_NS", Need::required, ns("pid")},
        {"uts-ns", "uts namespace", "CONFIG_UTS_NS", Need::required, ns("uts")},
        {"ipc-ns", "ipc namespace", "CONFIG_IPC_NS", Need::required, ns("ipc")},
        {"user-ns", "user namespace", "CONFIG_USER_NS", Need::optional, ns("user")},
        {"cgroup-cpu", "cgroup cpu controller", "CONFIG_CGROUP_SCHED", Need::required, probe_cgroup_cpu},
        {"multicast", "IP multicast", "CONFIG_IP_MULTICAST", Need::required, probe_multicast},
        {"fuse", "FUSE", "CONFIG_FUSE_FS", Need::optional, probe_fuse},
        {"tun", "TUN/TAP", "CONFIG_TUN", Need::optional, probe_tun},
        {"overlayfs", "overlayfs", "CONFIG_OVERLAY_FS", Need::optional, probe_overlayfs},
    };
    return probes;
}

}  // namespace

Report check_running_kernel() {
    Report report;
    for (const auto& p : feature_probes()) {
        Probe found = p.probe();
        report.features.push_back({p.name, p.title, p.kconfig, p.need, found.present, std::move(found.detail)});
    }
    return report;
}

}  // namespace omx::kernel
