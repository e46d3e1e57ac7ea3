#pragma once
// "The same file on both nodes": what a remote exec or a file mapping needs before the
// node the process runs on may use its own copy of a file the process opened at home.
// Same size and same SHA-256 of the contents; digests are cached per (device, inode,
// size, modification time), so a library mapped five times is read once.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace omx::mig {

struct FileIdentity {
    std::string path;   // as the process named it (absolute)
    uint64_t size = 0;
    std::array<uint8_t, 32> sha256{};
    bool operator==(const FileIdentity&) const = default;
};

// The identity of the regular file `open_path` (which may be a /proc/PID/fd or
// /proc/PID/root view), reported under `path`. nullopt: missing, unreadable, not regular.
std::optional<FileIdentity> identify_file(const std::string& open_path, const std::string& path);

// The files the kernel opens to run `path`: the file itself, then its ELF interpreter or
// its #! interpreter (nested scripts up to the kernel's depth). nullopt when one of them
// is missing here, not a regular file, or named by a relative path.
std::optional<std::vector<FileIdentity>> files_to_exec(const std::string& path);

// The interpreter named in the head of an executable: PT_INTERP of an ELF file, or the
// first word after "#!"; "" when there is none; nullopt when the head does not tell
// (program headers beyond it, a malformed ELF file). Exposed for tests.
std::optional<std::string> interpreter_of(std::span<const uint8_t> head);

// A program whose exec would change privileges (set-user-ID, set-group-ID, file
// capabilities): where the process runs without new privileges (its filter needs
// no_new_privs) such an exec would not, so it goes home.
bool changes_privileges(const std::string& path);

std::vector<uint8_t> encode_identities(const std::vector<FileIdentity>& ids);
std::vector<FileIdentity> decode_identities(std::span<const uint8_t> b);

}  // namespace omx::mig
