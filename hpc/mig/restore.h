#pragma once
// Restore: rebuild a process from an image inside a fresh restorer stub (restorer/), then
// let it run. The stub is our child; the restored process keeps its stdin, stdout and
// stderr (the migration engine replaces them by forwarding later).
#include <sys/types.h>

#include <span>
#include <string>

#include "image.h"

namespace omx::mig {

struct RestoreStats {
    uint64_t pages = 0;
    uint64_t bytes = 0;
    uint64_t injected_calls = 0;
    int listener_fd = -1;   // with a filter: our copy of the process's notification listener
};

struct RestoreOptions {
    // Install the migrated-process seccomp filter (seccomp_filter.h) just before the
    // process resumes; its listener comes back in RestoreStats::listener_fd.
    bool install_filter = false;
    // Non-zero: the image is of a process caught in fork, vfork or clone; what runs is its
    // child, whose PID at home is this (it is what CLONE_CHILD_SETTID writes).
    pid_t fork_child = 0;
    // The process's name (comm) where it runs, instead of the stub's; empty: unchanged.
    std::string comm;
    // DFSA applies to it: the filter lets the data calls on direct files' numbers through
    // (dfsa.h). Only when home holds none of those numbers.
    bool direct_files = false;
};

// Reads the whole image from `in` and returns the pid of the running, untraced process.
// Any failure (corrupt image, other kernel's vDSO, CPU without the image's FPU features)
// kills the stub and throws: nothing half-restored ever runs.
pid_t restore(ImageReader& in, const std::string& restorer_path, RestoreStats* stats = nullptr,
              const RestoreOptions& opt = {});

// Rebuilds the image inside `t`, a stopped process under our ptrace that keeps its PID,
// fds and credentials (the husk of a process coming home), and lets it run untraced.
// On failure `t` is left stopped with an unusable address space: the caller kills it or
// keeps it as a husk.
void restore_into(Tracee& t, ImageReader& in, RestoreStats* stats = nullptr);

// Throws, saying why, when this node cannot run a process of the image `h` describes:
// another architecture, or a CPU without the FPU/vector features the image uses.
void check_image_fits_here(const ImageHeader& h);

// Where the restorer stub is installed next to the running executable.
std::string default_restorer_path();

// The bytes of a [vdso] page that are the vDSO: its ELF image (headers, segments, section
// headers), not the rest of the page, which some kernels (User-Mode Linux) leave
// uninitialised and so differs between two boots of the same kernel. The whole page when
// it does not start with a sane ELF header.
size_t vdso_image_size(std::span<const uint8_t> page);

}  // namespace omx::mig
