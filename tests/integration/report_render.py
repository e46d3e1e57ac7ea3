"""Checks that a stress report really renders in Chromium: the node lines of both charts
and the pass/fail colours are on the screenshot, and the table rows are in the DOM."""
import os
import shutil
import subprocess
import tempfile

import pytest

from png import colour_counts

# report.cpp's palette (node 1, 2, 3, 4 ...) and badge colours.
NODE_COLOURS = [(0x1f, 0x77, 0xb4), (0xff, 0x7f, 0x0e), (0x2c, 0xa0, 0x2c), (0x94, 0x67, 0xbd)]
PASS_COLOUR, FAIL_COLOUR = (0x2e, 0x9e, 0x44), (0xd6, 0x27, 0x28)


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("no Chromium here (Debian package chromium; ci/install-deps installs it)")


def _run(args, home):
    env = dict(os.environ, HOME=home)
    return subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args],
                          capture_output=True, timeout=90, env=env)


def assert_report_renders(html_path, node_count, expect_fail=True):
    with tempfile.TemporaryDirectory() as home:
        shot = os.path.join(home, "shot.png")
        r = _run([f"--screenshot={shot}", "--window-size=1280,2600", f"file://{html_path}"], home)
        assert os.path.exists(shot), r.stderr.decode(errors="replace")[-2000:]
        wanted = NODE_COLOURS[:node_count] + [PASS_COLOUR, FAIL_COLOUR]
        counts = colour_counts(shot, wanted)
        for i, c in enumerate(NODE_COLOURS[:node_count]):
            # Two charts, a line of ~2 px over most of their width, plus the legend.
            assert counts[c] >= 150, f"node {i + 1}'s chart lines are not on the screenshot: {counts}"
        assert counts[PASS_COLOUR] >= 300, f"no pass colour on the screenshot: {counts}"
        if expect_fail:
            assert counts[FAIL_COLOUR] >= 300, f"no fail colour on the screenshot: {counts}"
        dom = _run(["--dump-dom", f"file://{html_path}"], home).stdout.decode(errors="replace")
        assert 'id="results"' in dom and 'id="load-chart"' in dom and 'id="memory-chart"' in dom
        return dom
