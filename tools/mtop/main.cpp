// mtop: top with openMosix's NODE column (the node a process runs on now; 0 = here).
//   mtop                 full screen, refreshed every 3 s; q quits, space refreshes
//   mtop -b -n 1         one plain-text refresh (also what it does when stdout is no tty)
// What it computes and prints is in tools/common/mtop_view (unit-tested); this file reads
// the clock and /proc, sleeps and owns the terminal.
#include <curses.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "mtop_view.h"
#include "process_table.h"
#include "tool_main.h"

namespace {

using namespace omx::tools;
// steady_clock is CLOCK_MONOTONIC: %CPU must not jump when someone sets the date.
using Clock = std::chrono::steady_clock;
using Seconds = std::chrono::duration<double>;

// Short: a refresh that hangs on a stuck daemon is worse than one without NODEs.
constexpr int kCallTimeoutMs = 2000;
// The first refresh has no earlier sample to compare with; this much apart, two samples
// already show which processes are busy.
constexpr Seconds kPrimingInterval{0.5};
constexpr int kHeaderRows = 3;  // header, blank line, column titles

std::string read_file(const char* path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), {});
}

std::string clock_text() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    ::localtime_r(&t, &tm);
    char buf[16];
    return std::strftime(buf, sizeof buf, "%H:%M:%S", &tm) ? buf : "?";
}

NodeFigures node_figures() {
    NodeFigures n;
    n.ticks_per_second = ::sysconf(_SC_CLK_TCK);
    n.page_size = ::sysconf(_SC_PAGESIZE);
    n.mem_total_kb = parse_mem_total_kb(read_file("/proc/meminfo"));
    return n;
}

struct Frame {
    std::string header;
    std::vector<TopRow> rows;
};

// Reads the processes once per refresh and remembers their ticks for the next one.
class Sampler {
public:
    explicit Sampler(std::vector<long> pids) : pids_(std::move(pids)), node_(node_figures()) {}

    Frame sample() {
        auto at = Clock::now();
        auto processes = read_processes(pids_.empty() ? all_pids() : pids_);
        mark_away(processes, away_processes(kCallTimeoutMs));
        double wall = taken_ ? Seconds(at - at_).count() : 0;
        Frame f;
        f.rows = top_rows(processes, before_, wall, node_);
        f.header = header_line(clock_text(), f.rows, parse_load1(read_file("/proc/loadavg")));
        before_ = tick_history(processes);
        at_ = at;
        taken_ = true;
        return f;
    }

    long ticks_per_second() const { return node_.ticks_per_second; }

private:
    std::vector<long> pids_;
    NodeFigures node_;
    TickHistory before_;
    Clock::time_point at_;
    bool taken_ = false;
};

Clock::duration clock_duration(Seconds s) { return std::chrono::duration_cast<Clock::duration>(s); }

bool more_refreshes(const MtopOptions& o, long long done) { return !o.iterations || done < *o.iterations; }

int batch(const MtopOptions& o) {
    Sampler sampler(o.pids);
    sampler.sample();
    std::this_thread::sleep_for(kPrimingInterval);
    for (long long done = 0; more_refreshes(o, done); ++done) {
        if (done > 0) {
            std::this_thread::sleep_for(Seconds(o.delay_seconds));
            std::cout << "\n";
        }
        Frame f = sampler.sample();
        std::cout << batch_text(f.header, f.rows, sampler.ticks_per_second()) << std::flush;
    }
    return kExitOk;
}

// Owns the terminal from construction to destruction, whatever happens in between.
class Terminal {
public:
    Terminal() {
        initscr();
        cbreak();
        noecho();
        keypad(stdscr, TRUE);
        curs_set(0);
    }
    ~Terminal() { endwin(); }
    Terminal(const Terminal&) = delete;
    Terminal& operator=(const Terminal&) = delete;

    // Waits up to `wait` for a key; ERR when none came (a longer wait is the caller's loop).
    int read_key(Clock::duration wait) {
        auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait).count();
        wtimeout(stdscr, int(std::clamp<long long>(ms, 0, 1000 * 1000)));
        return getch();
    }

    // The rows that do not fit under the titles are cut, as are lines wider than the screen.
    void draw(const Frame& f, long ticks_per_second) {
        erase();
        put(0, f.header);
        attron(A_REVERSE);
        std::string titles = column_titles();
        put(2, titles + std::string(size_t(std::max(0, COLS - int(titles.size()))), ' '));
        attroff(A_REVERSE);
        for (size_t i = 0; i < f.rows.size() && kHeaderRows + int(i) < LINES; ++i)
            put(kHeaderRows + int(i), row_text(f.rows[i], ticks_per_second));
        refresh();
    }

private:
    static void put(int y, const std::string& s) {
        if (y < LINES && COLS > 0) mvaddnstr(y, 0, s.c_str(), COLS);
    }
};

enum class Wait { Refresh, Quit };

// Until `deadline` or a key: q quits, space refreshes now, a resize redraws what is shown.
Wait wait_for_next(Terminal& term, const Frame& shown, long ticks_per_second, Clock::time_point deadline) {
    for (;;) {
        int key = term.read_key(deadline - Clock::now());
        if (key == 'q' || key == 'Q') return Wait::Quit;
        if (key == ' ') return Wait::Refresh;
        if (key == KEY_RESIZE) term.draw(shown, ticks_per_second);
        if (key == ERR && Clock::now() >= deadline) return Wait::Refresh;
    }
}

int interactive(const MtopOptions& o) {
    Sampler sampler(o.pids);
    sampler.sample();
    Terminal term;
    Frame f;  // nothing yet: the first refresh comes after the priming interval
    for (long long done = 0; more_refreshes(o, done); ++done) {
        auto wait = clock_duration(done == 0 ? kPrimingInterval : Seconds(o.delay_seconds));
        if (wait_for_next(term, f, sampler.ticks_per_second(), Clock::now() + wait) == Wait::Quit) return kExitOk;
        f = sampler.sample();
        term.draw(f, sampler.ticks_per_second());
    }
    // Leave the last refresh on the screen for one delay (or until q or space) before exiting.
    wait_for_next(term, f, sampler.ticks_per_second(), Clock::now() + clock_duration(Seconds(o.delay_seconds)));
    return kExitOk;
}

int run(const std::vector<std::string>& args) {
    MtopOptions o = parse_mtop_args(args);
    if (o.help) {
        std::cout << mtop_usage();
        return kExitOk;
    }
    // Without a terminal to draw on (a pipe, a file, a test) the plain text is what is wanted.
    if (o.batch || !::isatty(STDOUT_FILENO)) return batch(o);
    return interactive(o);
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    return run_tool("mtop", [&] { return run(args); });
}
