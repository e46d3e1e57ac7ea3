#pragma once
// The QEMU backends (qemu, qemu-i386) and what the libvirt backend takes from them: the
// arch, the guests' root, the kernel and initramfs, the kernel command line, the 9p shares.
#include <string>
#include <vector>

#include "guest_backend.h"

namespace vcluster {

struct QemuArch {
    std::string backend;   // "qemu", "qemu-i386"
    std::string debian;    // "amd64", "i386": vm-images' name for it
    std::string emulator;  // qemu-system-…
    std::string libvirt;   // the domain's <type arch=…>
    bool host_root_ok;     // can run on the host's own / (same userland)
};

extern const QemuArch kQemuX86_64;
extern const QemuArch kQemuIa32;

// The guest's kernel and initramfs, made (once; cached) by vcluster-vm-boot.
struct BootFiles {
    std::string kernel, initrd;
};
BootFiles boot_files(const QemuArch& arch);

class QemuBackend : public GuestBackend {
public:
    explicit QemuBackend(QemuArch arch) : arch_(std::move(arch)) {}
    std::string name() const override { return arch_.backend; }

protected:
    void prepare(ClusterState& state, const UpOptions& opt) override;
    double boot_timeout_s() const override { return 240; }   // TCG: every instruction emulated
    std::vector<std::string> boot_command(const ClusterState& state, int id,
                                          const std::vector<std::string>& init_env) override;

    const QemuArch& arch() const { return arch_; }
    // The guest kernel's command line: console, the node init and its VC_* environment.
    static std::string kernel_cmdline(const ClusterState& state, const std::vector<std::string>& init_env);
    // The host directories shared writable with a node, in tag order rw0, rw1, …
    static std::vector<std::string> shared_dirs(const ClusterState& state);
    // Each node its own MAC: QEMU's default one is the same for every guest.
    static std::string mac_address(int id);

private:
    QemuArch arch_;
};

}  // namespace vcluster
