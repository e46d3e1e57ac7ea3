#pragma once
// omxd keeps oMFS mounted on its node: it starts omx-mfs (which mounts /mfs and serves
// this node's files) and starts it again when it is gone. An oMFS already mounted by
// mount(8) (an fstab line) is left alone. What oMFS does is read from omx-mfs's state
// file, for the status and `version` answers.
#include <utility>  // boost 1.74 awaitable.hpp needs std::exchange
#include <boost/asio.hpp>
#include <nlohmann/json.hpp>
#include <sys/types.h>

#include <chrono>
#include <string>

namespace omx {

struct MfsSettings {
    bool enabled = true;
    std::string mount = "/mfs";
    bool dfsa = true;
    std::string key_file;
    std::string control_socket;
    std::string state_file;   // <run dir>/mfs.json
    int timeout_ms = 5000;    // the failure timeout: the node's down timeout
};

class MfsMount {
public:
    MfsMount(boost::asio::io_context& io, MfsSettings s);
    void start();
    void stop();
    // {"enabled", "mounted", "mount", "dfsa", "pid"}
    nlohmann::json status() const;

private:
    boost::asio::awaitable<void> watch();
    void start_helper();

    boost::asio::io_context& io_;
    MfsSettings s_;
    boost::asio::steady_timer timer_;
    pid_t helper_ = 0;
    std::chrono::steady_clock::time_point started_at_{};
    int failures_ = 0;   // starts in a row that did not mount: the next waits longer
    bool stopping_ = false;
};

}  // namespace omx
