"""omx-report's pages open in headless Chromium and show their charts and tables, on a
realistic run made up here (4 nodes, a minute of samples, migrations, a lost node, tests in
all four states), so the test needs no cluster; and omx-report's other outputs and errors."""
import json
import math
import re
import struct
import subprocess
import xml.etree.ElementTree as ET
import zlib

import pytest

import png
from report_render import assert_report_renders
from vc import BIN

OMX_REPORT = BIN / "omx-report"   # not built is a failure, not a skip: OMX_BUILD names the build

NASTY_LOG = "<script>alert(1)</script> & \"q\" 'a' \x01\x1b[31mred\x1b[0m ]]> \ufffd é ✓\n"


def _test(name, status, node, start, duration, migrations=0, reason="", log=None, retval=0):
    return {"test_fqn": name, "status": status, "node": node, "start": start, "migrations": migrations,
            "reason": reason,
            "test": {"command": name, "arguments": ["--procs", "2"], "log": log or f"{name}: {status}\n",
                     "retval": [str(retval)], "duration": duration, "passed": int(status == "pass"),
                     "failed": int(status == "fail"), "broken": int(status == "brok"),
                     "skipped": int(status == "conf"), "warnings": 0, "result": status}}


def _samples():
    """Every node each second for a minute; node 4 stops at 40 s, when it is lost."""
    samples = []
    for t in range(60):
        for node in (1, 2, 3, 4):
            if node == 4 and t > 40:
                continue
            load = 100 * (1.5 + math.sin(t / 7 + node))
            samples.append({"t": t + 0.1 * node, "node": node, "load": round(load, 1),
                            "mem_used_mb": 300 + 40 * node + 2 * t, "mem_total_mb": 1024, "processes": 2,
                            "guests": 1 if node > 1 else 0})
    return samples


def _migrations():
    moves = [(3.2, 1, 2, "arrived"), (7.5, 1, 3, "arrived"), (12.0, 2, 1, "home"), (30.1, 1, 4, "arrived"),
             (41.0, 4, 4, "lost")]
    return [{"t": t, "home": 1, "pid": 100 + i, "command": "eatmem", "from": a, "to": b,
             "bytes": (5 << 20) if outcome == "arrived" else 0, "frozen_ms": 60.0 + i if outcome == "arrived" else 0,
             "total_ms": 120.0, "outcome": outcome, "test": "eatmem"} for i, (t, a, b, outcome) in enumerate(moves)]


def synthetic_run():
    return {
        "results": [_test("distkeygen", "pass", 1, 0.5, 20.0, 2),
                    _test("eatmem", "pass", 2, 1.0, 15.0, 3, log=NASTY_LOG),
                    _test("<script>alert(1)</script>", "fail", 4, 30.0, 11.0, 0, "node 4 (node4) was lost", retval=1),
                    _test("after-on-4", "brok", 4, 45.0, 0.0, 0, "node 4 (node4) was lost before the test started",
                          retval=-1),
                    _test("mfstest", "conf", 3, 50.0, 0.1, 0, "mfstest: SKIP oMFS is not mounted at /mfs",
                          retval=77)],
        "stats": {"runtime": 60.0, "passed": 2, "failed": 1, "broken": 1, "skipped": 1, "warnings": 0},
        "environment": {"suite": "synthetic", "suite_file": "harness/suites/short.json",
                        "started_at": "2026-12-01 10:00:00", "controller": "node1", "kernel": "6.1.0-28-amd64"},
        "nodes": [{"id": n, "host": f"node{n}", "address": f"10.210.0.{n}:4670", "cpus": 2, "speed": 188,
                   "mem_total_mb": 1024, "lost": n == 4, "lost_at": 41.0 if n == 4 else 0,
                   "lost_reason": "its agent did not answer for 5 s" if n == 4 else ""} for n in (1, 2, 3, 4)],
        "samples": _samples(),
        "migrations": _migrations(),
    }


def _omx_report(*args):
    return subprocess.run([OMX_REPORT, *map(str, args)], capture_output=True, text=True, timeout=30)


def _write(tmp_path, run):
    results = tmp_path / "results.json"
    results.write_text(json.dumps(run))
    return results


