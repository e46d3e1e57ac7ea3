#include <fmt/format.h>

#include <stdexcept>

#include "backend.h"

namespace vcluster {

std::vector<std::string> backend_names() { return {"netns", "uml", "qemu", "qemu-i386", "libvirt"}; }

std::unique_ptr<Backend> make_backend(const std::string& name) {
    if (name == "netns") return make_netns_backend();
    if (name == "uml") return make_uml_backend();
    if (name == "qemu") return make_qemu_backend();
    if (name == "qemu-i386") return make_qemu_i386_backend();
    if (name == "libvirt") return make_libvirt_backend();
    std::string known;
    for (const auto& n : backend_names()) known += (known.empty() ? "" : ", ") + n;
    throw std::invalid_argument(fmt::format("unknown backend '{}' (available: {})", name, known));
}

}  // namespace vcluster
