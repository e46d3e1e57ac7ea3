#pragma once
// omx-stress's controller: connects to every agent, runs a suite across the nodes, samples
// every node each second and records every migration, enforces timeouts, and survives a
// node dying mid-run (its tests fail with the reason; the run completes). The RunRecord it
// returns is what the report writers turn into the four formats.
#include <utility>  // boost 1.74 awaitable.hpp needs std::exchange
#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/cluster_key.h"
#include "common/json_link.h"
#include "common/run_record.h"
#include "controller/suite.h"

namespace omx::harness {

struct ControllerOptions {
    std::vector<AgentAddress> agents;
    std::string key_file = kDefaultKeyFile;
    double sample_interval = 1.0;   // seconds
    double lost_after = 5.0;        // a node whose agent has not answered for this long is lost
    std::function<void(const std::string&)> say;   // progress lines for the console
};

class Controller {
public:
    Controller(boost::asio::io_context& io, ControllerOptions opt);
    ~Controller();
    // Connects to the agents (each must answer: a run does not start on half a cluster),
    // runs the suite, returns everything it saw. Throws when it cannot start.
    boost::asio::awaitable<RunRecord> run(const Suite& suite, std::string suite_file);

private:
    struct Node;
    struct Active;
    boost::asio::awaitable<void> connect(Node& n);
    boost::asio::awaitable<void> read_loop(std::shared_ptr<Node> n);
    boost::asio::awaitable<nlohmann::json> call(Node& n, nlohmann::json req, double timeout_s);
    boost::asio::awaitable<void> sample_loop();
    boost::asio::awaitable<void> sample_node(std::shared_ptr<Node> n);
    boost::asio::awaitable<void> run_test(const TestSpec& spec, size_t index, int copy, size_t slot);
    boost::asio::awaitable<void> run_once(const TestSpec& spec, const std::string& id, Node& n, TestResult& r);
    boost::asio::awaitable<void> sleep(double seconds);
    void lose(Node& n, const std::string& why);
    Node* node_for(const TestSpec& spec);
    double now() const;   // seconds since the run started

    boost::asio::io_context& io_;
    ControllerOptions opt_;
    ClusterKey key_;
    std::vector<std::shared_ptr<Node>> nodes_;
    RunRecord record_;
    std::chrono::steady_clock::time_point t0_;
    bool sampling_ = false;
    int cluster_cpus_ = 0;
};

}  // namespace omx::harness
