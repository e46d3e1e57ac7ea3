// omx-mfs: mounts oMFS at /mfs and serves this node's files to the other nodes.
// Started by omxd (omxd --mfs), or by mount(8) as mount.fuse.mfs for an fstab line like
// the HOWTO's:   mfs_mnt  /mfs  fuse.mfs  dfsa=1  0 0
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <thread>

#include "common/cluster_key.h"
#include "common/control.h"
#include "common/fd.h"
#include "file_system.h"
#include "server.h"
#include "state_file.h"

namespace {

struct Settings {
    std::string mount = omx::mfs::kDefaultMount;
    std::string fsname = "mfs_mnt";
    bool dfsa = true;
    std::string key_file = omx::kDefaultKeyFile;
    uint16_t port = omx::mfs::kDefaultPort;
    int timeout_ms = 5000;
    std::string control_socket = omx::control::socket_path();
    std::string state_file = omx::mfs::kDefaultStateFile;
    bool foreground = false;
};

// mount(8)'s "-o a=b,c" for us: dfsa=0|1, port=, timeout=, key=, socket=; the generic
// options (rw, defaults, nofail, ...) mean nothing here.
void apply_mount_options(Settings& s, const std::string& opts) {
    std::stringstream in(opts);
    for (std::string o; std::getline(in, o, ',');) {
        auto eq = o.find('=');
        std::string k = o.substr(0, eq), v = eq == std::string::npos ? "" : o.substr(eq + 1);
        if (k == "dfsa") {
            if (v != "0" && v != "1") throw std::invalid_argument("dfsa= takes 0 or 1");
            s.dfsa = v == "1";
        } else if (k == "port") s.port = uint16_t(std::stoul(v));
        else if (k == "timeout") s.timeout_ms = std::stoi(v);
        else if (k == "key") s.key_file = v;
        else if (k == "socket") s.control_socket = v;
    }
}

// A mount point left behind by an omx-mfs that died answers ENOTCONN: detach it.
void clear_stale_mount(const std::string& mount) {
    struct stat st {};
    if (::stat(mount.c_str(), &st) != 0 && errno == ENOTCONN) ::umount2(mount.c_str(), MNT_DETACH);
    std::filesystem::create_directories(mount);
}

// Every file a client looked up holds a descriptor here (local_files.h): as many as the
// system lets us have.
void raise_open_file_limit() {
    rlimit r{};
    if (::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &r);
    }
}

int run(const Settings& s, int ready_fd) {
    // Modes arrive already masked by the caller's umask (the kernel did it on its node):
    // ours must not mask them again.
    ::umask(0);
    raise_open_file_limit();
    auto key = omx::ClusterKey::load(s.key_file);
    omx::mfs::ClusterView view(s.control_socket);
    view.start();
    omx::mfs::ServerOptions so;
    so.mount = s.mount;
    so.port = s.port;
    so.serving = [&view] { return !view.nomfs(); };
    omx::mfs::Server server(key, so);

    omx::mfs::FileSystemOptions fo;
    fo.mount = s.mount;
    fo.client.port = s.port;
    fo.client.timeout_ms = s.timeout_ms;
    omx::mfs::FileSystem fs(view, key, fo);

    std::atomic<bool> done{false};
    std::thread state_writer;
    auto state = [&] {
        return omx::mfs::MfsState{::getpid(), s.mount, s.dfsa && !view.nomfs(), server.port(), view.self()};
    };
    int rc = omx::mfs::serve_mount(fs, s.fsname, [&] {
        omx::mfs::write_state(s.state_file, state());
        state_writer = std::thread([&] {   // mosctl nomfs/mfs switch DFSA
            auto last = state();
            while (!done) {
                std::this_thread::sleep_for(std::chrono::milliseconds(500));
                auto now = state();
                if (now.dfsa != last.dfsa || now.self != last.self) omx::mfs::write_state(s.state_file, now), last = now;
            }
        });
        std::cerr << fmt::format("omx-mfs: oMFS mounted at {} (DFSA {}), serving this node's files on port {}\n",
                                 s.mount, s.dfsa ? "on" : "off", server.port());
        if (ready_fd >= 0) {
            (void)!::write(ready_fd, "ok", 2);
            ::close(ready_fd);
            // Detached (mount(8) started us): whoever waits on our output must see its end.
            if (int null = ::open("/dev/null", O_RDWR); null >= 0) ::dup2(null, 1), ::dup2(null, 2), ::close(null);
        }
    });
    done = true;
    if (state_writer.joinable()) state_writer.join();
    if (auto cur = omx::mfs::read_state(s.state_file); cur && cur->pid == ::getpid()) ::unlink(s.state_file.c_str());
    return rc;
}

