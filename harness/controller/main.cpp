// omx-stress: the openMosix stress test, run across the cluster by the agents on its nodes,
// with its reports (docs/harness.md, docs/stress.md).
#include <CLI/CLI.hpp>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "common/control.h"
#include "controller/controller.h"
#include "report/report.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace omx::harness;

namespace {

// Every up node omxd knows, at the agent port: the cluster as this node sees it.
std::vector<AgentAddress> discover_agents(uint16_t port) {
    json nodes = omx::control::call({{"cmd", "nodes"}});
    std::vector<AgentAddress> out;
    for (const auto& n : nodes["nodes"])
        if (n.value("up", false) && !n.value("address", std::string()).empty())
            out.push_back({n["address"].get<std::string>(), port, n.value("host", "")});
    if (out.empty()) throw std::runtime_error("omxd knows no up node: give --inventory or --agents");
    return out;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error(path + ": cannot read");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_file(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::trunc);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
}

// All four formats; returns the text report's path.
fs::path write_reports(const RunRecord& r, const fs::path& dir) {
    fs::create_directories(dir);
    write_file(dir / "results.json", to_kirk_json(r).dump(1) + "\n");
    write_file(dir / "junit.xml", junit_xml(r));
    write_file(dir / "report.html", html_report(r));
    fs::path text = dir / report_file_name(r.started_at);
    write_file(text, omtest_text(r));
    return text;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"omx-stress: runs the openMosix stress suite across the cluster through the omx-agent of every node,\n"
                 "samples every node each second, records every migration and writes the reports:\n"
                 "the omtest text report, results.json (LTP/kirk), junit.xml and report.html"};
    std::string suite_file, inventory, agents, out_dir, key = omx::kDefaultKeyFile;
    uint16_t port = kAgentPort;
    double lost_after = 5;
    bool quiet = false;
    app.add_option("-s,--suite", suite_file, "the suite file (JSON; see docs/harness.md)")->required();
    app.add_option("-i,--inventory", inventory, "file listing the agents: HOST[:PORT] per line, or an Ansible INI inventory");
    app.add_option("-a,--agents", agents, "the agents as HOST[:PORT],... (default: every up node omxd knows)");
    app.add_option("-p,--port", port, "agent port for discovered nodes (default 4670)");
    app.add_option("-k,--key", key, "the cluster key file (default /etc/openmosix/cluster.key)");
    app.add_option("-o,--out", out_dir, "where the reports go (default /tmp/openMosix-stress-test-<date>)");
    app.add_option("--lost-after", lost_after, "seconds without an answer after which a node counts as lost (default 5)")
        ->check(CLI::Range(1.0, 3600.0));
    app.add_flag("-q,--quiet", quiet, "print only where the reports are and the result line");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    ::signal(SIGPIPE, SIG_IGN);
    ControllerOptions opt;
    Suite suite;
    try {
        suite = load_suite(suite_file);
        if (!inventory.empty()) opt.agents = parse_inventory(read_file(inventory), inventory);
        else if (!agents.empty()) {
            std::string list = agents;
            std::replace(list.begin(), list.end(), ',', '\n');
            opt.agents = parse_inventory(list, "--agents");
        } else opt.agents = discover_agents(port);
    } catch (const std::exception& e) {
        std::cerr << "omx-stress: " << e.what() << "\n";
        return 2;
    }
    // The controller talks to every node all the time: it belongs at home.
    try {
        omx::control::call({{"cmd", "lock"}, {"pid", ::getpid()}, {"lock", 1}}, omx::control::socket_path(), 2000);
    } catch (const std::exception&) {
    }
    opt.key_file = key;
    opt.lost_after = lost_after;
    opt.say = [quiet](const std::string& line) {
        if (!quiet) std::cout << line << std::endl;
    };
    try {
        boost::asio::io_context io;
        Controller controller(io, opt);
        std::optional<RunRecord> record;
        std::exception_ptr failure;
        if (!quiet) std::cout << "starting the openMosix stress test now!" << std::endl;
        boost::asio::co_spawn(io, controller.run(suite, suite_file), [&](std::exception_ptr e, RunRecord r) {
            failure = e;
            if (!e) record = std::move(r);
            io.stop();
        });
        io.run();
        if (failure) std::rethrow_exception(failure);
        fs::path dir = out_dir.empty() ? fs::path("/tmp/openMosix-stress-test-" + record->started_at) : fs::path(out_dir);
        std::string d = dir.string();
        std::replace(d.begin(), d.end(), ' ', '-');
        fs::path text = write_reports(*record, d);
        int failed = 0, broken = 0, passed = 0, skipped = 0;
        for (const auto& t : record->tests)
            (t.status == Status::Pass ? passed : t.status == Status::Skip ? skipped : t.status == Status::Fail ? failed : broken)++;
        std::cout << "the results are saved in : " << text.string() << "\n"
                  << "(also results.json, junit.xml and report.html in " << d << ")\n"
                  << "RESULT: " << passed << " passed, " << failed << " failed, " << broken << " broken, " << skipped
                  << " skipped\n";
        return failed + broken ? 1 : 0;
    } catch (const std::exception& e) {
        std::cerr << "omx-stress: " << e.what() << "\n";
        return 1;
    }
}
