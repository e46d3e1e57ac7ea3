#pragma once
// The four reports of a stress run, all made from a RunRecord: the omtest text report, the
// LTP/kirk JSON (which carries everything, so the others can be rebuilt from it), JUnit XML
// for CI, and one self-contained HTML page with charts. Formats: docs/harness.md.
#include <nlohmann/json.hpp>

#include <string>

#include "common/run_record.h"

namespace omx::harness {

nlohmann::json to_kirk_json(const RunRecord& r);
// Throws std::runtime_error with one line saying what is wrong with the file.
RunRecord from_kirk_json(const nlohmann::json& j);

std::string omtest_text(const RunRecord& r);
// "openMosix-stress-test-report-2026-12-01-11:27:02.txt" for "2026-12-01 11:27:02".
std::string report_file_name(const std::string& started_at);
std::string junit_xml(const RunRecord& r);
std::string html_report(const RunRecord& r);

// For XML and HTML text: &<>"' escaped, control characters and invalid UTF-8 dropped.
std::string xml_escape(const std::string& s);

}  // namespace omx::harness
