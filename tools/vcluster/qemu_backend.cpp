// The QEMU backends: every node is a QEMU TCG machine (x86_64, or IA32 for qemu-i386) with
// one vCPU, booting Debian's kernel with vm-images/boot's initramfs. Its root is a host
// directory shared read-only by virtio-9p under a writable overlay of its own: the host's
// / (qemu, by default) or a vm-images root filesystem (`--root image`, and always for
// qemu-i386, whose userland must be IA32). The host directories a node writes to are more
// 9p shares; its NIC is virtio-net on a TAP port of the cluster's switch. The rest
// (holder, port, guestd) is GuestBackend's.
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "qemu_backend.h"
#include "plan.h"
#include "switch.h"

namespace fs = std::filesystem;

namespace vcluster {
namespace {

std::string vm_cache() {
    const char* dir = std::getenv("OMX_VM_CACHE");
    return dir && *dir ? dir : "/var/cache/openmosix/vm-images";
}

std::string image_root(const QemuArch& arch) { return fmt::format("{}/{}/rootfs", vm_cache(), arch.debian); }

// The guests' root directory: what `--root` says ("image" = vm-images' root filesystem
// for the arch), else the host's / where the userland fits, else the image.
std::string choose_root(const QemuArch& arch, const std::string& asked) {
    std::string root = asked;
    if (root.empty()) root = arch.host_root_ok ? "/" : "image";
    if (root == "image") {
        root = image_root(arch);
        if (!fs::is_directory(root + "/usr/bin"))
            throw std::runtime_error(fmt::format("no {} root filesystem in {}: build it with `make vm-images ARCH={}`",
                                                 arch.debian, root, arch.debian));
    }
    if (!fs::is_directory(root)) throw std::runtime_error(fmt::format("--root {}: not a directory", root));
    return fs::canonical(root).string();
}

// The node's init inside the guest's root: our build's when the root is the host's (or
// holds the build at the same path), else the one installed in the image.
std::string node_init_path(const ClusterState& state) {
    const std::string ours = state.bin_dir + "/vcluster-node-init";
    if (fs::exists(fs::path(state.guest_root) / ours.substr(1))) return ours;
    for (const char* installed : {"/usr/local/bin/vcluster-node-init", "/usr/bin/vcluster-node-init"})
        if (fs::exists(fs::path(state.guest_root) / (installed + 1))) return installed;
    throw std::runtime_error(fmt::format("{} has no vcluster-node-init: rebuild the image (make vm-images)",
                                         state.guest_root));
}

std::string fsdev(const std::string& id, const std::string& path, bool readonly) {
    // multidevs=remap: the share spans several host file systems; keeps their inodes apart.
    return fmt::format("local,id={},path={},security_model=passthrough,multidevs=remap{}", id, path,
                       readonly ? ",readonly=on" : "");
}

}  // namespace

const QemuArch kQemuX86_64{"qemu", "amd64", "qemu-system-x86_64", "x86_64", true};
const QemuArch kQemuIa32{"qemu-i386", "i386", "qemu-system-i386", "i686", false};

// The guest's kernel and initramfs, made (once; cached) by vcluster-vm-boot.
BootFiles boot_files(const QemuArch& arch) {
    const std::string dir = fmt::format("{}/{}/boot", vm_cache(), arch.debian);
    BootFiles files{dir + "/vmlinuz", dir + "/initrd.gz"};
    // Another kernel for the nodes (e.g. `make kernel-i386`'s bzImage): the initramfs stays
    // ours; its modules are Debian's, so such a kernel has virtio, 9p and the rest built in.
    if (const char* k = std::getenv("VCLUSTER_QEMU_KERNEL"); k && *k) {
        if (!fs::exists(k)) throw std::runtime_error(fmt::format("VCLUSTER_QEMU_KERNEL={}: no such file", k));
        files.kernel = k;
    }
    if (fs::exists(files.kernel) && fs::exists(files.initrd)) return files;
    const std::string script = own_bin_dir() + "/vcluster-vm-boot";
    const std::string cmd = fmt::format("'{}' {} >&2", script, arch.debian);
    int rc = std::system(cmd.c_str());
    if (rc != 0 || !fs::exists(files.kernel) || !fs::exists(files.initrd))
        throw std::runtime_error(fmt::format("no {} kernel and initramfs for the nodes ({} failed: exit {})",
                                             arch.debian, script, WIFEXITED(rc) ? WEXITSTATUS(rc) : -1));
    return files;
}

void QemuBackend::prepare(ClusterState& state, const UpOptions& opt) {
    if (::access(("/usr/bin/" + arch_.emulator).c_str(), X_OK) != 0)
        throw std::runtime_error(fmt::format("{} not found: apt-get install qemu-system-x86", arch_.emulator));
    state.guest_root = choose_root(arch_, opt.root);
    boot_files(arch_);
    node_init_path(state);
}

std::string QemuBackend::kernel_cmdline(const ClusterState& state, const std::vector<std::string>& init_env) {
    std::string append = "console=ttyS0 quiet panic=-1 VC_SHARE=9p VC_INIT=" + node_init_path(state);
    for (const auto& e : init_env) append += " " + e;
    return append;
}

std::vector<std::string> QemuBackend::shared_dirs(const ClusterState& state) {
    std::vector<std::string> shared = {state_dir()};
    for (const auto& d : writable_host_dirs(state)) shared.push_back(d);
    return shared;
}

std::string QemuBackend::mac_address(int id) { return fmt::format("52:54:00:d2:00:{:02x}", id); }

std::vector<std::string> QemuBackend::boot_command(const ClusterState& state, int id,
                                                   const std::vector<std::string>& init_env) {
    BootFiles boot = boot_files(arch_);
    std::vector<std::string> argv = {
        "/usr/bin/" + arch_.emulator,
        "-name", fmt::format("node{}", id),
        "-accel", "tcg",
        "-m", std::to_string(state.guest_memory_mb),
        "-smp", "1",
        "-nodefaults", "-display", "none", "-monitor", "none", "-serial", "stdio",
        "-no-reboot",   // with panic=-1: a guest that dies ends its QEMU
        "-kernel", boot.kernel, "-initrd", boot.initrd, "-append", kernel_cmdline(state, init_env),
        "-fsdev", fsdev("root", state.guest_root, true),
        "-device", "virtio-9p-pci,fsdev=root,mount_tag=root",
        "-netdev", fmt::format("tap,id=net0,ifname={},script=no,downscript=no", switch_port_name(id)),
        "-device", "virtio-net-pci,netdev=net0,mac=" + mac_address(id),
    };
    auto shared = shared_dirs(state);
    for (size_t i = 0; i < shared.size(); ++i) {   // node_init.sh mounts rw<i>
        const std::string tag = fmt::format("rw{}", i);
        argv.insert(argv.end(), {"-fsdev", fsdev(tag, shared[i], false), "-device",
                                 fmt::format("virtio-9p-pci,fsdev={0},mount_tag={0}", tag)});
    }
    return argv;
}

std::unique_ptr<Backend> make_qemu_backend() { return std::make_unique<QemuBackend>(kQemuX86_64); }
std::unique_ptr<Backend> make_qemu_i386_backend() { return std::make_unique<QemuBackend>(kQemuIa32); }

}  // namespace vcluster
