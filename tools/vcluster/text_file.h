#pragma once
// Small text files vcluster writes and reads on the host (a node's /etc files, configs,
// keys, inventories): the whole text at once, the mode set, a clear error when it fails.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

namespace vcluster {

inline void write_text_file(const std::string& path, const std::string& text,
                            std::filesystem::perms mode = std::filesystem::perms(0644)) {
    std::ofstream out(path, std::ios::trunc);
    out << text;
    out.flush();
    if (!out) throw std::runtime_error(fmt::format("cannot write {}", path));
    std::filesystem::permissions(path, mode);
}

inline std::string read_text_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error(fmt::format("cannot read {}", path));
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace vcluster
