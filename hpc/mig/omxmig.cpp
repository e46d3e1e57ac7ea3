// omxmig: the migration engine's checkpoint and restore, by hand (developers and tests).
//   omxmig dump PID FILE [--kill]   freeze PID, write its image, resume it (or kill it)
//   omxmig restore FILE             rebuild the process from FILE here and wait for it
//   (FILE "-" is stdout / stdin: `omxmig dump P - --kill | ssh node2 omxmig restore -`)
//   omxmig cantmove PID             why PID cannot move (openMosix words), or nothing
#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <iostream>

#include "checkpoint.h"
#include "remote_part.h"
#include "restore.h"
#include "syscall_table.h"

using namespace omx::mig;
using Clock = std::chrono::steady_clock;

static double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

static int dump(pid_t pid, const std::string& file, bool kill_after, bool verbose) {
    omx::UniqueFd fd(file == "-" ? ::dup(1) : ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd) throw std::runtime_error(fmt::format("cannot create {}: {}", file, std::strerror(errno)));
    auto t0 = Clock::now();
    Tracee t = Tracee::seize(pid);
    ImageWriter out(fd.get());
    CheckpointStats st;
    try {
        st = checkpoint(t, out);
    } catch (...) {
        if (file != "-") ::unlink(file.c_str());
        throw;   // the Tracee's destructor lets the process go on
    }
    if (kill_after) t.kill();
    else t.detach_with(st.resume_regs);
    if (verbose)
        std::cerr << fmt::format("omxmig: process {} frozen {:.1f} ms; {} regions, {} pages, {} bytes, {} injected calls\n",
                                 pid, ms_since(t0), st.regions, st.pages, st.image_bytes, st.injected_calls);
    return 0;
}

// Migration to the same machine, with everything but the network: the process's body
// stays as the husk, its image runs in a new process under the filter, and its forwarded
// calls execute in the husk. Its parent, its PID and its fds do not change.
static int away(pid_t pid, bool verbose) {
    auto t0 = Clock::now();
    Tracee husk = Tracee::seize(pid);
    omx::UniqueFd image(::memfd_create("omx-image", MFD_CLOEXEC));
    ImageWriter out(image.get());
    CheckpointStats cst = checkpoint(husk, out);   // throws CantMove: the process goes on
    ::lseek(image.get(), 0, SEEK_SET);
    ImageReader in(image.get());
    RestoreStats rst;
    RestoreOptions opt;
    opt.install_filter = true;
    pid_t remote = restore(in, default_restorer_path(), &rst, opt);
    omx::UniqueFd listener(rst.listener_fd);
    if (verbose)
        std::cerr << fmt::format("omxmig: process {} runs away as {} after {:.1f} ms ({} bytes)\n", pid, remote,
                                 ms_since(t0), cst.image_bytes);
    husk.kill_on_our_exit();
    Deputy deputy(husk);
    deputy.release_body();
    SuperviseStats sst;
    LocalHome home(deputy, remote);
    Supervised end = supervise(remote, listener.get(), home, &sst);
    bool husk_died = end.outcome == Outcome::HomeGone;
    if (!husk_died) deputy.finish(end.status);
    if (verbose)
        std::cerr << fmt::format(
            "omxmig: process {} ended{}; {} calls forwarded home ({} on fd copies), {} refused, {} signals passed on\n",
            pid, husk_died ? " (killed at home)" : "", sst.forwarded, deputy.fast_calls(), sst.refused, sst.signals);
    return 0;
}

static int restore_file(const std::string& file, bool verbose) {
    omx::UniqueFd fd(file == "-" ? ::dup(0) : ::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw std::runtime_error(fmt::format("cannot open {}: {}", file, std::strerror(errno)));
    auto t0 = Clock::now();
    ImageReader in(fd.get());
    RestoreStats st;
    pid_t pid = restore(in, default_restorer_path(), &st);
    if (verbose)
        std::cerr << fmt::format("omxmig: restored as process {} in {:.1f} ms; {} pages, {} injected calls\n", pid,
                                 ms_since(t0), st.pages, st.injected_calls);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

int main(int argc, char** argv) {
    CLI::App app{"omxmig: checkpoint and restore of one process (the migration engine, by hand)", "omxmig"};
    app.require_subcommand(1);
    bool verbose = false;
    app.add_flag("-v,--verbose", verbose, "print timings and sizes on stderr");
    pid_t pid = 0;
    std::string file;
    bool kill_after = false;
    auto* d = app.add_subcommand("dump", "freeze PID, write its image to FILE, let it go on (or --kill it)");
    d->add_option("pid", pid)->required();
    d->add_option("file", file)->required();
    d->add_flag("--kill", kill_after, "kill the process once its image is written");
    auto* r = app.add_subcommand("restore", "rebuild the process of FILE here, wait for it, exit with its status");
    r->add_option("file", file)->required();
    bool markdown = false;
    auto* t = app.add_subcommand("syscalls", "print the system call table of a migrated process");
    t->add_flag("--markdown", markdown, "as docs/syscalls.md");
    auto* a = app.add_subcommand("away", "run PID out of its body on this machine, forwarding its calls home (test of the deputy)");
    a->add_option("pid", pid)->required();
    auto* c = app.add_subcommand("cantmove", "print why PID cannot move (openMosix reason word), nothing if it can");
    c->add_option("pid", pid)->required();
    CLI11_PARSE(app, argc, argv);
    try {
        if (d->parsed()) return dump(pid, file, kill_after, verbose);
        if (r->parsed()) return restore_file(file, verbose);
        if (a->parsed()) return away(pid, verbose);
        if (t->parsed()) {
            if (markdown) std::cout << syscalls_markdown();
            else
                for (const auto& row : syscall_table())
                    std::cout << fmt::format("{:>4} {:<20} {}\n", row.nr, row.name, class_name(row.cls));
            return 0;
        }
        if (c->parsed()) {
            auto why = cantmove_reason(pid);
            if (!why.empty()) std::cout << why << "\n";
            return 0;
        }
    } catch (const CantMove& e) {
        std::cerr << "omxmig: " << e.what() << "\n";
        return 3;
    } catch (const std::exception& e) {
        std::cerr << "omxmig: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
