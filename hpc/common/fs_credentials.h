#pragma once
// File-system credentials of another user for the calling thread only: oMFS serves each
// request, and DFSA runs each direct call, with the access checks of the user who made it
// (fsuid, fsgid, supplementary groups), while the rest of the process stays root.
// glibc's setgroups() changes every thread of the process, so the raw system calls are
// used: on Linux credentials are per thread.
#include <sys/types.h>

#include <string>
#include <vector>

namespace omx {

struct FsCredentials {
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;

    // The fs uid/gid and groups of a running process, from /proc/<pid>/status.
    // Throws std::runtime_error when the process is gone.
    static FsCredentials of_process(pid_t pid);
};

// While alive, the calling thread's file-system access checks are those of `who`; the
// thread's own credentials come back when it ends. Nothing else in the thread must depend
// on its identity meanwhile.
class ActAs {
public:
    explicit ActAs(const FsCredentials& who);
    ~ActAs();
    ActAs(const ActAs&) = delete;
    ActAs& operator=(const ActAs&) = delete;

private:
    uid_t old_uid_;
    gid_t old_gid_;
    std::vector<gid_t> old_groups_;
};

}  // namespace omx