// mount(8) waits for its helper: the parent returns once the mount is in place.
int run_detached(const Settings& s) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    omx::UniqueFd r(p[0]), w(p[1]);
    pid_t child = ::fork();
    if (child < 0) throw std::runtime_error(fmt::format("fork: {}", std::strerror(errno)));
    if (child == 0) {
        r.reset();
        ::setsid();
        if (int null = ::open("/dev/null", O_RDWR); null >= 0) ::dup2(null, 0), ::close(null);
        ::_exit(run(s, w.release()));
    }
    w.reset();
    char buf[2];
    return ::read(r.get(), buf, 2) == 2 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    Settings s;
    std::string self = std::filesystem::path(argv[0]).filename();
    try {
        if (self.rfind("mount.", 0) == 0) {
            // mount.fuse.mfs SOURCE MOUNTPOINT [-o opts] [-n] [-s] [-f] [-v]
            std::vector<std::string> pos;
            for (int i = 1; i < argc; ++i) {
                std::string a = argv[i];
                if (a == "-o" && i + 1 < argc) apply_mount_options(s, argv[++i]);
                else if (a.rfind("-o", 0) == 0 && a.size() > 2) apply_mount_options(s, a.substr(2));
                else if (a == "-f") s.foreground = true;
                else if (a[0] != '-') pos.push_back(a);
            }
            if (pos.size() != 2) {
                std::cerr << "usage: mount.fuse.mfs SOURCE MOUNTPOINT [-o dfsa=0|1,port=N,timeout=MS,key=FILE]\n";
                return 1;
            }
            s.fsname = pos[0];
            s.mount = pos[1];
        } else {
            CLI::App app{"omx-mfs: mounts oMFS (every node's files under /mfs/<id>) and serves this node's files"};
            std::string opts;
            app.add_option("mountpoint", s.mount, "where to mount oMFS")->capture_default_str();
            app.add_option("-o", opts, "mount options: dfsa=0|1, port=N, timeout=MS, key=FILE, socket=PATH");
            app.add_option("--dfsa", s.dfsa, "direct file system access for migrated processes (0|1)")->capture_default_str();
            app.add_option("--key", s.key_file, "cluster key file")->capture_default_str();
            app.add_option("--port", s.port, "this node's oMFS server port (and the other nodes')")->capture_default_str();
            app.add_option("--timeout", s.timeout_ms, "ms after which a silent node's calls fail with EIO")->capture_default_str();
            app.add_option("--control-socket", s.control_socket, "omxd's control socket")->capture_default_str();
            app.add_option("--state", s.state_file, "where to say what oMFS does (for omxd and DFSA)")->capture_default_str();
            app.add_option("--fsname", s.fsname, "the source name mount tables show")->capture_default_str();
            app.add_flag("-f,--foreground", s.foreground, "stay in the foreground (omxd starts it so)");
            CLI11_PARSE(app, argc, argv);
            if (!opts.empty()) apply_mount_options(s, opts);
        }
        if (::geteuid() != 0) {
            std::cerr << "omx-mfs: must run as root (it mounts /mfs and serves files as their owners)\n";
            return 1;
        }
        if (s.timeout_ms < 100) throw std::invalid_argument("timeout must be at least 100 ms");
        clear_stale_mount(s.mount);
        return s.foreground ? run(s, -1) : run_detached(s);
    } catch (const std::exception& e) {
        std::cerr << "omx-mfs: " << e.what() << "\n";
        return 1;
    }
}
