#pragma once
// The remote part: supervises a restored process that runs under the migrated-process
// filter, sending every forwarded call home and answering the process with the result,
// until the process ends, its home is gone, or it is asked home.
#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "forward.h"

namespace omx::mig { class Dfsa; }

namespace omx::mig {

// What the remote part needs from the home side; the deputy in this process (omxmig away)
// or the migration link to the deputy on the home node.
class Home {
public:
    virtual ~Home() = default;
    virtual ForwardedResult execute(const SyscallInfo& row, const ForwardedCall& call) = 0;
    struct News {
        bool gone = false;        // home died: the process dies with it (openMosix semantics)
        bool come_home = false;   // the deputy wants the process back
        std::vector<int> signals; // sent to the home PID, for the process
    };
    // Looked at between calls, at most every 20 ms.
    virtual News news() = 0;
    // Whether the process can be sent home to make a call that only works there (fork,
    // execve, file mappings); if not such calls fail with ENOSYS.
    virtual bool can_bring_home() const { return false; }
    // The process, stopped in a fork-like call (forkable_call), forks where it runs: its
    // child gets a husk and a deputy at home. True when done (the process then returns
    // from the call on its own); false: the call is handled as one that needs home.
    virtual bool fork(pid_t /*remote*/, long /*nr*/, const uint64_t* /*args*/) { return false; }
    // The process waits in execve (notification `id`): when the files it needs are the
    // same here as at home, it execs here (true); false: the call needs home.
    virtual bool exec(pid_t /*remote*/, int /*listener*/, uint64_t /*id*/, const uint64_t* /*args*/) { return false; }
    // The process waits in mmap of a file it opened at home: when this node has the same
    // file, it maps the local copy (true); false: the call needs home.
    virtual bool map_file(int /*listener*/, uint64_t /*id*/, const uint64_t* /*args*/) { return false; }
    // The process stopped (job control) with `sig`.
    virtual void stopped(int /*sig*/) {}
};

// Answers the waiting call `id` with `ret` (-errno: that error). A call interrupted
// meanwhile is not answered (the process makes it again).
void answer(int listener, uint64_t id, long ret);
// Lets the waiting call `id` run as the process made it. False when it was interrupted.
bool continue_call(int listener, uint64_t id);

// Puts our `local_fd` at number `fd` in the waiting process (it stands for the file the
// process has open at home under that number) and lets the call run here. False when
// the kernel refused the fd; true also when the call was interrupted meanwhile (the
// process makes it again).
bool run_with_local_fd(int listener, uint64_t id, int local_fd, int fd);

// Sends a signal from home to the process. A stop signal it does not catch is sent as
// SIGSTOP: here its process group has no shell and the kernel would drop SIGTSTP, SIGTTIN
// and SIGTTOU; reported_stop() then gives the signal its parent must see.
void pass_signal(pid_t pid, int sig);
int reported_stop(int stopped_by);

enum class ExecOutcome { Execed, Failed, Interrupted, NotTraced };
// Lets the process make its pending execve itself, watching with ptrace whether the
// exec took place. NotTraced: we may not trace it (it made itself non-dumpable); the call
// is left waiting, unanswered.
ExecOutcome run_exec_watched(pid_t pid, int listener, uint64_t id);

// fork, vfork, and clone without shared memory, files or namespaces: calls whose child
// can be a copy of the process on the node it runs on.
bool forkable_call(long nr, const uint64_t* args);
// The signal a parent gets when the child of such a call ends.
int fork_exit_signal(long nr, const uint64_t* args);

// The deputy of this same process (omxmig away: migration without the network).
class LocalHome : public Home {
public:
    LocalHome(Deputy& d, pid_t remote) : deputy_(d), remote_(remote) {}
    ForwardedResult execute(const SyscallInfo& row, const ForwardedCall& call) override;
    News news() override;
    void stopped(int sig) override {
        if (!deputy_.stop_husk(sig)) ::kill(remote_, SIGCONT);   // not stopped at home: not here either
    }

private:
    Deputy& deputy_;
    pid_t remote_;
};

struct SuperviseStats {
    uint64_t forwarded = 0;   // calls executed at home
    uint64_t refused = 0;     // calls that would need the process home (ENOSYS for now)
    uint64_t signals = 0;     // signals sent to the home PID and passed on
    uint64_t forks = 0;       // children made where the process runs
    uint64_t execs = 0;       // execve made where the process runs
    uint64_t mapped = 0;      // files mapped from this node's copy
    uint64_t direct = 0;      // DFSA: file calls made here on this node's files
};

// ComeHome: the deputy asked. NeedsHome: the process made a call that only runs at home;
// it is left waiting in that call, which it makes again once home.
enum class Outcome { Exited, HomeGone, ComeHome, NeedsHome };

struct Supervised {
    Outcome outcome = Outcome::Exited;
    int status = 0;   // wait status when Exited or HomeGone (then the process was killed)
    std::string call; // NeedsHome: the call's name
};

// `remote` must be our child. With ComeHome the process is left running, every call of
// it answered, for the caller to checkpoint. With `dfsa`, file calls on this node's oMFS
// files run here (dfsa.h); before the process leaves for home they are handed back.
Supervised supervise(pid_t remote, int listener, Home& home, SuperviseStats* stats = nullptr, Dfsa* dfsa = nullptr);

}  // namespace omx::mig
