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
        // A helper gets 10 s to mount before it counts as failed; after failures the next
        // start waits longer (up to a minute): a node that cannot mount (no /dev/fuse, a
        // read-only root without /mfs) is not pestered every 2 s.
        const auto since = std::chrono::steady_clock::now() - started_at_;
        const auto wait = std::chrono::seconds(std::min(60, failures_ ? 10 << std::min(failures_ - 1, 3) : 10));
        if (state) {
            failures_ = 0;
        } else if (!helper_ || since >= wait || (!helper_alive && failures_ == 0 && since >= std::chrono::seconds(2))) {
            if (helper_) {
                ++failures_;
                if (failures_ == 1 || failures_ % 10 == 0)
                    spdlog::warn("oMFS: omx-mfs did not mount {} (its own messages say why); trying again", s_.mount);
            }
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
