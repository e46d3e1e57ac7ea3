"""Automatic load balancing on a netns cluster whose nodes each get a share of the machine's
CPU: the HOWTO's awk test, faster nodes getting more work, the admin switches (block,
expel, stay, lstay, setspeed), iojob hints, the cluster mask, memory ushering, and no
ping-pong. Each node runs its own omxd; what moves, moves by itself."""
import os
import re
import subprocess
import time

import pytest

from vc import BIN, BUILD, VCLUSTER, Cluster

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces and ptrace")

NODES = 4
SHARE = "0.5"   # 4 x 0.5 = the machine's 2 cores
# The HOWTO's loop, long enough to outlive each test (the tests end it with pkill).
AWK = "awk 'BEGIN {for(i=0;i<1000000;i++)for(j=0;j<10000;j++);}'"


@pytest.fixture(scope="module")
def cluster():
    c = Cluster(NODES)
    c.down()
    try:
        c.up("--cpu", SHARE)
        yield c
    finally:
        c.down()


@pytest.fixture
def c(cluster):
    reset(cluster)
    yield cluster
    reset(cluster)


def reset(c):
    for node in range(1, NODES + 1):
        c.exec(node, "pkill", "-x", "awk", check=False)
        for key in ("stay", "lstay", "block", "quiet", "speed"):
            c.control(node, {"cmd": "set", "key": key, "value": 0})
        run_vcluster("slow", node, SHARE)
    c.wait_for("no awk left", lambda: all(count(c, n) == 0 for n in range(1, NODES + 1)), timeout=30)


def run_vcluster(*args):
    subprocess.run([str(VCLUSTER), *map(str, args)], check=True, capture_output=True, timeout=60)


def count(c, node):
    """awk processes running on `node`: guests there, or node 1's own that are not away."""
    here = c.exec(node, "pgrep", "-x", "awk", check=False).stdout.split()
    if node != 1:
        return len(here)   # only node 1 starts awks: elsewhere they are guests
    away = {a["pid"] for a in c.control(node, {"cmd": "processes"})["away"]}
    return len([p for p in here if int(p) not in away])


def spread(c):
    return {n: count(c, n) for n in range(1, NODES + 1)}


def wait_spread(c, what, predicate, timeout=30):
    """Polls the spread once a second: the probes are short commands in every node, and
    probing faster would itself be load on nodes of half a core."""
    seen = []

    def check():
        seen.append(spread(c))
        return predicate(seen[-1])

    try:
        c.wait_for(what, check, timeout=timeout, period=1.0)
    except AssertionError:
        view = c.control(1, {"cmd": "balancer"}).get("view")
        raise AssertionError(f"{what}: last spreads {seen[-3:]}; node 1's view {view}")
    return seen[-1]


def start_awks(c, node, n, prefix=""):
    c.sh(node, " ".join([f"{prefix}{AWK} >/dev/null 2>&1 &"] * n) + " true")
    c.wait_for(f"{n} awks", lambda: len(c.exec(node, "pgrep", "-x", "awk", check=False).stdout.split()) >= n)
    return [int(p) for p in c.exec(node, "pgrep", "-x", "awk").stdout.split()]


def nmigs(c, node, pid):
    return int(c.exec(node, BIN / "mosproc", pid, "nmigs").stdout)


def test_eight_awks_spread_two_per_node_stay_put_and_die_by_pkill_at_home(c):
    t0 = time.monotonic()
    pids = start_awks(c, 1, 8)
    wait_spread(c, "two awks on every node", lambda s: s == {1: 2, 2: 2, 3: 2, 4: 2})
    print(f"spread in {time.monotonic() - t0:.1f} s")
    # mosmon shows every node busy.
    out = c.exec(1, BIN / "mosmon", "--once").stdout
    loads = {int(m.group(1)): int(m.group(2)) for m in re.finditer(r"^\s*(\d+)\s+up\s+(\d+)", out, re.M)}
    assert all(loads.get(n, 0) > 0 for n in range(1, NODES + 1)), out
    # A steady cluster: nothing moves more than twice in 60 s (here: nothing moves at all
    # once spread, up to noise).
    before = {p: nmigs(c, 1, p) for p in pids}
    time.sleep(60)
    after = {p: nmigs(c, 1, p) for p in pids}
    assert all(after[p] - before[p] <= 2 for p in pids), (before, after)
    assert spread(c) == {1: 2, 2: 2, 3: 2, 4: 2}, [line for line in c.log(1).splitlines() if "balancer" in line]
    # The HOWTO: "Just pkill awk on the home node to kill'em all".
    c.exec(1, "pkill", "awk")
    c.wait_for("all awks gone", lambda: all(
        not c.exec(n, "pgrep", "-x", "awk", check=False).stdout.strip() for n in range(1, NODES + 1)), timeout=15)


def test_a_node_with_twice_the_cpu_gets_about_twice_the_work(c):
    for node in (1, 2, 4):
        run_vcluster("slow", node, "0.4")
    run_vcluster("slow", 3, "0.8")
    base = c.control(1, {"cmd": "admin"})["admin"]["calibrated_speed"]
    for node in (1, 2, 4):
        c.control(node, {"cmd": "set", "key": "speed", "value": int(base * 0.4)})
    c.control(3, {"cmd": "set", "key": "speed", "value": int(base * 0.8)})
    c.wait_for("node 3's speed known on node 1", lambda: c.nodes(1)[3]["speed"] == int(base * 0.8))
    start_awks(c, 1, 10)
    wait_spread(c, "10 awks spread", lambda s: all(k > 0 for k in s.values()))
    wait_spread(c, "node 3 running 1.5 times the others' average",
                lambda s: s[3] >= 1.5 * (s[1] + s[2] + s[4]) / 3, timeout=40)


