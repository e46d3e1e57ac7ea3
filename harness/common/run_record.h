#pragma once
// Everything one run of the stress suite produced: the nodes, every test's outcome, the
// per-second samples of every node, every migration. The controller fills it; the report
// writers (harness/report) turn it into the omtest text, kirk JSON, JUnit XML and HTML.
// The kirk JSON carries all of it, so every other format can be rebuilt from that file.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace omx::harness {

enum class Status { Pass, Fail, Broken, Skip };
const char* to_string(Status s);          // "pass", "fail", "brok", "conf" (kirk's words)
Status status_from_string(const std::string& s);   // throws std::invalid_argument

struct NodeInfo {
    uint16_t id = 0;            // openMosix node id
    std::string host;           // host name the agent reported
    std::string address;        // where the controller reached its agent (host:port)
    int cpus = 0;
    double speed = 0;           // omxd speed (100 = reference core)
    double mem_total_mb = 0;
    bool lost = false;          // its agent went away during the run
    double lost_at = 0;         // seconds since the run started
    std::string lost_reason;    // e.g. "agent connection closed", "no sample for 5 s"
};

// One node, one second.
struct NodeSample {
    double t = 0;               // seconds since the run started
    uint16_t node = 0;
    double load = 0;            // openMosix load (100 = one CPU-bound process)
    double mem_used_mb = 0;
    double mem_total_mb = 0;
    int processes = 0;          // processes of the suite running on the node (own + guests)
    int guests = 0;             // of which came from other nodes
};

struct MigrationEvent {
    double t = 0;               // seconds since the run started
    uint16_t home = 0;          // the node whose omxd recorded it (the process's home)
    pid_t pid = 0;              // its PID at home
    std::string command;
    uint16_t from = 0;          // node ids; home's id when it left home or came back
    uint16_t to = 0;
    uint64_t bytes = 0;         // image size
    double frozen_ms = 0;       // time the process did not run
    double total_ms = 0;
    std::string outcome;        // "arrived", "home", "failed: <why>", "lost"
    std::string test;           // the test it belongs to, "" when not known
};

struct TestResult {
    std::string name;
    std::vector<std::string> argv;   // argv[0] is the program
    uint16_t node = 0;               // where it was started (its home)
    Status status = Status::Broken;
    int retval = -1;                 // exit status; 128+N for signal N; -1 never ran
    double start = 0;                // seconds since the run started
    double duration = 0;
    int migrations = 0;              // migrations of its processes
    std::string reason;              // one line: why it failed/broke/was skipped ("" on pass)
    std::string log;                 // its stdout+stderr (cut to the last 64 KiB)
};

struct RunRecord {
    std::string suite;          // suite name
    std::string suite_file;
    std::string started_at;     // local time, "2026-12-01 11:27:02"
    double runtime = 0;         // seconds
    std::string controller;     // host name of the controller
    std::string kernel;         // uname -r of the controller
    std::vector<NodeInfo> nodes;
    std::vector<TestResult> tests;
    std::vector<NodeSample> samples;
    std::vector<MigrationEvent> migrations;
};

}  // namespace omx::harness
