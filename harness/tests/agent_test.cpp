// The agent and the controller's wire, in one process over loopback.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "agent/agent.h"
#include "common/json_link.h"

namespace asio = boost::asio;
using namespace omx::harness;
using nlohmann::json;

namespace {

struct KeyFile {
    std::string path;
    explicit KeyFile(const std::string& hex) {
        path = std::filesystem::temp_directory_path() / ("omx-agent-test-key-" + std::to_string(::getpid()) + hex.substr(0, 4));
        std::ofstream(path) << hex << "\n";
    }
    ~KeyFile() { std::filesystem::remove(path); }
};

const std::string kKey = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const std::string kOtherKey = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

struct AgentFixture : ::testing::Test {
    asio::io_context io;
    KeyFile key{kKey};
    std::unique_ptr<Agent> agent;
    std::string work = std::filesystem::temp_directory_path() / ("omx-agent-test-" + std::to_string(::getpid()));
    void SetUp() override {
        AgentOptions o;
        o.listen = "127.0.0.1";
        o.port = 0;
        o.key_file = key.path;
        o.control_socket = "/nonexistent/omxd.sock";   // no omxd: the agent samples /proc itself
        o.work_dir = work;
        agent = std::make_unique<Agent>(io, o);
        agent->start();
    }
    void TearDown() override { std::filesystem::remove_all(work); }

    // Runs `body` as the controller against the agent; returns when it is done.
    void as_controller(const std::string& key_path, std::function<asio::awaitable<void>(JsonLink&)> body) {
        bool done = false;
        asio::co_spawn(io, [&]() -> asio::awaitable<void> {
            asio::ip::tcp::socket sock(io);
            co_await sock.async_connect({asio::ip::make_address("127.0.0.1"), agent->port()}, asio::use_awaitable);
            auto link = std::make_shared<JsonLink>(std::move(sock));
            co_await body(*link);
            link->close();
        }, [&](std::exception_ptr e) {
            done = true;
            if (e) std::rethrow_exception(e);
        });
        (void)key_path;
        while (!done) io.run_one_for(std::chrono::seconds(30));
    }
};

// Processes of a process group that are still running (zombies waiting for a reaper are dead).
int live_in_group(pid_t group) {
    int live = 0;
    for (const auto& [pid, ppid] : parent_map()) {
        std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
        std::string line;
        std::getline(in, line);
        auto close = line.rfind(')');
        if (close != std::string::npos && line.size() > close + 2 && line[close + 2] != 'Z' && ::getpgid(pid) == group) ++live;
    }
    return live;
}

asio::awaitable<json> next_message(JsonLink& link) {
    auto m = co_await link.read();
    if (!m) throw std::runtime_error("agent closed the link");
    co_return *m;
}

}  // namespace

TEST_F(AgentFixture, RunsATestAndReportsItsExitAndOutput) {
    as_controller(key.path, [&](JsonLink& link) -> asio::awaitable<void> {
        json info = co_await greet_agent(link, omx::ClusterKey::load(key.path));
        EXPECT_FALSE(info["host"].get<std::string>().empty());
        EXPECT_FALSE(info["omxd"].get<bool>());
        link.send({{"rid", 1}, {"op", "run"}, {"id", "t1-1-1"}, {"argv", {"sh", "-c", "echo hello; echo oops >&2; exit 3"}}});
        json started = co_await next_message(link);
        EXPECT_TRUE(started["ok"].get<bool>()) << started.dump();
        EXPECT_EQ(started["rid"], 1);
        json exit = co_await next_message(link);
        EXPECT_EQ(exit["event"], "exit");
        EXPECT_EQ(exit["id"], "t1-1-1");
        EXPECT_EQ(exit["retval"], 3);
        EXPECT_EQ(exit["log"], "hello\noops\n");
        EXPECT_FALSE(exit["timed_out"].get<bool>());
    });
}

