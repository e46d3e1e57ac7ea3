#pragma once
// The ncurses side of mosmon: owns the terminal for its lifetime and draws one frame
// from a MonitorState. What to draw (scales, columns, bar heights) is computed by
// tools/common/mosmon_view so it is tested without a terminal.
#include <string>
#include <vector>

#include "model.h"
#include "mosmon_view.h"

namespace omx::tools {

struct MonitorState {
    MonView view = MonView::Load;
    bool totals = false;
    bool help = false;
    int scroll = 0;
    std::vector<NodeInfo> nodes;
    std::string problem;  // shown instead of stale data being taken for live data
};

class Screen {
public:
    Screen();   // initscr & co.
    ~Screen();  // endwin, whatever happened
    Screen(const Screen&) = delete;
    Screen& operator=(const Screen&) = delete;

    // Waits up to `timeout_ms` for a key; ERR when none came.
    int read_key(int timeout_ms);
    void draw(MonitorState& s);
    int width() const;

private:
    bool colors_ = false;
};

}  // namespace omx::tools
