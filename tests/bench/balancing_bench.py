#!/usr/bin/env python3
"""`make bench` for automatic load balancing (issue 4): the makespan of 16 equal CPU-bound
jobs (about JOB_SECONDS each on one core) started on node 1 of a 4-node netns cluster,
against the ideal (total work / cluster capacity) and against running them all on node 1;
once with every node at a quarter of the machine's CPU, once with two nodes of double
speed and two of single speed. Also migrations per job and the time from start to the
first migration. Prints figures and ratios from this one run; asserts nothing."""
import os
import re
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from vc import BUILD, Cluster, run  # noqa: E402

JOBS = 16
JOB_SECONDS = float(os.environ.get("BENCH_JOB_SECONDS", "10"))
SPIN = BUILD / "testprogs" / "spin"
BLOCKS = 50


def iterations_per_second():
    """spin's speed on one whole core of this machine (the unit of a job's size)."""
    iters = 20_000_000
    while True:
        t0 = time.monotonic()
        run([SPIN, 1, iters, 0])
        dt = time.monotonic() - t0
        if dt > 0.5:
            return iters / dt
        iters *= 2


def log_times(c, node, pattern):
    out = []
    for line in c.log(node).splitlines():
        if re.search(pattern, line):
            stamp = " ".join(line.split()[:2])
            try:
                out.append(datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f").timestamp())
            except ValueError:
                pass
    return out


def makespan(c, per_block):
    script = " ".join([f"{SPIN} {BLOCKS} {per_block} 0 >/dev/null &"] * JOBS) + " wait"
    t0 = time.time()
    c.exec(1, "sh", "-c", script, timeout=3600)
    elapsed = time.time() - t0
    moves = [t for t in log_times(c, 1, r"now runs on node|is home from node") if t >= t0]
    first = [t for t in log_times(c, 1, r"balancer: process") if t >= t0]
    return elapsed, len(moves), (min(first) - t0) if first else None


def scenario(name, shares, per_block, home_only):
    c = Cluster(len(shares))
    c.down()
    c.up("--cpu", shares[0])
    try:
        for node, share in enumerate(shares, start=1):
            run([BUILD / "bin" / "vcluster", "slow", node, share])
        time.sleep(3)   # the new speeds reach every node
        capacity = sum(float(s) for s in shares)
        ideal = JOBS * JOB_SECONDS / capacity
        elapsed, moves, first = makespan(c, per_block)
        print(f"== {name}: {JOBS} jobs of {JOB_SECONDS:.0f} s (one core) started on node 1; shares {', '.join(shares)} cores")
        print(f"  makespan {elapsed:.1f} s, ideal {ideal:.1f} s: ratio {elapsed / ideal:.2f} (goal <= 1.15)")
        print(f"  migrations per job {moves / JOBS:.2f}; first migration {first:.1f} s after the start" if first is not None
              else f"  migrations per job {moves / JOBS:.2f}; no migration")
        if home_only:
            c.hold_placement()
            home, _, _ = makespan(c, per_block)
            print(f"  all on node 1 (stay): makespan {home:.1f} s; balanced / home-only = {elapsed / home:.2f}")
    finally:
        c.down()


def main():
    if os.geteuid() != 0:
        print("balancing bench: skipped (needs root)")
        return
    cores = os.cpu_count() or 2
    rate = iterations_per_second()
    per_block = int(rate * JOB_SECONDS / BLOCKS)
    quarter = f"{cores / 4:.2f}"
    scenario("4 equal nodes", [quarter] * 4, per_block, home_only=True)
    third = cores / 6
    scenario("2 double-speed + 2 single-speed nodes", [f"{2 * third:.2f}"] * 2 + [f"{third:.2f}"] * 2, per_block,
             home_only=False)


if __name__ == "__main__":
    main()
