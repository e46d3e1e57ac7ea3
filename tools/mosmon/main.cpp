// mosmon: polls omxd's "nodes" once per interval and charts it; --once prints a table.
#include <curses.h>

#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "common/control.h"
#include "model.h"
#include "mosmon_view.h"
#include "screen.h"
#include "tool_main.h"

namespace {

using namespace omx::tools;
using Clock = std::chrono::steady_clock;

// Short: a monitor that hangs on a stuck daemon is worse than one that says so.
constexpr int kCallTimeoutMs = 2000;

std::vector<NodeInfo> fetch_nodes() {
    return nodes_from_json(omx::control::call({{"cmd", "nodes"}}, omx::control::socket_path(), kCallTimeoutMs));
}

// Keeps the last figures on screen but says why they are not moving.
void refresh_nodes(MonitorState& s) {
    try {
        s.nodes = fetch_nodes();
        s.problem.clear();
    } catch (const omx::control::NotRunning&) {
        s.problem = "omxd stopped answering on this node";
    } catch (const std::exception& e) {
        s.problem = e.what();
    }
}

// Returns false when the user quits.
bool handle_key(MonitorState& s, int key, int page) {
    if (s.help) {  // any key closes the help
        s.help = false;
        return key != 'q' && key != 'Q';
    }
    if (view_for_key(key, s.view)) return true;
    switch (key) {
        case 'q': case 'Q': return false;
        case 't': case 'T': s.totals = !s.totals; break;
        case 'h': case 'H': case '?': s.help = true; break;
        case KEY_LEFT: --s.scroll; break;
        case KEY_RIGHT: ++s.scroll; break;
        case KEY_PPAGE: s.scroll -= page; break;
        case KEY_NPAGE: s.scroll += page; break;
        case KEY_HOME: s.scroll = 0; break;
        case KEY_END: s.scroll = int(s.nodes.size()); break;  // clamped when drawn
        default: break;  // KEY_RESIZE included: the redraw below adapts to the new size
    }
    return true;
}

int monitor(const MosmonOptions& o) {
    MonitorState s;
    s.view = o.view;
    s.totals = o.totals;
    s.nodes = fetch_nodes();  // before the screen: "no daemon" must be a plain message
    Screen screen;
    auto next_poll = Clock::now() + std::chrono::milliseconds(o.interval_ms);
    for (;;) {
        screen.draw(s);
        auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_poll - Clock::now()).count();
        int key = screen.read_key(int(std::max<long long>(0, wait)));
        if (key != ERR && !handle_key(s, key, std::max(1, screen.width() / 5))) return kExitOk;
        if (Clock::now() >= next_poll) {
            refresh_nodes(s);
            next_poll = Clock::now() + std::chrono::milliseconds(o.interval_ms);
        }
    }
}

int run(const std::vector<std::string>& args) {
    MosmonOptions o = parse_mosmon_args(args);
    if (o.help) {
        std::cout << mosmon_usage();
        return kExitOk;
    }
    if (o.once) {
        std::cout << once_table(fetch_nodes());
        return kExitOk;
    }
    return monitor(o);
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    return run_tool("mosmon", [&] { return run(args); }, kNotOpenMosixText);
}