def test_the_html_report_renders_in_chromium(tmp_path):
    results = _write(tmp_path, synthetic_run())
    r = _omx_report(results)   # no option: report.html next to results.json
    assert r.returncode == 0, r.stderr
    html = tmp_path / "report.html"
    dom = assert_report_renders(html, node_count=4, every_line_visible=True)
    assert len(re.findall(r'<tr class="(?:pass|fail|brok|conf)">', dom)) == 5
    assert dom.count('class="migration"') == 2 * 5 and "node 4 lost" in dom
    assert "<script>" not in html.read_text() and "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert "[31m" in dom and "\x1b" not in dom   # logs are text: escapes shown, control bytes dropped


def test_an_empty_run_renders_without_charts(tmp_path):
    run = synthetic_run()
    run.update(results=[], samples=[], migrations=[], nodes=[])
    results = _write(tmp_path, run)
    assert _omx_report(results, "--html", tmp_path / "empty.html").returncode == 0
    dom = assert_report_renders(tmp_path / "empty.html", node_count=0)
    assert "no samples" in dom and "no tests" in dom and "no migrations" in dom


def test_dir_writes_all_three_and_the_junit_is_strict_xml(tmp_path):
    results = _write(tmp_path, synthetic_run())
    out = tmp_path / "out"
    r = _omx_report(results, "--dir", out)
    assert r.returncode == 0, r.stderr
    text = out / "openMosix-stress-test-report-2026-12-01-10:00:00.txt"
    assert sorted(p.name for p in out.iterdir()) == sorted(["report.html", "junit.xml", text.name])
    assert r.stdout.split() == [str(out / "report.html"), str(text), str(out / "junit.xml")]
    body = text.read_text()
    assert "LOST at 41 s: its agent did not answer for 5 s" in body
    assert body.endswith("RESULT: 2 passed, 1 failed, 1 broken, 1 skipped\n")
    suite = ET.parse(out / "junit.xml").getroot().find("testsuite")   # expat refuses what XML does not allow
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("5", "1", "1", "1")
    eatmem = suite.find("testcase[@name='eatmem']")
    assert eatmem.get("classname") == "omtest.node2"
    assert eatmem.find("system-out").text == NASTY_LOG.replace("\x01", "").replace("\x1b", "")


def test_omx_report_refuses_a_file_that_is_not_a_run(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text('{"tests": []}')
    r = _omx_report(bad)
    assert r.returncode == 1 and r.stderr == f"omx-report: {bad}: not a stress run's results: no \"results\" array\n"
    bad.write_text("{")
    r = _omx_report(bad)
    assert r.returncode == 1 and r.stderr.startswith(f"omx-report: {bad}: not JSON: ") and r.stderr.count("\n") == 1
    r = _omx_report(tmp_path / "missing.json")
    assert r.returncode == 1 and "No such file or directory" in r.stderr
    assert not (tmp_path / "report.html").exists()


def test_omx_report_says_what_is_wrong_with_a_command_line(tmp_path):
    for args in ([], ["a.json", "b.json"], ["--bogus", "a.json"], ["a.json", "--html"]):
        r = _omx_report(*args)
        assert r.returncode == 2 and r.stderr.startswith("omx-report: ") and r.stderr.count("\n") == 1, (args, r)
    r = _omx_report("--help")
    assert r.returncode == 0 and "--dir DIR" in r.stdout and "RESULTS.json" in r.stdout


def _png(width, height, rows, filters):
    """A PNG whose rows use the given filter types, encoded as the spec says (PNG 9.2)."""
    bpp, raw, prev = 3, b"", bytes(width * 3)
    for row, kind in zip(rows, filters):
        out = bytearray([kind])
        for i, x in enumerate(row):
            a = row[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            pred = [0, a, b, (a + b) // 2, png._paeth(a, b, c)][kind]
            out.append((x - pred) & 0xFF)
        raw, prev = raw + bytes(out), row

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return (png.SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_the_png_decoder_undoes_every_filter():
    width, filters = 7, [0, 1, 2, 3, 4, 4, 3, 2, 1, 0]
    rows = [bytes((x * 37 + y * 91 + (x * y) % 13) & 0xFF for x in range(width * 3)) for y in range(len(filters))]
    w, h, channels, got = png.decode(_png(width, len(rows), rows, filters))
    assert (w, h, channels) == (width, len(rows), 3)
    assert [bytes(r) for r in got] == rows
    with pytest.raises(ValueError, match="not a PNG"):
        png.decode(b"GIF89a")
