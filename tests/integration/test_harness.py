"""The stress harness on a netns cluster: omx-stress in node 1 drives the omx-agent that
vcluster starts in every node, samples them, records the migrations and writes the four
report formats; a node that dies halfway fails its test with the reason, and the run and
its report still complete."""
import json
import os
import re
import shutil
import threading
import time
import xml.etree.ElementTree as ET

import pytest

from vc import BIN, BUILD, module_cluster, run

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces and ptrace")

# Reports must be where the node sees them: its /tmp is its own, the build tree is shared.
OUT = BUILD / "harness-test-out"


@pytest.fixture(scope="module")
def cluster():
    yield from module_cluster(3, "--cpu", "0.6")


def write_suite(name, tests, timeout=300):
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.json"
    path.write_text(json.dumps({"name": name, "timeout": timeout, "tests": tests}))
    return path


def stress(cluster, suite, out, *extra, timeout=400):
    shutil.rmtree(out, ignore_errors=True)
    return cluster.exec(1, BIN / "omx-stress", "--suite", suite, "--out", out, *extra, check=False, timeout=timeout)


def results(out):
    return json.loads((out / "results.json").read_text())


def by_name(res):
    return {r["test_fqn"]: r for r in res["results"]}


def test_a_suite_runs_across_the_cluster_and_writes_every_report(cluster):
    suite = write_suite("small", [
        {"name": "eatmem", "command": ["eatmem", "--procs", "4", "--loops", "40000000"], "timeout": 200},
        {"name": "distkeygen", "command": ["distkeygen", "--keys", "60"], "timeout": 200},
        {"name": "forkit", "command": ["forkit", "--loops", "2000000"], "node": 2, "timeout": 200},
        {"name": "false", "command": ["sh", "-c", "echo 'false: FAIL on purpose'; exit 1"], "mosrun": False},
    ])
    out = OUT / "small"
    r = stress(cluster, suite, out)
    assert r.returncode == 1, (r.stdout, r.stderr)   # one test fails on purpose
    assert "starting the openMosix stress test now!" in r.stdout
    assert "RESULT: 3 passed, 1 failed, 0 broken, 0 skipped" in r.stdout, r.stdout

    res = results(out)
    tests = by_name(res)
    assert [tests[n]["status"] for n in ("eatmem", "distkeygen", "forkit", "false")] == ["pass", "pass", "pass", "fail"]
    assert tests["false"]["reason"] == "false: FAIL on purpose"
    assert tests["forkit"]["node"] == 2
    assert tests["eatmem"]["test"]["command"] == "eatmem"
    assert res["stats"]["passed"] == 3 and res["stats"]["failed"] == 1
    # Every node sampled about once a second for the whole run.
    for node in (1, 2, 3):
        samples = [s for s in res["samples"] if s["node"] == node]
        assert len(samples) >= 0.6 * res["stats"]["runtime"], (node, len(samples), res["stats"]["runtime"])
        assert all(s["mem_total_mb"] > 0 for s in samples)
    assert max(s["processes"] for s in res["samples"]) >= 2
    # eatmem's 4 workers on 3 nodes of 0.6 core: the balancer moved some, and the
    # harness knows which test they belonged to.
    moves = [m for m in res["migrations"] if m["outcome"] == "arrived"]
    assert moves, res["migrations"]
    assert all(m["from"] != m["to"] and m["bytes"] > 0 for m in moves)
    assert sum(t.get("migrations", 0) for t in res["results"]) >= 1

    junit = ET.parse(out / "junit.xml").getroot()
    suite_el = junit if junit.tag == "testsuite" else junit.find("testsuite")
    assert suite_el.get("tests") == "4" and suite_el.get("failures") == "1"
    text = [p for p in out.iterdir() if re.fullmatch(r"openMosix-stress-test-report-\d{4}-\d\d-\d\d-\d\d:\d\d:\d\d\.txt", p.name)]
    assert len(text) == 1, list(out.iterdir())
    body = text[0].read_text()
    assert "eatmem" in body and "false: FAIL on purpose" in body
    html = (out / "report.html").read_text()
    assert 'id="load-chart"' in html and 'id="memory-chart"' in html and 'id="results"' in html

    # make report: the HTML again from the JSON alone.
    (out / "report.html").unlink()
    run([BIN / "omx-report", out / "results.json", "--html", out / "report.html"])
    assert 'id="load-chart"' in (out / "report.html").read_text()


