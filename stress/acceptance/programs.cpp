#include "programs.h"

#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <set>
#include <thread>

#include "children.h"
#include "pipes.h"
#include "workers.h"

namespace omx::stress {

namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Asks `done` every half second until it is true or `limit` passed.
bool poll_until(const std::function<bool()>& done, std::chrono::seconds limit) {
    auto until = Clock::now() + limit;
    for (;;) {
        if (done()) return true;
        if (Clock::now() >= until) return false;
        std::this_thread::sleep_for(milliseconds(500));
    }
}

// Where a child runs; 0 when omxd no longer knows it (it ended meanwhile).
int node_or_zero(pid_t pid, int self) {
    try {
        return node_of(pid, self);
    } catch (const std::exception&) {
        return 0;
    }
}

std::string join(const std::set<int>& nodes) {
    std::string s;
    for (int n : nodes) s += (s.empty() ? "" : ",") + std::to_string(n);
    return s;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// The refusal a process that cannot move must get, and the same word in its cantmove.
Outcome expect_refusal(pid_t pid, const AcceptanceContext& ctx, const std::string& word) {
    int target = ctx.view.others().front();
    MoveReply reply = request_move(pid, std::to_string(target));
    std::string cant = cantmove_of(pid);
    int node = node_or_zero(pid, ctx.view.self);
    if (reply.ok) return Outcome::fail("migrate to node " + std::to_string(target) + " was not refused (now on node " + std::to_string(node) + ")");
    if (!contains(reply.error, "(" + word + ")")) return Outcome::fail("migrate refused with '" + reply.error + "', expected " + word);
    if (cant != word) return Outcome::fail("cantmove says '" + cant + "', expected " + word);
    if (node != ctx.view.self) return Outcome::fail("it runs on node " + std::to_string(node) + " after the refusal");
    return Outcome::pass("migrate refused: " + reply.error + "; cantmove " + cant);
}

// The children's side of the sub-tests ------------------------------------------------

[[noreturn]] void busy_loop() {
    volatile unsigned i = 0;   // the HOWTO's program: unsigned i; while(1) i++;
    for (;;) i = i + 1;
}

int shm_holder(int ready) {
    int id = ::shmget(IPC_PRIVATE, 1 << 20, IPC_CREAT | 0600);
    if (id < 0) return 2;
    char* p = static_cast<char*>(::shmat(id, nullptr, 0));
    ::shmctl(id, IPC_RMID, nullptr);   // gone with us, whatever way we end
    if (p == reinterpret_cast<char*>(-1)) return 3;
    send_number(ready, 1);
    for (int i = 0;; ++i) {
        std::memset(p, i, 4096);
        ::usleep(100000);
    }
}

int64_t echo_transform(int64_t x) { return 3 * x * x + 1; }

int pipe_echo(int in, int out) {
    for (;;) {
        auto x = receive_number(in, std::chrono::hours(1));
        if (!x) return 3;
        if (*x == 0) return 0;
        if (!send_number(out, echo_transform(*x))) return 4;
    }
}

constexpr int64_t kThreadSumTo = 20000000;

// Two threads: the second sums the odd numbers, the first the even ones, once told to go.
int two_threads(int ready, int go, int result) {
    auto part = [go](int64_t first) {
        char c;
        if (::read(go, &c, 1) != 1) return int64_t(-1);
        int64_t sum = 0;
        for (int64_t k = first; k <= kThreadSumTo; k += 2) sum += k;
        return sum;
    };
    int64_t odd = 0;
    std::thread second([&] { odd = part(1); });
    send_number(ready, 1);
    int64_t even = part(2);
    second.join();
    return send_number(result, odd + even) ? 0 : 4;
}

}  // namespace

// (a) ------------------------------------------------------------------------------------

Outcome test_busyloop(const AcceptanceContext& ctx) {
    if (ctx.view.others().empty()) return Outcome::skip("no other node is up");
    int n = cluster_cpus() + 1;
    std::vector<Child> loops;
    for (int i = 0; i < n; ++i) loops.push_back(Child::fork([]() -> int { busy_loop(); }));
    auto t0 = Clock::now();
    pid_t away = 0;
    int node = 0;
    bool left = poll_until([&] {
        for (auto& c : loops) {
            int w = node_or_zero(c.pid(), ctx.view.self);
            if (w && w != ctx.view.self) {
                away = c.pid();
                node = w;
                return true;
            }
        }
        return false;
    }, ctx.wait);
    if (!left) return Outcome::fail("none of " + std::to_string(n) + " busy loops left home within " + std::to_string(ctx.wait.count()) + " s");
    char buf[160];
    std::snprintf(buf, sizeof buf, "%d busy loops; loop %d ran away to node %d after %.1f s", n, int(away), node, seconds_since(t0));
    return Outcome::pass(buf);
}

// (b) ------------------------------------------------------------------------------------

Outcome test_shmget(const AcceptanceContext& ctx) {
    if (ctx.view.others().empty()) return Outcome::skip("no other node is up");
    Pipe ready = make_pipe();
    Child holder = Child::fork([&] { return shm_holder(ready.wr.get()); });
    ready.wr.reset();
    if (!receive_number(ready.rd.get(), milliseconds(10000))) return Outcome::fail("the shmget child did not attach its segment");
    Outcome o = expect_refusal(holder.pid(), ctx, "mem_lock");
    if (o.verdict == Verdict::pass && !holder.running()) return Outcome::fail("the shmget child died after the refused move");
    return o;
}

// (c) ------------------------------------------------------------------------------------

Outcome test_pipe(const AcceptanceContext& ctx) {
    if (ctx.view.others().empty()) return Outcome::skip("no other node is up");
    Pipe down = make_pipe(), up = make_pipe();
    Child echo = Child::fork([&] {
        down.wr.reset();
        up.rd.reset();
        return pipe_echo(down.rd.get(), up.wr.get());
    });
    down.rd.reset();
    up.wr.reset();
    int target = ctx.view.others().front(), moved_at = ctx.messages / 3;
    for (int i = 1; i <= ctx.messages; ++i) {
        if (i == moved_at + 1) {
            MoveReply reply = request_move(echo.pid(), std::to_string(target));
            if (!reply.ok) return Outcome::fail("could not move the echoing child to node " + std::to_string(target) + ": " + reply.error);
            if (int w = node_or_zero(echo.pid(), ctx.view.self); w != target)
                return Outcome::fail("the echoing child runs on node " + std::to_string(w) + ", not " + std::to_string(target));
        }
        auto answer = send_number(down.wr.get(), i) ? receive_number(up.rd.get(), milliseconds(30000)) : std::nullopt;
        if (!answer) return Outcome::fail("no answer to " + std::to_string(i) + (i > moved_at ? " (child away)" : " (child at home)"));
        if (*answer != echo_transform(i))
            return Outcome::fail("answer to " + std::to_string(i) + " is " + std::to_string(*answer) + ", expected " + std::to_string(echo_transform(i)));
    }
    send_number(down.wr.get(), 0);
    auto status = echo.wait(ctx.timeout);
    if (!status || *status != 0) return Outcome::fail("the echoing child ended with " + (status ? describe_status(*status) : "no end"));
    return Outcome::pass(std::to_string(ctx.messages) + " answers right, " + std::to_string(ctx.messages - moved_at) + " of them from node " +
                         std::to_string(target));
}

// (d) ------------------------------------------------------------------------------------

Outcome test_pthreads(const AcceptanceContext& ctx) {
    if (ctx.view.others().empty()) return Outcome::skip("no other node is up");
    Pipe ready = make_pipe(), go = make_pipe(), result = make_pipe();
    Child worker = Child::fork([&] { return two_threads(ready.wr.get(), go.rd.get(), result.wr.get()); });
    ready.wr.reset();
    go.rd.reset();
    result.wr.reset();
    if (!receive_number(ready.rd.get(), milliseconds(10000))) return Outcome::fail("the threaded child did not start its thread");
    Outcome refusal = expect_refusal(worker.pid(), ctx, "clone_vm");
    if (::write(go.wr.get(), "gg", 2) != 2) return Outcome::fail("the threaded child is gone");
    auto sum = receive_number(result.rd.get(), std::chrono::duration_cast<milliseconds>(ctx.timeout));
    auto status = worker.wait(ctx.timeout);
    if (refusal.verdict != Verdict::pass) return refusal;
    int64_t expected = kThreadSumTo * (kThreadSumTo + 1) / 2;
    if (!status || *status != 0) return Outcome::fail("the threaded child ended with " + (status ? describe_status(*status) : "no end"));
    if (!sum || *sum != expected)
        return Outcome::fail("the threads' sum is " + (sum ? std::to_string(*sum) : "missing") + ", expected " + std::to_string(expected));
    return Outcome::pass(refusal.detail + "; the threads' sum is right");
}

// (e) ------------------------------------------------------------------------------------

Outcome test_awk(const AcceptanceContext& ctx) {
    if (ctx.view.others().empty()) return Outcome::skip("no other node is up");
    std::string n = std::to_string(ctx.awk_n);
    std::string program = "BEGIN {for(i=0;i<" + n + ";i++)for(j=0;j<" + n + ";j++);}";
    std::vector<Child> jobs;
    for (size_t i = 0; i < 2 * ctx.view.up.size(); ++i) jobs.push_back(Child::exec({"awk", program}));
    auto t0 = Clock::now();
    std::set<int> seen;
    bool spread = poll_until([&] {
        std::set<int> now;
        for (auto& j : jobs)
            if (int w = node_or_zero(j.pid(), ctx.view.self)) now.insert(w);
        if (now.size() > seen.size()) seen = now;
        return now.size() >= 2;
    }, ctx.wait);
    double spread_s = seconds_since(t0);
    std::string bad;
    for (auto& j : jobs) {
        auto status = j.wait(ctx.timeout);
        if (!status || *status != 0) bad += " awk " + std::to_string(j.pid()) + ": " + (status ? describe_status(*status) : "still running");
    }
    std::string what = std::to_string(jobs.size()) + " awk jobs";
    if (!spread) return Outcome::fail(what + " never ran on 2 nodes at once within " + std::to_string(ctx.wait.count()) + " s");
    if (!bad.empty()) return Outcome::fail(what + ", some did not exit 0:" + bad);
    char buf[160];
    std::snprintf(buf, sizeof buf, "%s on nodes %s at once after %.1f s; all exited 0 after %.1f s", what.c_str(), join(seen).c_str(), spread_s,
                  seconds_since(t0));
    return Outcome::pass(buf);
}

}  // namespace omx::stress
