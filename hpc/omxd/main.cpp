// omxd — the openMosix node daemon. Also runs as `omdiscd` (autodiscovery mode).
#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <signal.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "common/fd.h"
#include "common/kernel_features.h"
#include "daemon.h"

namespace {

using namespace omx;

void setup_logging(const Options& opt) {
    std::shared_ptr<spdlog::logger> log;
    if (opt.log_syslog)
        log = spdlog::syslog_logger_mt("omxd", opt.omdiscd ? "omdiscd" : "omxd", LOG_PID, LOG_DAEMON);
    else if (opt.omdiscd && opt.foreground)
        log = spdlog::stdout_logger_mt("omxd");  // omdiscd -n: output on stdout
    else
        log = spdlog::stderr_logger_mt("omxd");
    spdlog::set_default_logger(log);
    spdlog::set_pattern(opt.log_syslog ? "%v" : "%Y-%m-%d %H:%M:%S.%e omxd[%P] %l: %v");
    spdlog::set_level(spdlog::level::from_str(opt.log_level));
    spdlog::flush_on(spdlog::level::info);
}

void daemonize() {
    if (pid_t p = fork(); p < 0) throw std::runtime_error("fork failed");
    else if (p > 0) _exit(0);
    setsid();
    if (pid_t p = fork(); p < 0) throw std::runtime_error("fork failed");
    else if (p > 0) _exit(0);
    if (chdir("/") != 0) {}
    UniqueFd null(open("/dev/null", O_RDWR));
    for (int fd = 0; fd <= 2; ++fd) dup2(null.get(), fd);
}

// One omxd per node: the pid file is locked for the daemon's lifetime.
UniqueFd lock_pid_file(const std::string& path) {
    UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!fd) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
    if (flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        char buf[32] = {};
        if (pread(fd.get(), buf, sizeof buf - 1, 0) < 0) {}
        throw std::runtime_error("omxd is already running (pid " + std::string(buf, strcspn(buf, "\n")) + ")");
    }
    std::string pid = std::to_string(getpid()) + "\n";
    if (ftruncate(fd.get(), 0) != 0 || pwrite(fd.get(), pid.data(), pid.size(), 0) < 0)
        throw std::runtime_error("cannot write " + path);
    return fd;
}

// A kernel without what migration needs (seccomp user notification, pidfd, …) would fail
// later and obscurely: refuse at start, in one line; a missing optional feature warns.
void check_kernel() {
    auto start = std::chrono::steady_clock::now();
    kernel::Report report = kernel::check_running_kernel();
    std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
    spdlog::debug("kernel check: {} features in {:.1f} ms", report.features.size(), took.count());
    if (auto missing = report.missing(kernel::Need::required); !missing.empty())
        throw std::runtime_error("this kernel lacks " + kernel::describe(missing) +
                                 "; run kernel/check (omx-kernel-check) for details, or start with --skip-kernel-check");
    for (const auto& f : report.missing(kernel::Need::optional))
        spdlog::warn("kernel: no {} ({}): {}", f.title, f.kconfig, f.detail);
}

