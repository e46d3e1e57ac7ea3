#!/usr/bin/env python3
"""`make bench` for the foundation: cluster formation time (4 and 16 nodes), info-daemon
cost on an idle 16-node cluster, and failure detection time against the configured
timeout. Prints figures and ratios measured in this one run; asserts nothing."""
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from vc import Cluster, run  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
DOWN_TIMEOUT, INTERVAL = 5.0, 1.0


def omxd_pids():
    out = run(["pgrep", "-x", "omxd"], check=False).stdout.split()
    return [int(p) for p in out]


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def formation(n, repeats):
    times = []
    for _ in range(repeats):
        c = Cluster(n)
        c.down()
        t0 = time.monotonic()
        c.up()
        c.wait_for("convergence", lambda: c.all_converged(), timeout=60, period=0.05)
        times.append(time.monotonic() - t0)
        c.down()
    return times


def idle_cost(n=16, seconds=20):
    c = Cluster(n)
    c.down()
    c.up()
    try:
        time.sleep(3)  # let start-up calibration pass
        pids = omxd_pids()
        before = {p: cpu_seconds(p) for p in pids}
        tx0 = {i: c.control(i, {"cmd": "counters"})["counters"]["tx_bytes"] for i in range(1, n + 1)}
        t0 = time.monotonic()
        time.sleep(seconds)
        wall = time.monotonic() - t0
        used = [cpu_seconds(p) - before[p] for p in pids if Path(f"/proc/{p}").exists()]
        tx1 = {i: c.control(i, {"cmd": "counters"})["counters"]["tx_bytes"] for i in range(1, n + 1)}
        bps = [(tx1[i] - tx0[i]) / wall for i in tx0]
        return 100 * max(used) / wall, 100 * sum(used) / len(used) / wall, sum(bps) / len(bps)
    finally:
        c.down()


def detection(repeats=3):
    c = Cluster(4)
    c.down()
    c.up()
    results = []
    try:
        for _ in range(repeats):
            c.wait_for("convergence", lambda: c.all_converged(), timeout=30)
            c.kill(3)
            t0 = time.monotonic()
            c.wait_for("node 1 to see node 3 down", lambda: not c.sees_up(1, 3), timeout=30, period=0.05)
            results.append(time.monotonic() - t0)
            c.revive(3)
    finally:
        c.down()
    return results


def main():
    print("== cluster formation (vcluster up -> every node sees every node up)")
    for n, goal, reps in ((4, 5.0, 3), (16, 15.0, 2)):
        t = formation(n, reps)
        best, worst = min(t), max(t)
        print(f"  {n:2d} nodes: best {best:.2f} s, worst {worst:.2f} s  goal < {goal:.0f} s  "
              f"ratio worst/goal {worst / goal:.2f}")
    print("== info-daemon cost, idle 16-node cluster, 20 s")
    peak, mean, bps = idle_cost()
    print(f"  omxd CPU per node: mean {mean:.3f} %, max {peak:.3f} % of one core  goal < 1 %  "
          f"ratio max/goal {peak / 1.0:.2f}")
    print(f"  info traffic sent per node: {bps:.0f} bytes/s")
    print("== failure detection (kill node 3's omxd, node 1 notices)")
    d = detection()
    bound = DOWN_TIMEOUT + INTERVAL
    print(f"  detected after {', '.join(f'{x:.2f}' for x in d)} s; timeout {DOWN_TIMEOUT:.0f} s, "
          f"goal <= timeout + 1 interval = {bound:.0f} s; ratio worst/goal {max(d) / bound:.2f}")


if __name__ == "__main__":
    main()
