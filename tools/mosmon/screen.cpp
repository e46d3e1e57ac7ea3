#include "screen.h"

#include <curses.h>
#include <fmt/format.h>

#include <algorithm>

namespace omx::tools {

namespace {

enum Pair : short { kBar = 1, kDown = 2, kFree = 3, kTitle = 4 };

constexpr int kHeaderRows = 2;  // title line, then the top scale label's line

void put(int y, int x, const std::string& s) {
    if (y < 0 || y >= LINES || x >= COLS) return;
    mvaddnstr(y, x, s.c_str(), COLS - x);
}

void draw_header(const MonitorState& s, bool colors) {
    std::string title = fmt::format("openMosix monitor -- {}", view_title(s.view));
    if (colors) attron(COLOR_PAIR(kTitle) | A_BOLD);
    put(0, 0, title);
    if (colors) attroff(COLOR_PAIR(kTitle) | A_BOLD);
    std::string keys = "l)oad s)peed m)emory u)til t)otals h)elp q)uit";
    if (int(title.size() + keys.size()) + 3 < COLS) put(0, COLS - int(keys.size()), keys);
}

// The scale on the left: the top value, the middle and zero.
void draw_scale(const MonitorState& s, const ColumnLayout& l, int top_row, int rows, double top) {
    for (int r = 0; r < rows; ++r) put(top_row + r, l.label_width - 1, "|");
    auto label = [&](int row, double v) {
        std::string t = scale_label(s.view, v);
        put(row, std::max(0, l.label_width - 2 - int(t.size())), t);
    };
    label(top_row, top);
    // Halfway up exactly where a bar of top/2 ends, so the label tells the truth.
    if (rows > 4) label(top_row + rows - bar_rows(top / 2, top, rows), top / 2);
    label(top_row + rows - 1, 0);
}

void draw_column(const MonitorState& s, const NodeInfo& n, int x, int width, int top_row, int rows, double top,
                 bool colors) {
    int bottom = top_row + rows - 1;
    if (!n.up) {
        if (colors) attron(COLOR_PAIR(kDown) | A_BOLD);
        put(bottom, x, "down");
        if (colors) attroff(COLOR_PAIR(kDown) | A_BOLD);
        return;
    }
    std::string fill(size_t(width), '#');
    if (s.view == MonView::Memory) {
        // The node's total memory as dots, the part in use as bars over it.
        std::string dots(size_t(width), '.');
        if (colors) attron(COLOR_PAIR(kFree));
        for (int r = 0; r < bar_rows(double(n.tmem), top, rows); ++r) put(bottom - r, x, dots);
        if (colors) attroff(COLOR_PAIR(kFree));
    }
    int h = bar_rows(bar_value(s.view, n), top, rows);
    if (colors) attron(COLOR_PAIR(kBar));
    for (int r = 0; r < h; ++r) put(bottom - r, x, fill);
    if (colors) attroff(COLOR_PAIR(kBar));
}

void draw_help() {
    auto lines = help_lines();
    int w = 0;
    for (const auto& l : lines) w = std::max(w, int(l.size()));
    int y0 = std::max(0, (LINES - int(lines.size())) / 2 - 1), x0 = std::max(0, (COLS - w) / 2 - 2);
    std::string blank(size_t(w + 4), ' ');
    for (int i = 0; i < int(lines.size()) + 2; ++i) put(y0 + i, x0, blank);
    for (int i = 0; i < int(lines.size()); ++i) put(y0 + 1 + i, x0 + 2, lines[size_t(i)]);
}

}  // namespace

Screen::Screen() {
    initscr();
    cbreak();
    noecho();
    keypad(stdscr, TRUE);
    curs_set(0);
    if (has_colors()) {
        start_color();
        use_default_colors();
        init_pair(kBar, COLOR_GREEN, -1);
        init_pair(kDown, COLOR_RED, -1);
        init_pair(kFree, COLOR_BLUE, -1);
        init_pair(kTitle, COLOR_CYAN, -1);
        colors_ = true;
    }
}

Screen::~Screen() { endwin(); }

int Screen::read_key(int timeout_ms) {
    timeout(std::max(0, timeout_ms));
    return getch();
}

int Screen::width() const { return COLS; }

void Screen::draw(MonitorState& s) {
    erase();
    draw_header(s, colors_);
    int max_id = 1;
    for (const auto& n : s.nodes) max_id = std::max(max_id, int(n.id));
    ColumnLayout l = column_layout(COLS, int(s.nodes.size()), max_id, s.scroll);
    s.scroll = l.first;
    int footer = 2 + (s.totals ? 1 : 0);  // axis line, ids, totals
    int rows = LINES - kHeaderRows - footer;
    if (!s.problem.empty()) put(1, 0, s.problem);
    if (rows < 3 || COLS < l.label_width + l.column_width) {
        put(1, 0, "window too small");
    } else if (s.nodes.empty()) {
        put(kHeaderRows, 0, s.problem.empty() ? "openMosix is not configured on this node" : "");
    } else {
        double top = chart_top(s.view, s.nodes);
        draw_scale(s, l, kHeaderRows, rows, top);
        int axis = kHeaderRows + rows;
        put(axis, l.label_width - 1, std::string(size_t(l.visible * l.column_width + 1), '-'));
        put(axis + 1, 0, l.first > 0 ? "<  Node" : "   Node");
        for (int i = 0; i < l.visible; ++i) {
            const NodeInfo& n = s.nodes[size_t(l.first + i)];
            int x = l.label_width + i * l.column_width;
            draw_column(s, n, x, l.column_width - 1, kHeaderRows, rows, top, colors_);
            put(axis + 1, x, fmt::format("{:>{}}", n.id, l.column_width - 1));
        }
        if (l.first + l.visible < int(s.nodes.size())) put(axis + 1, COLS - 1, ">");
        if (s.totals) put(axis + 2, 0, totals_text(s.nodes));
    }
    if (s.help) draw_help();
    refresh();
}

}  // namespace omx::tools
