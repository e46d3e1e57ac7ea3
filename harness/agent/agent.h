#pragma once
// omx-agent: the stress harness's hands on one node. It starts the tests the controller
// asks for (through mosrun, each in a session of its own so a timeout can kill the whole
// tree), reports their exit with their output, and answers a sample of the node every
// time it is asked: load, memory, the suite's processes here, and the migrations omxd
// recorded since the last sample. Protocol: docs/harness.md.
#include <utility>  // boost 1.74 awaitable.hpp needs std::exchange
#include <boost/asio.hpp>
#include <nlohmann/json.hpp>
#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "common/cluster_key.h"
#include "common/json_link.h"

namespace omx::harness {

struct AgentOptions {
    std::string listen = "0.0.0.0";
    uint16_t port = kAgentPort;
    std::string key_file = kDefaultKeyFile;
    std::string control_socket;   // omxd's; "" = $OMX_CONTROL_SOCKET or the default
    std::string bin_dir;          // where mosrun and the stress programs are (put first on PATH)
    std::string work_dir = "/tmp/omx-agent";
};

// /proc/PID/stat's parent of every process now.
std::map<pid_t, pid_t> parent_map();
// `roots` and all their descendants in `parents`, each mapped to the root it descends from.
std::map<pid_t, pid_t> descendants(const std::map<pid_t, pid_t>& parents, const std::set<pid_t>& roots);
// The last `max` bytes of a file ("" when it cannot be read), cut at a line start.
std::string file_tail(const std::string& path, size_t max);

class Agent {
public:
    Agent(boost::asio::io_context& io, AgentOptions opt);
    ~Agent();
    void start();            // listens; throws with a clear message when it cannot
    uint16_t port() const;   // the bound port (for --port 0 in tests)
    void stop();

private:
    struct Run;
    struct Session;
    boost::asio::awaitable<void> accept_loop();
    boost::asio::awaitable<void> serve(std::shared_ptr<JsonLink> link);
    nlohmann::json handle(Session& s, const nlohmann::json& req);
    nlohmann::json info() const;
    nlohmann::json omxd(const nlohmann::json& request) const;   // one request to the local omxd
    nlohmann::json self_node() const;   // omxd's node object for this node ({} when it has none)
    nlohmann::json start_run(Session& s, const nlohmann::json& req);
    nlohmann::json kill_run(const std::string& id);
    nlohmann::json sample(Session& s);
    void reap();
    boost::asio::awaitable<void> reap_loop();
    void finish(pid_t pid, int wait_status);
    void kill_session_runs(const Session& s);

    boost::asio::io_context& io_;
    AgentOptions opt_;
    ClusterKey key_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::signal_set sigchld_;
    std::map<pid_t, std::shared_ptr<Run>> runs_;   // by the test's first process
    std::map<pid_t, std::string> pid_test_;         // every process seen in a test's tree → its id
    std::map<pid_t, std::string> session_test_;     // every test's session (its first PID) → its id
    uint64_t next_session_ = 1;
};

}  // namespace omx::harness
