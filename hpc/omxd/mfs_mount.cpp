#include "mfs_mount.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include "helpers.h"
#include "state_file.h"

namespace omx {

namespace asio = boost::asio;

MfsMount::MfsMount(asio::io_context& io, MfsSettings s) : io_(io), s_(std::move(s)), timer_(io) {}

void MfsMount::start() {
    if (!s_.enabled) return;
    asio::co_spawn(io_, watch(), asio::detached);
}

void MfsMount::stop() {
    stopping_ = true;
    timer_.cancel();
    // omx-mfs stays: the mount outlives an omxd restart, like every helper.
}

void MfsMount::start_helper() {
    std::vector<std::string> argv = {helper_path("omx-mfs"), "-f", s_.mount, "--dfsa", s_.dfsa ? "1" : "0",
                                     "--key", s_.key_file, "--control-socket", s_.control_socket,
                                     "--state", s_.state_file, "--timeout", std::to_string(s_.timeout_ms)};
    try {
        helper_ = spawn(argv, {});
        started_at_ = std::chrono::steady_clock::now();
        spdlog::info("oMFS: started omx-mfs (pid {}) for {}", helper_, s_.mount);
    } catch (const std::exception& e) {
        spdlog::error("oMFS: cannot start omx-mfs: {}", e.what());
    }
}

asio::awaitable<void> MfsMount::watch() {
    while (!stopping_) {
        auto state = mfs::read_state(s_.state_file);
        bool helper_alive = helper_ > 0 && ::kill(helper_, 0) == 0;
        // A helper just started gets 10 s to mount before it counts as failed.
        bool starting = helper_alive && std::chrono::steady_clock::now() - started_at_ < std::chrono::seconds(10);
        if (!state && !starting) {
            if (helper_alive) ::kill(helper_, SIGTERM);
            start_helper();
        }
        timer_.expires_after(std::chrono::seconds(2));
        boost::system::error_code ec;
        co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

nlohmann::json MfsMount::status() const {
    auto state = mfs::read_state(s_.state_file);
    return {{"enabled", s_.enabled}, {"mounted", bool(state)}, {"mount", state ? state->mount : s_.mount},
            {"dfsa", state && state->dfsa}, {"pid", state ? state->pid : 0}};
}

}  // namespace omx
