#include "controller/suite.h"

#include <fmt/format.h>

#include <cstring>
#include <fstream>
#include <set>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "common/json_link.h"

namespace omx::harness {
using nlohmann::json;

namespace {

[[noreturn]] void bad(const std::string& origin, const std::string& what) {
    throw std::runtime_error(fmt::format("{}: {}", origin, what));
}

std::vector<std::string> strings(const json& j, const std::string& origin, const std::string& what) {
    if (!j.is_array()) bad(origin, what + " must be an array of strings");
    std::vector<std::string> out;
    for (const auto& v : j) {
        if (!v.is_string()) bad(origin, what + " must be an array of strings");
        out.push_back(v.get<std::string>());
    }
    return out;
}

double number(const json& t, const char* key, double def, double lo, double hi, const std::string& where) {
    if (!t.contains(key)) return def;
    if (!t[key].is_number() || t[key].get<double>() < lo || t[key].get<double>() > hi)
        bad(where, fmt::format("\"{}\" must be a number from {} to {}", key, lo, hi));
    return t[key].get<double>();
}

TestSpec parse_test(const json& t, const std::string& where) {
    static const std::set<std::string> known = {"name", "command", "node", "timeout", "processes",
                                                "duration", "mosrun", "background"};
    if (!t.is_object()) bad(where, "a test is an object");
    for (const auto& [k, v] : t.items())
        if (!known.count(k)) bad(where, "unknown key \"" + k + "\"");
    TestSpec s;
    if (!t.contains("name") || !t["name"].is_string() || t["name"].get<std::string>().empty())
        bad(where, "\"name\" is required");
    s.name = t["name"];
    if (!t.contains("command")) bad(where, "\"command\" is required");
    s.command = strings(t["command"], where, "\"command\"");
    if (s.command.empty()) bad(where, "\"command\" is empty");
    if (t.contains("node") && !(t["node"].is_string() && t["node"] == "any"))
        s.node = uint16_t(number(t, "node", 0, 1, 65535, where));
    s.timeout = number(t, "timeout", s.timeout, 1, 7 * 86400, where);
    s.processes = int(number(t, "processes", 1, 1, 4096, where));
    s.duration = number(t, "duration", 0, 0, 7 * 86400, where);
    if (t.contains("mosrun")) {
        if (t["mosrun"].is_boolean()) s.use_mosrun = t["mosrun"].get<bool>();
        else s.mosrun = strings(t["mosrun"], where, "\"mosrun\" (options, or false)");
    }
    if (t.contains("background")) {
        if (!t["background"].is_boolean()) bad(where, "\"background\" is true or false");
        s.background = t["background"];
    }
    return s;
}

}  // namespace

Suite parse_suite(const json& j, const std::string& origin) {
    if (!j.is_object()) bad(origin, "a suite is a JSON object with \"name\" and \"tests\"");
    Suite s;
    s.name = j.value("name", std::string("openMosix stress test"));
    s.timeout = number(j, "timeout", s.timeout, 1, 30 * 86400, origin);
    if (!j.contains("tests") || !j["tests"].is_array() || j["tests"].empty()) bad(origin, "\"tests\" must be a non-empty array");
    std::set<std::string> names;
    for (size_t i = 0; i < j["tests"].size(); ++i) {
        auto where = fmt::format("{}: test {}", origin, i + 1);
        s.tests.push_back(parse_test(j["tests"][i], where));
        if (!names.insert(s.tests.back().name).second) bad(where, "two tests are named " + s.tests.back().name);
    }
    return s;
}

Suite load_suite(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error(path + ": cannot read the suite file");
    json j = json::parse(in, nullptr, false, true);
    if (j.is_discarded()) throw std::runtime_error(path + ": not valid JSON");
    return parse_suite(j, path);
}

std::vector<AgentAddress> parse_inventory(const std::string& text, const std::string& origin) {
    std::vector<AgentAddress> out;
    std::istringstream in(text);
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
        if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
        std::istringstream words(line);
        std::string first;
        if (!(words >> first) || first.front() == '[') continue;
        std::string host = first, port, w;
        while (words >> w) {
            auto eq = w.find('=');
            if (eq == std::string::npos) bad(fmt::format("{}:{}", origin, n), "expected NAME key=value ..., got '" + w + "'");
            if (w.substr(0, eq) == "ansible_host") host = w.substr(eq + 1);
            if (w.substr(0, eq) == "omx_agent_port") port = w.substr(eq + 1);
        }
        try {
            auto [h, p] = split_host_port(port.empty() ? host : host + ":" + port);
            out.push_back({h, p, first == host ? "" : first});
        } catch (const std::exception& e) {
            bad(fmt::format("{}:{}", origin, n), e.what());
        }
    }
    if (out.empty()) bad(origin, "no agents listed");
    return out;
}

std::vector<std::string> expand_command(const std::vector<std::string>& command, int cpus, int nodes) {
    std::vector<std::string> out;
    for (std::string a : command) {
        for (auto [key, value] : {std::pair{"{cpus}", cpus}, std::pair{"{nodes}", nodes}})
            for (size_t at; (at = a.find(key)) != std::string::npos;) a.replace(at, std::string(key).size(), std::to_string(value));
        out.push_back(a);
    }
    return out;
}

std::pair<Status, std::string> classify_exit(int retval, int signal, bool timed_out, double timeout,
                                             const std::string& log) {
    // The last verdict line a stress program printed: "name: PASS|FAIL|SKIP detail".
    static const std::regex verdict(R"((^|\n)([A-Za-z0-9_.+-]+): (PASS|FAIL|SKIP)\b ?([^\n]*))");
    std::string said;
    for (auto it = std::sregex_iterator(log.begin(), log.end(), verdict); it != std::sregex_iterator(); ++it)
        said = (*it)[3].str() == "PASS" ? "" : (*it)[2].str() + ": " + (*it)[3].str() + " " + (*it)[4].str();
    if (timed_out) return {Status::Fail, fmt::format("timed out after {:.0f} s and was killed", timeout)};
    if (retval == 0) return {Status::Pass, ""};
    if (retval == 77) return {Status::Skip, said.empty() ? "skipped (exit status 77)" : said};
    if (!said.empty()) return {Status::Fail, said};
    if (signal) return {Status::Fail, fmt::format("killed by signal {} ({})", signal, strsignal(signal))};
    return {Status::Fail, fmt::format("exit status {}", retval)};
}

}  // namespace omx::harness
