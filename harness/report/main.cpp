// omx-report: the stress run's reports rebuilt from its results.json (docs/harness.md).
#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "report/report.h"

namespace fs = std::filesystem;
using omx::harness::RunRecord;

namespace {

struct Outputs {
    std::string html, text, junit, dir;
    bool none() const { return html.empty() && text.empty() && junit.empty() && dir.empty(); }
};

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::trunc | std::ios::binary);
    if (!out) throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
}

RunRecord read_results(const std::string& path) {
    if (fs::is_directory(path)) throw std::runtime_error(path + ": a directory, not a results.json");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
    try {
        return omx::harness::from_kirk_json(nlohmann::json::parse(in));
    } catch (const nlohmann::json::parse_error& e) {
        // "[json.exception.parse_error.101] parse error at line 3, column 1: ..." -> from "parse error".
        std::string why = e.what();
        throw std::runtime_error(path + ": not JSON: " + why.substr(why.find("] ") + 2));
    } catch (const std::exception& e) {
        throw std::runtime_error(path + ": " + e.what());
    }
}

// --dir fills in what was not named on its own; with no option at all, report.html goes
// next to the results.
void choose_paths(Outputs& out, const std::string& results, const RunRecord& r) {
    if (out.none()) out.html = (fs::path(results).parent_path() / "report.html").string();
    if (out.dir.empty()) return;
    fs::create_directories(out.dir);
    const fs::path dir(out.dir);
    if (out.html.empty()) out.html = (dir / "report.html").string();
    if (out.junit.empty()) out.junit = (dir / "junit.xml").string();
    if (out.text.empty()) out.text = (dir / omx::harness::report_file_name(r.started_at)).string();
}

void write_reports(const Outputs& out, const RunRecord& r) {
    if (!out.html.empty()) write_file(out.html, omx::harness::html_report(r));
    if (!out.text.empty()) write_file(out.text, omx::harness::omtest_text(r));
    if (!out.junit.empty()) write_file(out.junit, omx::harness::junit_xml(r));
    for (const auto& f : {out.html, out.text, out.junit})
        if (!f.empty()) std::cout << f << "\n";
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "Rebuilds a stress run's reports (HTML page, omtest text, JUnit XML) from the results.json "
        "omx-stress wrote. With no output option, writes report.html next to RESULTS.json.",
        "omx-report"};
    std::string results;
    Outputs out;
    app.add_option("RESULTS.json", results, "the run's LTP/kirk JSON (omx-stress --out DIR/results.json)")
        ->required()
        ->option_text(" ");
    app.add_option("--html", out.html, "write the self-contained HTML page (charts, tables) to FILE")
        ->option_text("FILE");
    app.add_option("--text", out.text, "write the omtest text report to FILE")->option_text("FILE");
    app.add_option("--junit", out.junit, "write the JUnit XML to FILE")->option_text("FILE");
    app.add_option("--dir", out.dir,
                   "write all three into DIR: report.html, junit.xml, openMosix-stress-test-report-<date>.txt "
                   "(a path given with --html/--text/--junit wins)")
        ->option_text("DIR");
    app.footer("Exit status: 0 written, 1 RESULTS.json unreadable or not a stress run's results, 2 bad command line.");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);   // --help
        std::cerr << "omx-report: " << e.what() << " (omx-report --help)\n";
        return 2;
    }
    try {
        RunRecord r = read_results(results);
        choose_paths(out, results, r);
        write_reports(out, r);
    } catch (const std::exception& e) {
        std::cerr << "omx-report: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
