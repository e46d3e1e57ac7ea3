#include <fmt/format.h>

#include <stdexcept>

#include "backend.h"

namespace vcluster {

std::vector<std::string> backend_names() { return {"netns", "uml"}; }

std::unique_ptr<Backend> make_backend(const std::string& name) {
    if (name == "netns") return make_netns_backend();
    if (name == "uml") return make_uml_backend();
    throw std::invalid_argument(fmt::format("unknown backend '{}' (available: netns, uml)", name));
}

}  // namespace vcluster
