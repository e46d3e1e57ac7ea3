#!/usr/bin/env python3
"""`make bench` for the virtual cluster's node kinds (issue 6): time from `vcluster up` to
"all nodes see each other" and host memory per node, for 4 netns and 4 UML nodes, and for 2
QEMU nodes and 2 libvirt domains; whether two CPU-bound UML nodes run in parallel on the two
cores; a `vcluster exec` round trip per kind; and the stress suite's makespan (the same suite)
on 4 UML nodes, 4 netns nodes and one node. Prints figures and ratios from this one run;
asserts nothing. Skips a kind whose kernel or emulator is not installed."""
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from vc import BIN, BUILD, REPO, Cluster, run  # noqa: E402

SUITE = REPO / os.environ.get("BENCH_SUITE", "harness/suites/short.json")
STATE_DIR = "/run/vcluster-bench-vm"


def node_memory_mib(node):
    """Host memory charged to the node's cgroup (memory controller, v1 or v2)."""
    state = json.loads(Path(os.environ["VCLUSTER_DIR"], "cluster.json").read_text())
    for rec in state["nodes"]:
        if rec["id"] != node:
            continue
        for d in rec["cgroups"]:
            for name in ("memory.usage_in_bytes", "memory.current"):
                f = Path(d, name)
                if f.exists() and ("memory" in d or name == "memory.current"):
                    return int(f.read_text()) / 2**20
    return float("nan")


def makespan(c, report_dir):
    t0 = time.monotonic()
    r = c.exec(1, BIN / "omx-stress", "--suite", SUITE, "--out", report_dir, check=False, timeout=1800)
    seconds = time.monotonic() - t0
    verdict = [line for line in r.stdout.splitlines() if line.startswith("RESULT:")]
    return seconds, verdict[-1] if verdict else f"no RESULT line (exit {r.returncode})"


def cpu_seconds_wall(c, nodes, loops=30_000_000):
    """Wall time of one fixed CPU-bound job (no system calls) run at once on each of `nodes`."""
    job = f"awk 'BEGIN {{ for (i = 0; i < {loops}; i++) s += i; print s }}' >/dev/null"
    t0 = time.monotonic()
    procs = [subprocess.Popen([str(BIN / "vcluster"), "exec", str(n), "sh", "-c", job]) for n in nodes]
    for p in procs:
        p.wait()
    return time.monotonic() - t0


def exec_round_trip(c, node=1, times=10):
    t0 = time.monotonic()
    for _ in range(times):
        c.exec(node, "true")
    return (time.monotonic() - t0) / times


def qemu_figures():
    """2 QEMU x86_64 nodes, then 2 libvirt domains: boot to convergence, memory, exec."""
    if not shutil.which("qemu-system-x86_64"):
        print("qemu: skipped (apt-get install qemu-system-x86)")
        return
    kinds = [("qemu", ("--backend", "qemu"))]
    if shutil.which("virsh") and os.path.exists("/usr/sbin/libvirtd"):
        kinds.append(("libvirt", ("--backend", "libvirt")))
    for kind, args in kinds:
        c = cluster(2, *args)
        try:
            mem = [node_memory_mib(n) for n in (1, 2)]
            print(f"{kind}: 2 nodes up and seeing each other in {c.up_seconds:.1f} s; host memory per node "
                  f"{sum(mem) / 2:.0f} MiB (nodes: {', '.join(f'{m:.0f}' for m in mem)}); "
                  f"exec round trip {exec_round_trip(c) * 1000:.0f} ms")
        finally:
            c.down()


def cluster(n, *args):
    c = Cluster(n)
    c.down()
    c.up(*args, timeout=600)
    return c


def main():
    os.environ["VCLUSTER_DIR"] = STATE_DIR
    uml = shutil.which("linux.uml") or os.environ.get("VCLUSTER_UML_KERNEL")
    figures = {}

    for kind, args in (("netns", ()), ("uml", ("--backend", "uml"))):
        if kind == "uml" and not uml:
            print("uml: skipped (no UML kernel: apt-get install user-mode-linux)")
            continue
        c = cluster(4, *args)
        try:
            c.hold_placement()
            mem = [node_memory_mib(n) for n in range(1, 5)]
            print(f"{kind}: 4 nodes up and seeing each other in {c.up_seconds:.1f} s; "
                  f"host memory per node {sum(mem) / 4:.0f} MiB (nodes: {', '.join(f'{m:.0f}' for m in mem)}); "
                  f"exec round trip {exec_round_trip(c) * 1000:.0f} ms")
            if kind == "uml":
                # Long enough (~4 s) that a UML exec's ~0.35 s does not hide the answer.
                one = cpu_seconds_wall(c, [1], loops=300_000_000)
                two = cpu_seconds_wall(c, [1, 2], loops=300_000_000)
                print(f"uml: one CPU-bound job {one:.1f} s; one on each of 2 nodes at once {two:.1f} s "
                      f"(ratio {two / one:.2f}: 1.0 = truly parallel, 2.0 = serialised)")
            for n in range(1, 5):
                c.control(n, {"cmd": "set", "key": "stay", "value": 0})
            figures[kind], verdict = makespan(c, BUILD / f"bench-stress-{kind}")
            print(f"{kind}: stress suite {SUITE.name} on 4 nodes: makespan {figures[kind]:.1f} s ({verdict})")
        finally:
            c.down()

    qemu_figures()

    c = cluster(1)
    try:
        figures["one"], verdict = makespan(c, BUILD / "bench-stress-one")
        print(f"one netns node: stress suite {SUITE.name}: makespan {figures['one']:.1f} s ({verdict})")
    finally:
        c.down()

    if "uml" in figures:
        print(f"makespan ratios: 4 UML / 4 netns = {figures['uml'] / figures['netns']:.2f}; "
              f"4 UML / one node = {figures['uml'] / figures['one']:.2f}; "
              f"4 netns / one node = {figures['netns'] / figures['one']:.2f}")


if __name__ == "__main__":
    main()
