#pragma once
// DFSA (direct file system access, HOWTO 2.4.3, 4.3.3, 11.5): a migrated process's file
// calls on oMFS paths of the node it runs on (/mfs/<this node>/..., /mfs/here/...) run on
// this node, on the file itself, instead of going home and coming back through oMFS.
//
// Files opened so live in the process under numbers of their own, kDfsaFirstFd and up
// (the numbers a process has open at home stay below them): the seccomp filter lets the
// data calls on those numbers run natively (read, write, lseek, fstat, ...), without even
// a stop. Path calls (open, stat, access, readlink, mkdir, unlink, rmdir, chmod, truncate)
// stop in the remote part, which makes them here when the path is direct, and otherwise
// sends them home as always. Not direct, as the HOWTO says: a path that goes through a
// symbolic link or "..", relative paths (the working directory is at home), other nodes'
// and the other magic names, DFSA off on either node (mosctl nomfs, dfsa=0) or oMFS
// mounted differently there.
//
// When the process goes home, every direct file is opened again at home through oMFS
// (/mfs/<this node>/path) under the same number, with the same flags and offset.
#include <linux/seccomp.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "forward.h"

namespace omx::mig {

class Home;

inline constexpr int kDfsaFirstFd = 768, kDfsaEndFd = 1024;
// The fd argument (an int in a 64-bit register) is a DFSA number.
static_assert(kDfsaFirstFd % 256 == 0 && kDfsaEndFd == kDfsaFirstFd + 256, "one masked comparison in the filter");
inline bool dfsa_number(uint64_t arg) { return (arg & 0xffffff00u) == unsigned(kDfsaFirstFd); }

// Calls the filter lets run natively when their first argument is a DFSA number: they
// neither make file descriptors nor leave the file. fcntl only for these commands.
std::span<const char* const> dfsa_native_calls();
std::span<const int> dfsa_native_fcntl_commands();

struct DfsaConfig {
    std::string mount;   // where oMFS is mounted, here and at home
    uint16_t self = 0;   // this node's id
};
// DFSA for a process whose home says `home_mfs` (MigrationRequest): on when this node has
// oMFS mounted at the same place with DFSA on.
std::optional<DfsaConfig> dfsa_config(const std::string& home_mfs);

class Dfsa {
public:
    Dfsa(DfsaConfig cfg, pid_t process);
    enum class Action {
        NotMine,     // the caller handles it as usual (home)
        Done,        // answered, or let run on a direct file
        NeedsHome,   // only home can do it with the direct files there (dup2 onto a number of home's)
    };
    Action handle(int listener, const seccomp_notif& req, ProcessMemory& mem);
    // The process is about to go home: its direct files are opened at home too.
    void hand_back(Home& home);
    uint64_t direct_calls() const { return direct_; }

private:
    std::optional<std::string> local_path(int64_t dirfd, const std::string& path) const;
    bool open_direct(int listener, const seccomp_notif& req, ProcessMemory& mem);
    bool path_call(int listener, const seccomp_notif& req, ProcessMemory& mem);
    Action dup_direct(int listener, const seccomp_notif& req);
    bool is_open(int fd) const;
    int free_number(int at_least) const;
    bool install(int listener, uint64_t id, int local_fd, int number, bool cloexec);

    DfsaConfig cfg_;
    pid_t pid_;
    bool room_ = true;   // the process's fd limit reaches our numbers
    uint64_t direct_ = 0;
};

}  // namespace omx::mig
