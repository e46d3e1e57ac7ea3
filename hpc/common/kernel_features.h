#pragma once
// What the openMosix layer needs from the kernel (kernel/openmosix.config), probed on the
// running kernel, or read from a kernel .config: the modern "is this an openMosix kernel?".
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace omx::kernel {

enum class Need { required, optional };

struct Feature {
    std::string name;     // short id, as in the table: "seccomp-filter"
    std::string title;    // what a user reads in "missing: …": "seccomp filter"
    std::string kconfig;  // the option that provides it, or "-" when none does
    Need need = Need::required;
    bool present = false;
    std::string detail;   // one line: how it was found, or why it is missing
};

struct Report {
    std::vector<Feature> features;

    bool ok() const;  // every required feature present
    std::vector<Feature> missing(Need need) const;
};

// "seccomp filter (CONFIG_SECCOMP_FILTER), pidfd (-)" — the list printed after "missing:".
std::string describe(const std::vector<Feature>& features);
nlohmann::json to_json(const Report& report);
const char* need_name(Need need);

// Probes the running kernel by calling what we use (seccomp, pidfd_open, process_vm_readv,
// ptrace on a child, …): a kernel without an option fails the call, whatever its config
// claims. Takes a few milliseconds (one short-lived child for the ptrace probe).
Report check_running_kernel();

// ---- .config mode -----------------------------------------------------------------------

struct FragmentGroup {
    std::string name;
    Need need = Need::required;
    std::string arch;  // "" = every architecture, else "um" or "x86"
    std::vector<std::pair<std::string, std::string>> symbols;  // CONFIG_X -> wanted value
};

struct Fragment {
    std::vector<FragmentGroup> groups;

    // Throws std::runtime_error("ORIGIN:LINE: …") on a line it does not understand.
    static Fragment parse(std::string_view text, const std::string& origin);
};

// CONFIG_X -> value ("y", "m", "\"str\"", "42"); "# CONFIG_X is not set" gives "n".
using KernelConfig = std::map<std::string, std::string>;
KernelConfig parse_config(std::string_view text);
// Plain or gzip'ed (/proc/config.gz). Throws std::runtime_error naming the file.
KernelConfig read_config_file(const std::string& path);
// The running kernel's config: /proc/config.gz, else /boot/config-RELEASE; "" if neither.
std::string running_config_path();
// "um" (CONFIG_UML), "x86" (CONFIG_X86: i386 and x86_64), else "".
std::string config_arch(const KernelConfig& config);

// One row per fragment symbol of the groups for `arch` (all arch-less groups plus
// arch=ARCH ones). `strict` makes optional groups required (used to verify a kernel we
// built from the fragment: there every symbol must have stuck).
Report check_config(const Fragment& fragment, const KernelConfig& config, const std::string& arch,
                    bool strict = false);

}  // namespace omx::kernel
