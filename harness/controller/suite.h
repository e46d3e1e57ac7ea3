#pragma once
// What the controller reads: the suite file (which tests, where, how many at once, for how
// long) and the inventory (where the agents are). Both formats: docs/harness.md.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/run_record.h"

namespace omx::harness {

struct TestSpec {
    std::string name;
    std::vector<std::string> command;   // {cpus} and {nodes} are replaced when the run starts
    std::optional<uint16_t> node;       // openMosix node id to start it on; none = the first node
    double timeout = 600;               // seconds per run of the command
    int processes = 1;                  // copies started at once
    double duration = 0;                // > 0: the command is run again until this many seconds passed
    bool use_mosrun = true;
    std::vector<std::string> mosrun;    // mosrun options
    bool background = false;            // the suite goes on while it runs; awaited at the end
};

struct Suite {
    std::string name;
    double timeout = 3600;              // the whole run
    std::vector<TestSpec> tests;
};

// Throws std::runtime_error "FILE: what is wrong" for anything it cannot use.
Suite parse_suite(const nlohmann::json& j, const std::string& origin);
Suite load_suite(const std::string& path);

struct AgentAddress {
    std::string host;
    uint16_t port = 0;
    std::string name;   // inventory name, "" when none
};

// One agent per line: "HOST[:PORT]", or an Ansible INI host line "NAME ansible_host=ADDR
// [omx_agent_port=PORT]"; [groups], blank lines and # comments are skipped.
std::vector<AgentAddress> parse_inventory(const std::string& text, const std::string& origin);

// {cpus} → cpus, {nodes} → nodes in every argument.
std::vector<std::string> expand_command(const std::vector<std::string>& command, int cpus, int nodes);

// A finished command's status and one-line reason from its exit status and output: 0 pass,
// 77 skipped, else failed; the reason is its verdict line ("NAME: FAIL why") when it wrote
// one, else the exit status or signal.
std::pair<Status, std::string> classify_exit(int retval, int signal, bool timed_out, double timeout,
                                             const std::string& log);

}  // namespace omx::harness
