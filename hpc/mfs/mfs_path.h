#pragma once
// Names under the oMFS mount (/mfs): what a path there means, and which paths of a node
// are kept out of oMFS (HOWTO 4.3.3). Pure functions, shared by the file system, its
// server and DFSA in the remote part.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace omx::mfs {

inline constexpr const char* kDefaultMount = "/mfs";

// The per-process magic names (HOWTO Table 4-1). All but magic are symbolic links to the
// node's directory; magic is a directory: where a create lands depends on the call.
enum class Magic { Here, Home, Magic, Lastexec, Selected };
const char* magic_name(Magic m);
std::optional<Magic> parse_magic(std::string_view name);

// A path as the file system sees it, relative to the mount ("/", "/3/tmp/x", "/here").
struct MfsPath {
    enum Kind { Root, Node, MagicEntry } kind = Root;
    uint16_t node = 0;          // Node
    Magic magic = Magic::Here;  // MagicEntry
    std::string rest = "/";     // the path on that node ("/" for its root)
};
// nullopt: no such name at the top of the mount (ENOENT).
std::optional<MfsPath> parse(std::string_view path_in_mount);

// The node ids as directory names: decimal, 1..65535, no leading zeros.
std::optional<uint16_t> parse_node_id(std::string_view name);

// Paths of a node that oMFS never shows: /proc and everything under it, and the oMFS
// mount itself (no /mfs/1/mfs/3/usr). `path` is absolute and lexically clean.
bool excluded(std::string_view path, std::string_view mount = kDefaultMount);

// "/a//b/./c/" -> "/a/b/c"; nullopt when it has a ".." (resolving it needs the file
// system: a component may be a symbolic link) or is not absolute.
std::optional<std::string> clean_absolute(std::string_view path);

// DFSA: the local path that an absolute path of a process running on node `self` names,
// when it names a file of this node through the mount: /mfs/<self>/x or /mfs/here/x
// (`here` is where the process runs: here). nullopt for anything else (other nodes, other
// magic names, paths with "..", excluded paths): those go home.
std::optional<std::string> direct_path(std::string_view path, std::string_view mount, uint16_t self);

}  // namespace omx::mfs
