// omx-report: the stress run's reports rebuilt from its results.json (docs/harness.md).
#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "report/report.h"

namespace fs = std::filesystem;

namespace {

void write_file(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::trunc);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"omx-report: rebuilds a stress run's reports (HTML, omtest text, JUnit XML) from its results.json"};
    std::string results, html, text, junit, dir;
    app.add_option("results", results, "the run's results.json (LTP/kirk JSON written by omx-stress)")->required();
    app.add_option("--html", html, "write the HTML page here");
    app.add_option("--text", text, "write the omtest text report here");
    app.add_option("--junit", junit, "write the JUnit XML here");
    app.add_option("--dir", dir, "write all three into DIR with their usual names");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    try {
        std::ifstream in(results);
        if (!in) throw std::runtime_error(results + ": cannot read");
        auto j = nlohmann::json::parse(in, nullptr, false);
        if (j.is_discarded()) throw std::runtime_error(results + ": not JSON");
        omx::harness::RunRecord r;
        try {
            r = omx::harness::from_kirk_json(j);
        } catch (const std::exception& e) {
            throw std::runtime_error(results + ": " + e.what());
        }
        if (!dir.empty()) {
            fs::create_directories(dir);
            html = (fs::path(dir) / "report.html").string();
            junit = (fs::path(dir) / "junit.xml").string();
            text = (fs::path(dir) / omx::harness::report_file_name(r.started_at)).string();
        }
        if (html.empty() && text.empty() && junit.empty()) html = (fs::path(results).parent_path() / "report.html").string();
        if (!html.empty()) write_file(html, omx::harness::html_report(r));
        if (!text.empty()) write_file(text, omx::harness::omtest_text(r));
        if (!junit.empty()) write_file(junit, omx::harness::junit_xml(r));
        for (const auto& f : {html, text, junit})
            if (!f.empty()) std::cout << f << "\n";
    } catch (const std::exception& e) {
        std::cerr << "omx-report: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
