#pragma once
// The seccomp filter of a migrated process, made from the syscall table: local calls run
// natively, every other call stops in the kernel and is handed to the remote part through
// a user-notification listener (SECCOMP_RET_USER_NOTIF), which forwards it home, answers it
// or brings the process home.
#include <linux/filter.h>

#include <vector>

namespace omx::mig {

// The BPF program (built with libseccomp, exported as raw instructions so it can be
// written into another process and installed there by an injected seccomp() call).
// With `direct_files`, the data calls on DFSA's descriptor numbers run natively (dfsa.h).
std::vector<sock_filter> migrated_process_filter(bool direct_files = false);

// Installs `prog` in the calling process (no_new_privs is set first) and returns the
// listener fd. Used by tests and by a process that migrates itself.
int install_filter_with_listener(const std::vector<sock_filter>& prog);

}  // namespace omx::mig
