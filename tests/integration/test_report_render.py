"""The HTML report opens in headless Chromium and shows its charts and table (issue 5's
screenshot test), on a realistic run made up here so the test needs no cluster."""
import json
import math
import subprocess

from report_render import assert_report_renders
from vc import BIN


def synthetic_run():
    samples, migrations = [], []
    for t in range(60):
        for node in (1, 2, 3, 4):
            if node == 4 and t > 40:
                continue
            load = 100 * (1.5 + math.sin(t / 7 + node))
            samples.append({"t": t, "node": node, "load": load, "mem_used_mb": 300 + 20 * node + t,
                            "mem_total_mb": 1024, "processes": 2, "guests": 1 if node > 1 else 0})
    for i, t in enumerate((3.2, 7.5, 12.0, 30.1, 41.0)):
        migrations.append({"t": t, "home": 1, "pid": 100 + i, "command": "eatmem", "from": 1, "to": 2 + i % 3,
                           "bytes": 5 << 20, "frozen_ms": 60.0 + i, "total_ms": 120.0, "outcome": "arrived",
                           "test": "t1-1-1"})
    test = lambda name, status, reason="": {  # noqa: E731
        "test_fqn": name, "status": status, "node": 1, "start": 0.0, "migrations": 1, "reason": reason,
        "test": {"command": name, "arguments": [], "log": f"{name}: output <b>not bold</b>\n", "retval": ["0"],
                 "duration": 10.0, "passed": int(status == "pass"), "failed": int(status == "fail"),
                 "broken": int(status == "brok"), "skipped": int(status == "conf"), "warnings": 0, "result": status}}
    return {
        "results": [test("distkeygen", "pass"), test("eatmem", "pass"), test("long-on-4", "fail", "node 4 was lost"),
                    test("after-on-4", "brok", "node 4 lost before"), test("mfstest", "conf", "no oMFS")],
        "stats": {"runtime": 60.0, "passed": 2, "failed": 1, "broken": 1, "skipped": 1, "warnings": 0},
        "environment": {"suite": "synthetic", "suite_file": "s.json", "started_at": "2026-12-01 10:00:00",
                        "controller": "node1", "kernel": "6.1"},
        "nodes": [{"id": n, "host": f"node{n}", "address": f"10.210.0.{n}:4670", "cpus": 1, "speed": 188,
                   "mem_total_mb": 1024, "lost": n == 4, "lost_at": 41.0 if n == 4 else 0,
                   "lost_reason": "its agent did not answer for 5 s" if n == 4 else ""} for n in (1, 2, 3, 4)],
        "samples": samples,
        "migrations": migrations,
    }


def test_the_html_report_renders_in_chromium(tmp_path):
    results = tmp_path / "results.json"
    results.write_text(json.dumps(synthetic_run()))
    html = tmp_path / "report.html"
    subprocess.run([BIN / "omx-report", results, "--html", html], check=True, timeout=30)
    dom = assert_report_renders(html, node_count=4)
    assert dom.count('<tr class="') >= 5
    assert "node 4 lost" in dom
    assert "<b>not bold</b>" not in dom   # logs are text, never markup


def test_omx_report_refuses_a_file_that_is_not_a_run(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text('{"tests": []}')
    r = subprocess.run([BIN / "omx-report", bad], capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and r.stderr.startswith("omx-report: ") and "no \"results\" array" in r.stderr
    r = subprocess.run([BIN / "omx-report"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
