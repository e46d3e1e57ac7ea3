#include "cluster.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "common/control.h"
#include "common/fd.h"

namespace omx::stress {

namespace {

constexpr int kMoveTimeoutMs = 310000;   // omxd answers a first move within 300 s

nlohmann::json move_reply_json(const MoveReply& r) {
    return {{"ok", r.ok}, {"node", r.node}, {"frozen_ms", r.frozen_ms}, {"note", r.note}, {"error", r.error}};
}

MoveReply move_reply_from(const nlohmann::json& j) {
    MoveReply r;
    r.ok = j.value("ok", false);
    r.node = j.value("node", 0);
    r.frozen_ms = j.value("frozen_ms", 0.0);
    r.note = j.value("note", std::string());
    r.error = j.value("error", std::string());
    return r;
}

// Reads a non-blocking pipe to its end, sleeping between empty reads. A migrated process
// blocked in a forwarded call (a read at home) cannot be moved until the call returns, so
// a process waiting for the helper that moves it must never block in one.
std::string read_to_end_sleeping(int fd) {
    std::string out;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            timespec pause{0, 5 * 1000000L};   // nanosleep runs where the process is
            ::nanosleep(&pause, nullptr);
            continue;
        }
        if (n <= 0) return out;
        out.append(buf, size_t(n));
    }
}

}  // namespace

std::vector<int> ClusterView::others() const {
    std::vector<int> out;
    for (int id : up)
        if (id != self) out.push_back(id);
    return out;
}

std::optional<ClusterView> cluster_view() {
    nlohmann::json reply;
    try {
        reply = control::call({{"cmd", "nodes"}});
    } catch (const control::NotRunning&) {
        return std::nullopt;
    }
    ClusterView view;
    view.self = reply.value("self", 0);
    for (const auto& n : reply.at("nodes"))
        if (n.value("up", false) || n.value("self", false)) view.up.push_back(n.value("id", 0));
    std::sort(view.up.begin(), view.up.end());
    return view;
}

int node_of(pid_t pid, int self) {
    int where = control::call({{"cmd", "process"}, {"pid", pid}}).value("where", 0);
    return where == 0 ? self : where;
}

std::string cantmove_of(pid_t pid) {
    return control::call({{"cmd", "process"}, {"pid", pid}}).value("cantmove", std::string());
}

std::string move_target(int target, int self) { return target == self ? "home" : std::to_string(target); }

MoveReply request_move(pid_t pid, const std::string& to) {
    try {
        return move_reply_from(control::call({{"cmd", "migrate"}, {"pid", pid}, {"to", to}},
                                             control::socket_path(), kMoveTimeoutMs));
    } catch (const std::exception& e) {   // the daemon's refusal, or no answer at all
        MoveReply r;
        r.error = e.what();
        return r;
    }
}

MoveReply request_move_from_helper(pid_t pid, const std::string& to) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
    UniqueFd rd(fds[0]), wr(fds[1]);
    pid_t helper = ::fork();
    if (helper < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (helper == 0) {
        rd.reset();
        std::string text = move_reply_json(request_move(pid, to)).dump();
        ssize_t ignored = ::write(wr.get(), text.data(), text.size());
        (void)ignored;
        ::_exit(0);
    }
    wr.reset();
    std::string text = read_to_end_sleeping(rd.get());
    int status = 0;
    while (::waitpid(helper, &status, 0) < 0 && errno == EINTR) {
    }
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        MoveReply r;
        r.error = "the helper asking omxd for the move died (wait status " + std::to_string(status) + ")";
        return r;
    }
    return move_reply_from(j);
}

int next_stop(const std::vector<int>& stops, int last, int skip) {
    if (stops.empty()) return 0;
    auto it = std::upper_bound(stops.begin(), stops.end(), last);
    for (size_t i = 0; i < stops.size(); ++i, ++it) {
        if (it == stops.end()) it = stops.begin();
        if (*it != skip) return *it;
    }
    return 0;
}

}  // namespace omx::stress