TEST_F(AgentFixture, KillsATestAtItsTimeoutWithItsChildren) {
    as_controller(key.path, [&](JsonLink& link) -> asio::awaitable<void> {
        co_await greet_agent(link, omx::ClusterKey::load(key.path));
        link.send({{"rid", 1}, {"op", "run"}, {"id", "slow"}, {"timeout", 0.5}, {"argv", {"sh", "-c", "sleep 100 & sleep 100"}}});
        json started = co_await next_message(link);
        EXPECT_TRUE(started["ok"].get<bool>());
        json exit = co_await next_message(link);
        EXPECT_TRUE(exit["timed_out"].get<bool>());
        EXPECT_EQ(exit["signal"], 9);
        // The background sleep was in the test's session: it went too.
        const pid_t leader = started["pid"];
        // SIGKILL lands asynchronously: give the kernel a moment.
        asio::steady_timer t(co_await asio::this_coro::executor);
        for (int i = 0; i < 100 && live_in_group(leader) > 0; ++i) {
            t.expires_after(std::chrono::milliseconds(20));
            co_await t.async_wait(asio::use_awaitable);
        }
        EXPECT_EQ(live_in_group(leader), 0);
    });
}

TEST_F(AgentFixture, SamplesCountTheTestsProcesses) {
    as_controller(key.path, [&](JsonLink& link) -> asio::awaitable<void> {
        co_await greet_agent(link, omx::ClusterKey::load(key.path));
        link.send({{"rid", 1}, {"op", "run"}, {"id", "three"}, {"argv", {"sh", "-c", "sleep 5 & sleep 5 & wait"}}});
        co_await next_message(link);
        asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(300));
        co_await t.async_wait(asio::use_awaitable);
        link.send({{"rid", 2}, {"op", "sample"}});
        json s = co_await next_message(link);
        EXPECT_EQ(s["rid"], 2);
        EXPECT_EQ(s["processes"], 3) << s.dump();
        EXPECT_GT(s["mem_total_mb"].get<double>(), 0);
        link.send({{"rid", 3}, {"op", "kill"}, {"id", "three"}});
        EXPECT_TRUE((co_await next_message(link))["ok"].get<bool>());
        EXPECT_EQ((co_await next_message(link))["event"], "exit");
    });
}

TEST_F(AgentFixture, RefusesAControllerWithoutTheKey) {
    KeyFile other{kOtherKey};
    as_controller(other.path, [&](JsonLink& link) -> asio::awaitable<void> {
        EXPECT_THROW(co_await greet_agent(link, omx::ClusterKey::load(other.path)), AuthError);
    });
}

TEST_F(AgentFixture, BadRequestsAreAnsweredNotFatal) {
    as_controller(key.path, [&](JsonLink& link) -> asio::awaitable<void> {
        co_await greet_agent(link, omx::ClusterKey::load(key.path));
        link.send({{"rid", 1}, {"op", "run"}, {"id", "x y"}, {"argv", {"true"}}});
        EXPECT_FALSE((co_await next_message(link))["ok"].get<bool>());
        link.send({{"rid", 2}, {"op", "run"}, {"id", "x"}});
        EXPECT_NE((co_await next_message(link))["error"].get<std::string>().find("argv"), std::string::npos);
        link.send({{"rid", 3}, {"op", "fly"}});
        EXPECT_FALSE((co_await next_message(link))["ok"].get<bool>());
        link.send({{"rid", 4}, {"op", "run"}, {"id", "nope"}, {"argv", {"/no/such/program"}}});
        json r = co_await next_message(link);
        // posix_spawnp fails in the child for a missing program: exit 127 is reported.
        if (r["ok"].get<bool>()) {
            EXPECT_EQ((co_await next_message(link))["retval"], 127);
        }
        link.send({{"rid", 5}, {"op", "ping"}});
        EXPECT_TRUE((co_await next_message(link))["ok"].get<bool>());
    });
}
