#pragma once
// Checkpoint: freeze a process and stream its image (image.h). The process stays stopped
// under the caller's Tracee, so the caller decides: resume it (the migration failed or was
// a copy) or keep it as the husk.
#include <stdexcept>
#include <string>

#include "image.h"
#include "tracee.h"

namespace omx::mig {

// The process cannot be checkpointed; `reason` is openMosix's cantmove word
// (clone_vm, mmap_dev, ...), what() says it for a person.
struct CantMove : std::runtime_error {
    CantMove(std::string reason_word, const std::string& what) : std::runtime_error(what), reason(std::move(reason_word)) {}
    std::string reason;
};

struct CheckpointStats {
    uint64_t regions = 0;
    uint64_t pages = 0;          // pages sent (non-zero, present)
    uint64_t image_bytes = 0;
    uint64_t injected_calls = 0;
    // What the process continues with if it stays here: its registers with an interrupted
    // system call made restartable (see resumable_registers).
    arch::Regs resume_regs{};
};

// Why `pid` cannot move, or "" when it can (threads, shared mappings, a program of another
// architecture than the one we are built for: "arch").
std::string cantmove_reason(pid_t pid);

// Reads everything restore needs. Leaves the process stopped; resume it with
// t.detach_with(stats.resume_regs), or keep it (the husk), or kill it.
CheckpointStats checkpoint(Tracee& t, ImageWriter& out);

}  // namespace omx::mig