int genkey(const std::string& path) {
    auto dir = std::filesystem::path(path).parent_path();
    std::error_code ec;
    if (!dir.empty()) std::filesystem::create_directories(dir, ec);
    UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd) {
        std::cerr << "omxd: cannot create " << path << ": " << std::strerror(errno)
                  << (errno == EEXIST ? " (remove it first to make a new key)" : "") << "\n";
        return 1;
    }
    std::string key = ClusterKey::generate_hex() + "\n";
    if (write(fd.get(), key.data(), key.size()) != ssize_t(key.size())) return 1;
    std::cout << "wrote a new cluster key to " << path << ": copy it to every node\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options opt;
    std::string prog = std::filesystem::path(argv[0]).filename();
    opt.omdiscd = prog == "omdiscd";
    CLI::App app{opt.omdiscd ? "omdiscd - openMosix autodiscovery daemon (omxd in autodiscovery mode)"
                             : "omxd - the openMosix node daemon"};
    std::string genkey_path;
    bool skip_kernel_check = false;
    double interval_s = 1, down_s = 5, forget_s = 60;
    if (opt.omdiscd) {
        app.add_flag("-n", opt.foreground, "stay in the foreground, log to stdout");
    } else {
        app.add_flag("-f,--foreground", opt.foreground, "stay in the foreground, log to stderr");
        app.add_option("-m,--map", opt.map_file, "map file (default: /etc/openmosix.map, /etc/mosix.map, /etc/hpc.map, else autodiscovery)");
        app.add_flag("-a,--auto", opt.autodiscovery, "autodiscovery even when a map file exists");
    }
    app.add_option("-i,--interface", opt.iface, "interface for autodiscovery (default: the default route's)");
    app.add_option("-k,--key", opt.key_file, "cluster key file")->capture_default_str();
    app.add_option("--state-dir", opt.state_dir, "where admin settings persist")->capture_default_str();
    app.add_option("--run-dir", opt.run_dir, "pid file and control socket directory")->capture_default_str();
    app.add_option("--control", opt.control_socket, "control socket path (default RUN_DIR/control.sock)");
    app.add_option("--interval", interval_s, "info interval in seconds")->capture_default_str()->check(CLI::Range(0.05, 60.0));
    app.add_option("--down-timeout", down_s, "seconds of silence before a node is down")->capture_default_str()->check(CLI::Range(0.2, 3600.0));
    app.add_option("--forget-after", forget_s, "autodiscovery: seconds down before a node leaves the configuration")->capture_default_str()->check(CLI::Range(1.0, 86400.0));
    app.add_option("--fanout", opt.fanout, "peers each gossip round goes to")->capture_default_str()->check(CLI::Range(1, 64));
    app.add_option("--info-port", opt.info_port, "UDP info port")->capture_default_str();
    app.add_option("--migration-port", opt.migration_port, "TCP port migrating processes arrive on")->capture_default_str();
    app.add_option("--discovery-port", opt.discovery_port, "UDP autodiscovery port")->capture_default_str();
    app.add_option("--metrics-port", opt.metrics_port, "Prometheus HTTP port (0 = off)")->capture_default_str();
    app.add_option("--metrics-address", opt.metrics_address, "address the metrics server binds")->capture_default_str();
    app.add_option("--mfs", opt.mfs_mount, "where omxd keeps oMFS mounted (omx-mfs)")->capture_default_str();
    app.add_flag("!--no-mfs", opt.mfs, "do not mount oMFS (an fstab line may)");
    app.add_option("--dfsa", opt.dfsa, "direct file system access for migrated processes (0|1)")->capture_default_str();
    app.add_flag("--syslog", opt.log_syslog, "log to syslog (default when running as a daemon)");
    app.add_option("--log-level", opt.log_level, "trace, debug, info, warn, error")->capture_default_str();
    app.add_flag("--skip-kernel-check", skip_kernel_check, "start even when the kernel lacks a required feature (see kernel/check)");
    app.add_option("--genkey", genkey_path, "write a new random cluster key to this file and exit");
    CLI11_PARSE(app, argc, argv);
    if (!genkey_path.empty()) return genkey(genkey_path);

    opt.interval = std::chrono::milliseconds(long(interval_s * 1000));
    opt.down_timeout = std::chrono::milliseconds(long(down_s * 1000));
    opt.forget_after = std::chrono::milliseconds(long(forget_s * 1000));
    if (!opt.foreground) opt.log_syslog = true;
    if (opt.omdiscd) opt.autodiscovery = true;
    const char* me = opt.omdiscd ? "omdiscd" : "omxd";
    setup_logging(opt);

    try {
        if (geteuid() != 0) throw std::runtime_error("must run as root");
        if (!skip_kernel_check) check_kernel();
        ClusterKey key = ClusterKey::load(opt.key_file);
        std::filesystem::create_directories(opt.run_dir);
        asio::io_context io;
        Daemon daemon(io, opt, std::move(key));
        daemon.configure_at_start();  // errors here reach the terminal before we detach
        if (!opt.foreground) daemonize();
        UniqueFd pid_lock = lock_pid_file(opt.run_dir + "/omxd.pid");
        signal(SIGPIPE, SIG_IGN);
        asio::signal_set stop_signals(io, SIGINT, SIGTERM);
        stop_signals.async_wait([&](boost::system::error_code ec, int sig) {
            if (ec) return;
            spdlog::info("signal {}: stopping", sig);
            daemon.stop();
            io.stop();
        });
        daemon.start();
        io.run();
        ::unlink((opt.run_dir + "/omxd.pid").c_str());
        return 0;
    } catch (const std::exception& e) {
        std::cerr << me << ": " << e.what() << "\n";
        if (opt.log_syslog) spdlog::error("{}", e.what());
        return 1;
    }
}
