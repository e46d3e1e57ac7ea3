// omx-agent: runs the stress harness's tests on this node and samples it (docs/harness.md).
#include <CLI/CLI.hpp>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "agent/agent.h"
#include "common/json_link.h"

namespace {

std::string own_dir() {
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? "" : exe.parent_path().string();
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"omx-agent: the stress harness's agent on a node — starts the controller's tests through mosrun,\n"
                 "reports their results and samples the node (load, memory, processes, migrations)"};
    omx::harness::AgentOptions opt;
    opt.bin_dir = own_dir();
    std::string listen = "0.0.0.0";
    app.add_option("-l,--listen", listen, "ADDR[:PORT] to listen on (default 0.0.0.0:4670)");
    app.add_option("-k,--key", opt.key_file, "the cluster key file (default /etc/openmosix/cluster.key)");
    app.add_option("--control", opt.control_socket, "omxd's control socket (default $OMX_CONTROL_SOCKET or /run/omxd/control.sock)");
    app.add_option("--bin-dir", opt.bin_dir, "where mosrun and the stress programs are (default: this program's directory)");
    app.add_option("--work-dir", opt.work_dir, "where test output is kept while a test runs (default /tmp/omx-agent)");
    try {
        app.parse(argc, argv);
        std::tie(opt.listen, opt.port) = omx::harness::split_host_port(listen);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    } catch (const std::exception& e) {
        std::cerr << "omx-agent: " << e.what() << "\n";
        return 2;
    }
    try {
        boost::asio::io_context io;
        omx::harness::Agent agent(io, opt);
        agent.start();
        boost::asio::signal_set stop(io, SIGINT, SIGTERM);
        stop.async_wait([&](auto, int) {
            agent.stop();
            io.stop();
        });
        ::signal(SIGPIPE, SIG_IGN);
        io.run();
    } catch (const std::exception& e) {
        std::cerr << "omx-agent: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
