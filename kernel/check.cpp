// omx-kernel-check — is this an openMosix kernel? Probes the running kernel for what the
// openMosix layer uses (kernel/openmosix.config), or checks a kernel .config against the
// fragment. Exit status: 0 every required feature present, 1 something required missing,
// 2 bad usage. The probes live in hpc/common/kernel_features (omxd runs the same check).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "common/kernel_features.h"
#include "tool_main.h"

extern const char* const kOpenMosixFragment;

namespace {

using namespace omx::kernel;
using namespace omx::tools;

constexpr const char* kTool = "omx-kernel-check";

struct Args {
    bool config_mode = false;
    std::string config_file;  // "" with config_mode: the running kernel's config
    std::string fragment_file;
    std::string arch;
    bool strict = false;
    bool json = false;
};

void print_table(const Report& report) {
    size_t name_w = 7, kconfig_w = 6;
    for (const auto& f : report.features) {
        name_w = std::max(name_w, f.name.size());
        kconfig_w = std::max(kconfig_w, f.kconfig.size());
    }
    std::cout << fmt::format("{:<{}}  {:<{}}  {:<8}  {:<7}  {}\n", "feature", name_w, "kconfig", kconfig_w,
                             "need", "state", "detail");
    for (const auto& f : report.features)
        std::cout << fmt::format("{:<{}}  {:<{}}  {:<8}  {:<7}  {}\n", f.name, name_w, f.kconfig, kconfig_w,
                                 need_name(f.need), f.present ? "ok" : "MISSING", f.detail);
}

void print_summary(const Report& report, const std::string& subject) {
    auto required = report.missing(Need::required), optional = report.missing(Need::optional);
    if (!optional.empty()) std::cout << "optional, missing: " << describe(optional) << "\n";
    if (required.empty())
        std::cout << subject << " has everything openMosix requires\n";
    else
        std::cout << "missing: " << describe(required) << "\n";
}

Fragment load_fragment(const std::string& file) {
    if (file.empty()) return Fragment::parse(kOpenMosixFragment, "openmosix.config (built in)");
    std::ifstream in(file);
    if (!in) throw ToolError("cannot read fragment " + file + ": " + std::strerror(errno));
    std::stringstream text;
    text << in.rdbuf();
    return Fragment::parse(text.str(), file);
}

int run(const Args& a) {
    Report report;
    std::string subject = "this kernel";
    if (a.config_mode) {
        std::string path = a.config_file.empty() ? running_config_path() : a.config_file;
        if (path.empty())
            throw ToolError("the running kernel's config is in neither /proc/config.gz nor /boot/config-RELEASE; "
                            "give --config FILE");
        KernelConfig config = read_config_file(path);
        std::string arch = a.arch.empty() ? config_arch(config) : a.arch;
        report = check_config(load_fragment(a.fragment_file), config, arch, a.strict);
        subject = path + (arch.empty() ? "" : " (" + arch + ")");
    } else {
        report = check_running_kernel();
    }
    if (a.json) {
        auto j = to_json(report);
        j["subject"] = subject;
        std::cout << j.dump(2) << "\n";
    } else {
        print_table(report);
        print_summary(report, subject);
    }
    return report.ok() ? kExitOk : kExitFailure;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"omx-kernel-check - is this an openMosix kernel? Probes the running kernel for what "
                 "openMosix needs (kernel/openmosix.config), or checks a kernel .config.\n"
                 "Exit status: 0 all required features present, 1 some missing, 2 bad usage."};
    Args a;
    auto* config = app.add_option("--config", a.config_file,
                                  "check this kernel .config (or .config.gz) against the fragment instead of "
                                  "probing; without FILE: /proc/config.gz or /boot/config-$(uname -r)")
                       ->expected(0, 1)
                       ->type_name("[FILE]");
    app.add_option("--fragment", a.fragment_file, "with --config: this fragment instead of the built-in one")
        ->check(CLI::ExistingFile);
    app.add_option("--arch", a.arch, "with --config: arch groups to apply (default: from the config)")
        ->check(CLI::IsMember({"um", "x86"}));
    app.add_flag("--strict", a.strict, "with --config: optional symbols are required too (verifies a built kernel)");
    app.add_flag("--json", a.json, "print the result as JSON");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        return run_tool(kTool, [&]() -> int { throw UsageError(e.what()); });
    }
    a.config_mode = config->count() > 0;
    return run_tool(kTool, [&] {
        if (!a.config_mode && (a.strict || !a.arch.empty() || !a.fragment_file.empty()))
            throw UsageError("--strict, --arch and --fragment go with --config");
        return run(a);
    });
}
