// moving (HOWTO 13.3's moving.sh): runs a command — typically the stress suite's driver —
// as its child and every interval asks omxd to move that child to the next node, home
// included, round-robin; the test passes when the command passes and the moves worked.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include "children.h"
#include "cluster.h"
#include "moves.h"
#include "program.h"

using namespace omx::stress;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
    double interval_s = 60;
    int count = 0;
    std::vector<std::string> command;
};

volatile sig_atomic_t g_child = 0;

// SIGINT and SIGTERM end the command, which then ends the test with its status.
void forward_signal(int sig) {
    if (g_child > 0) ::kill(pid_t(g_child), sig);
}

void install_forwarding() {
    struct sigaction sa {};
    sa.sa_handler = forward_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::string frozen_text(double ms) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "frozen %.1f ms", ms);
    return buf;
}

// One move of the command's process to the stop after `last`; nullopt when there is no
// other node to go to right now.
std::optional<MoveRecord> move_once(pid_t pid, int& last, Clock::time_point t0) {
    auto view = cluster_view();
    if (!view) return MoveRecord{seconds_since(t0), 0, 0, MoveKind::failed, "omxd is not running any more"};
    MoveRecord rec;
    rec.at_s = seconds_since(t0);
    try {
        rec.from = node_of(pid, view->self);
    } catch (const std::exception& e) {   // it ended between two looks
        return MoveRecord{rec.at_s, 0, 0, classify_move(false, "", e.what()), e.what()};
    }
    rec.to = next_stop(view->up, last, rec.from);
    if (rec.to == 0) return std::nullopt;
    MoveReply reply = request_move(pid, move_target(rec.to, view->self));
    rec.kind = classify_move(reply.ok, reply.note, reply.error);
    rec.text = !reply.ok ? reply.error : !reply.note.empty() ? reply.note : reply.frozen_ms > 0 ? frozen_text(reply.frozen_ms) : "";
    last = rec.to;
    return rec;
}

void print_move(size_t n, const MoveRecord& m) {
    std::printf("move %zu at %.1f s: node %d -> node %d: %s%s%s\n", n, m.at_s, m.from, m.to, move_kind_word(m.kind),
                m.text.empty() ? "" : ": ", m.text.c_str());
    std::fflush(stdout);
}

void print_table(const std::vector<MoveRecord>& moves) {
    std::printf("%-4s %8s %5s %5s %-8s %s\n", "move", "time_s", "from", "to", "result", "detail");
    for (size_t i = 0; i < moves.size(); ++i)
        std::printf("%-4zu %8.1f %5d %5d %-8s %s\n", i + 1, moves[i].at_s, moves[i].from, moves[i].to, move_kind_word(moves[i].kind),
                    moves[i].text.c_str());
}

// Waits for the command, moving it every interval while moves are wanted.
std::vector<MoveRecord> carry_around(Child& command, const Options& opt, int self) {
    std::vector<MoveRecord> moves;
    auto t0 = Clock::now();
    auto next = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(opt.interval_s));
    int last = self;
    while (command.running()) {
        bool more = opt.count == 0 || int(moves.size()) < opt.count;
        if (more && Clock::now() >= next) {
            if (auto m = move_once(command.pid(), last, t0)) {
                moves.push_back(*m);
                print_move(moves.size(), *m);
            }
            next += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(opt.interval_s));
            if (next < Clock::now()) next = Clock::now();   // a slow move must not start a burst
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return moves;
}

Outcome run(const Options& opt) {
    auto view = cluster_view();
    std::fflush(stdout);
    Child command = Child::exec(opt.command);
    g_child = command.pid();
    install_forwarding();
    std::vector<MoveRecord> moves;
    if (view) moves = carry_around(command, opt, view->self);
    int status = *command.wait();
    g_child = 0;
    print_table(moves);
    Outcome verdict = judge_moving(status, moves);
    if (!view) verdict.detail += "; omxd is not running: the command ran without moves";
    else if (view->others().empty()) verdict.detail += "; no other node was up";
    return verdict;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app("moving: runs COMMAND and moves it to the next node of the cluster every interval", "moving");
    Options opt;
    app.add_option("-i,--interval", opt.interval_s, "seconds between moves (default 60, as omtest)")->check(CLI::Range(0.1, 86400.0));
    app.add_option("-n,--count", opt.count, "move at most N times (default: until the command ends)")->check(CLI::Range(0, 1000000));
    app.add_option("command", opt.command, "the command and its arguments (after --)")->required();
    app.footer("Example: moving --interval 60 -- sh -c 'eatmem; forkit; distkeygen'");
    return run_program(app, argc, argv, [&] { return run(opt); });
}