def test_a_node_dying_halfway_fails_its_test_and_the_report_still_completes(cluster):
    suite = write_suite("crash", [
        {"name": "long-on-3", "command": ["eatmem", "--procs", "1", "--loops", "400000000"], "node": 3,
         "mosrun": ["-L"], "timeout": 300},
        {"name": "short-on-1", "command": ["forkit", "--procs", "2", "--loops", "1000000"], "node": 1,
         "mosrun": ["--deny", "3"], "background": True, "timeout": 200},
        {"name": "after-on-3", "command": ["true"], "node": 3},
        {"name": "after-on-2", "command": ["true"], "node": 2},
    ])
    out = OUT / "crash"
    killer = threading.Timer(8.0, lambda: cluster.crash(3))
    killer.start()
    try:
        r = stress(cluster, suite, out)
    finally:
        killer.join()
        cluster.revive(3)
        cluster.wait_for("node 3 back", lambda: cluster.all_converged(), timeout=60)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert re.search(r"node 3 \(node3\) LOST at \d+ s", r.stdout), r.stdout
    res = results(out)
    tests = by_name(res)
    assert tests["long-on-3"]["status"] == "fail"
    assert "node 3 (node3) was lost" in tests["long-on-3"]["reason"], tests["long-on-3"]
    assert tests["after-on-3"]["status"] == "brok" and "before the test started" in tests["after-on-3"]["reason"]
    assert tests["short-on-1"]["status"] == "pass" and tests["after-on-2"]["status"] == "pass"
    lost = [n for n in res["nodes"] if n["lost"]]
    assert [n["id"] for n in lost] == [3] and lost[0]["lost_reason"]
    for f in ("results.json", "junit.xml", "report.html"):
        assert (out / f).stat().st_size > 0
    assert "LOST" in next(out.glob("openMosix-stress-test-report-*.txt")).read_text()


def test_a_test_past_its_timeout_is_killed_and_fails(cluster):
    suite = write_suite("timeout", [{"name": "sleeper", "command": ["sh", "-c", "sleep 60 & sleep 60"], "timeout": 2}])
    out = OUT / "timeout"
    t0 = time.monotonic()
    r = stress(cluster, suite, out)
    assert r.returncode == 1 and time.monotonic() - t0 < 40, (r.stdout, r.stderr)
    t = by_name(results(out))["sleeper"]
    assert t["status"] == "fail" and t["reason"] == "timed out after 2 s and was killed"
    assert cluster.exec(1, "pgrep", "-f", "sleep 60", check=False).returncode == 1


def test_duration_and_processes(cluster):
    suite = write_suite("soak", [{"name": "tick", "command": ["sh", "-c", "sleep 1"], "processes": 3, "duration": 3,
                                  "mosrun": False}])
    out = OUT / "soak"
    r = stress(cluster, suite, out)
    assert r.returncode == 0, (r.stdout, r.stderr)
    tests = by_name(results(out))
    assert sorted(tests) == ["tick#1", "tick#2", "tick#3"]
    assert all(t["test"]["duration"] >= 3 for t in tests.values())


def test_bad_input_is_one_clear_line(cluster, tmp_path):
    bad = write_suite("bad", [{"name": "x"}])
    r = stress(cluster, bad, OUT / "bad")
    assert r.returncode == 2 and r.stderr.strip().endswith('test 1: "command" is required'), r.stderr
    good = write_suite("good", [{"name": "x", "command": ["true"]}])
    r = stress(cluster, good, OUT / "unreach", "--agents", "10.210.0.99:4670", timeout=60)
    assert r.returncode == 1 and "cannot reach the agent at 10.210.0.99:4670" in r.stderr, r.stderr
    r = cluster.exec(1, BIN / "omx-stress", check=False)
    assert r.returncode == 2 and "--suite" in r.stderr
