"""Checks that a stress report really renders in Chromium: its table rows are in the DOM and,
on a screenshot, the node lines of both charts and the status colours are there in enough
pixels. Used on a made-up run (test_report_render.py) and on a real one (the stress test)."""
import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from png import colour_counts, decode

# harness/report/html.cpp's palette, in the order the nodes are listed, and badge colours.
NODE_COLOURS = [(0x1f, 0x77, 0xb4), (0xff, 0x7f, 0x0e), (0x2c, 0xa0, 0x2c), (0x94, 0x67, 0xbd),
                (0x8c, 0x56, 0x4b), (0xe3, 0x77, 0xc2), (0x17, 0xbe, 0xcf), (0xbc, 0xbd, 0x22)]
STATUS_COLOURS = {"pass": (0x2e, 0x9e, 0x44), "fail": (0xd6, 0x27, 0x28), "brok": (0xb8, 0x86, 0x0b),
                  "conf": (0x6c, 0x75, 0x7d)}
# A node's two legend swatches (1.5em x 0.35em each) come to about 270 pixels of its colour;
# a line over the whole run adds about 1000 per chart.
LEGEND_PIXELS = 200
LINE_PIXELS = 450
# A badge is some 90x25 pixels; a status cell more.
BADGE_PIXELS = 500
TIMEOUT = 60


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("Chromium is not installed (Debian package chromium)")


def _chromium(args, home):
    """Runs headless Chromium; its stderr (dbus complaints, mostly) is kept for a failure message."""
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
           f"--user-data-dir={home}/profile", *args]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ, HOME=home),
                         start_new_session=True)
    try:
        out, err = p.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)   # its own session: the renderer and zygote go too
        p.communicate()
        pytest.fail(f"chromium did not finish in {TIMEOUT} s: {' '.join(cmd)}")
    return out.decode(errors="replace"), err.decode(errors="replace")


def _window_height(html):
    """Tall enough for the whole page, so both charts and every table row are on the screenshot."""
    return max(2000, 1300 + 45 * html.count("<tr"))


def _statuses(dom):
    return re.findall(r'<tr class="(pass|fail|brok|conf)">', dom)


def assert_report_renders(html_path, node_count, every_line_visible=False):
    """Asserts the report at html_path renders with node_count nodes' lines; returns the DOM.

    On a real run nodes may draw the same line (idle ones all at load 0, nodes of one host
    with the same memory), the last drawn hiding the others: so by default each node's
    colour must be in the legends and the lines of all nodes together must show.
    every_line_visible=True, for made-up runs, wants each node's own line on the screenshot."""
    html_path = Path(html_path).resolve()
    html = html_path.read_text(errors="replace")
    with tempfile.TemporaryDirectory() as home:
        dom, err = _chromium(["--dump-dom", html_path.as_uri()], home)
        for wanted in ('id="results"', 'id="load-chart"', 'id="memory-chart"', 'id="migrations"', 'id="nodes"'):
            assert wanted in dom, f"{wanted} is not in the DOM Chromium built: {err[-2000:]}"
        statuses = _statuses(dom)
        assert statuses == _statuses(html), "the DOM does not have the page's test rows"
        if "no samples" not in dom:
            assert dom.count("<polyline") == 2 * node_count, "not one line per node on each chart"

        shot = os.path.join(home, "shot.png")
        height = _window_height(html)
        _, err = _chromium([f"--screenshot={shot}", f"--window-size=1280,{height}", html_path.as_uri()], home)
        assert os.path.exists(shot), f"chromium wrote no screenshot: {err[-2000:]}"
        width, got_height, _, _ = decode(open(shot, "rb").read())
        assert (width, got_height) == (1280, height)

        nodes = NODE_COLOURS[:node_count]
        counts = colour_counts(shot, nodes + list(STATUS_COLOURS.values()))
        if "no samples" not in dom:
            _assert_lines(counts, nodes, every_line_visible)
        for status in set(statuses):
            assert counts[STATUS_COLOURS[status]] >= BADGE_PIXELS, \
                f"the {status} colour is not on the screenshot: {counts}"
    return dom


def _assert_lines(counts, nodes, every_line_visible):
    for i, c in enumerate(nodes):
        least = LEGEND_PIXELS + (LINE_PIXELS if every_line_visible else 0)
        assert counts[c] >= least, f"node {i + 1}'s colour {c} is in {counts[c]} pixels, fewer than {least}: {counts}"
    lines = sum(counts[c] - LEGEND_PIXELS for c in nodes)
    assert lines >= 2 * LINE_PIXELS, f"the charts' lines are not on the screenshot: {counts}"