def test_blocked_node_gets_nothing_and_expel_empties_it(c):
    c.exec(2, BIN / "mosctl", "block")
    c.wait_for("node 1 sees node 2 blocked", lambda: c.nodes(1)[2]["block"])
    start_awks(c, 1, 6)
    wait_spread(c, "awks on 3 and 4", lambda s: s[3] >= 2 and s[4] >= 2)
    time.sleep(5)
    assert spread(c)[2] == 0
    c.exec(2, BIN / "mosctl", "noblock")
    wait_spread(c, "awks on node 2", lambda s: s[2] > 0)
    c.exec(2, BIN / "mosctl", "expel")   # waits until done
    assert c.control(2, {"cmd": "processes"})["guests"] == []


def test_stay_keeps_processes_home_but_migrate_still_works(c):
    c.exec(1, BIN / "mosctl", "stay")
    pids = start_awks(c, 1, 4)
    time.sleep(8)
    assert spread(c) == {1: 4, 2: 0, 3: 0, 4: 0}
    c.exec(1, BIN / "migrate", pids[0], 2)
    assert spread(c)[2] == 1


def test_lstay_and_iojob_keep_processes_home(c):
    c.exec(1, BIN / "mosctl", "lstay")
    start_awks(c, 1, 3)
    time.sleep(8)
    assert spread(c)[1] == 3
    c.exec(1, BIN / "mosctl", "nolstay")
    c.exec(1, "pkill", "-x", "awk")
    c.wait_for("awks gone", lambda: count(c, 1) == 0)
    start_awks(c, 1, 3, prefix=f"{BIN}/iojob ")
    time.sleep(8)
    assert spread(c)[1] == 3


def test_a_low_speed_makes_the_head_node_send_its_work_away(c):
    # HOWTO 8.2: one job alone on node 1 gains nothing by moving ...
    start_awks(c, 1, 1)
    time.sleep(6)
    assert spread(c)[1] == 1
    # ... until node 1 says it is slow.
    c.exec(1, BIN / "mosctl", "setspeed", "5")
    wait_spread(c, "the job left node 1", lambda s: s[1] == 0, timeout=20)


def test_a_mask_allowing_only_node_3_keeps_jobs_on_3_or_home(c):
    pids = start_awks(c, 1, 4, prefix=f"{BIN}/mosrun --allow 3 ")
    wait_spread(c, "a job on node 3", lambda s: s[3] > 0)
    time.sleep(6)
    s = spread(c)
    assert s[2] == 0 and s[4] == 0 and s[1] + s[3] == 4, s
    out = c.exec(1, BIN / "migmask", pids[0]).stdout
    assert out.splitlines()[:3] == ["migfilter 1", "mignodes 4", "migpolicy 1"], out
    assert "may run on: its home node and nodes 3" in out
    r = c.exec(1, BIN / "migrate", pids[0], 2, check=False)
    assert r.returncode != 0 and "cluster mask" in r.stderr
    # Lifted, the jobs spread to the other nodes too.
    for p in pids:
        c.exec(1, BIN / "migmask", p, "off")
    wait_spread(c, "jobs on 2 and 4", lambda s: s[2] > 0 and s[4] > 0, timeout=40)


def test_migmask_and_mosrun_mask_options_refuse_bad_input(c):
    r = c.exec(1, BIN / "migmask", "1", "allow", "3-1", check=False)
    assert r.returncode == 2 and "bad node list '3-1'" in r.stderr
    r = c.exec(1, BIN / "mosrun", "--allow", "x", "true", check=False)
    assert r.returncode != 0 and "bad node list 'x'" in r.stderr
    r = c.exec(1, BIN / "migmask", "999999", check=False)
    assert r.returncode != 0 and "no process 999999" in r.stderr


def test_a_memory_hog_is_ushered_before_the_oom_killer(cluster):
    # A cluster of its own: every node limited to 256 MiB.
    cluster.down()
    mem = Cluster(3)
    try:
        mem.up("--cpu", "0.6", "--mem", "256")
        hog = BUILD / "testprogs" / "memhog"
        # 150 MiB that must stay (locked), then an 80 MiB hog that pushes node 1 under 10% free.
        mem.sh(1, f"{BIN}/nomig {hog} 150 1000000 1000 >/dev/null 2>&1 &")
        mem.wait_for("the locked hog", lambda: mem.nodes(2)[1]["mem"] * 4096 < 110 << 20, timeout=30)
        mem.sh(1, f"{hog} 80 1000000 1000 > /tmp/hog.out 2>&1 & echo $! > /tmp/hog.pid")
        pid = int(mem.exec(1, "cat", "/tmp/hog.pid").stdout)
        mem.wait_for("the hog ushered away", lambda: int(mem.exec(1, BIN / "mosproc", pid, "where").stdout) != 0,
                     timeout=30)
        assert "short of memory" in mem.log(1)
        time.sleep(3)
        assert mem.exec(1, "kill", "-0", pid, check=False).returncode == 0   # alive, not OOM-killed
        lines = mem.exec(1, "cat", "/tmp/hog.out").stdout.splitlines()
        assert lines[0] == "ready" and len(lines) > 2
    finally:
        mem.down()
        cluster.up("--cpu", SHARE)
