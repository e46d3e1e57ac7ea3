#!/usr/bin/env python3
"""`make bench`, migration between nodes: on a 2-node netns cluster, (1) raw TCP throughput
from node 1 to node 2, (2) `migrate` of a process with 1, 64 and 512 MiB of touched memory
to node 2: freeze time, total time, and throughput as a ratio of raw TCP measured in the
same run, (3) the forwarded-call round trip over the link against the native call, (4) a
CPU-bound loop on node 2 against the same loop at home. Prints figures; asserts nothing."""
import os
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from vc import BIN, BUILD, VCLUSTER, Cluster  # noqa: E402

PROGS = BUILD / "testprogs"

RECEIVER = r"""
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 5999)); s.listen(1)
c, _ = s.accept(); n = 0; t0 = None
while True:
    b = c.recv(1 << 20)
    if not b: break
    if t0 is None: t0 = time.monotonic()
    n += len(b)
print(n, time.monotonic() - t0)
"""
SENDER = r"""
import socket, sys
n = int(sys.argv[1]); buf = b"\0" * (1 << 20)
s = socket.create_connection(("10.210.0.2", 5999))
for _ in range(n >> 20): s.sendall(buf)
s.close()
"""


def raw_tcp_mb_s(c, nbytes):
    rx = subprocess.Popen([str(VCLUSTER), "exec", "2", "/usr/bin/python3", "-c", RECEIVER],
                          stdout=subprocess.PIPE, text=True)
    time.sleep(0.5)
    c.exec(1, "/usr/bin/python3", "-c", SENDER, nbytes)
    n, secs = rx.communicate(timeout=120)[0].split()
    return int(n) / float(secs) / 1e6


def start(c, script):
    return subprocess.Popen([str(VCLUSTER), "exec", "1", "sh", "-c", script],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def pid_of(c, path):
    c.wait_for(path, lambda: c.exec(1, "cat", path, check=False).stdout.strip(), timeout=60)
    return int(c.exec(1, "cat", path).stdout)


def migrate_memhog(c, mib):
    job = start(c, f"{PROGS}/memhog {mib} 1000000 50 > /tmp/hog.out & echo $! > /tmp/hog.pid; wait")
    pid = pid_of(c, "/tmp/hog.pid")
    c.wait_for("memhog ready", lambda: "ready" in c.exec(1, "cat", "/tmp/hog.out").stdout, timeout=120)
    r = c.control(1, {"cmd": "migrate", "pid": pid, "to": "2"})
    c.exec(1, "kill", "-9", pid)
    job.wait(timeout=60)
    c.exec(1, "rm", "-f", "/tmp/hog.pid", "/tmp/hog.out")
    return r["frozen_ms"] / 1000, r["total_ms"] / 1000, r["bytes"]


def timed_run(c, prog, args, away):
    wrap = f"{BIN}/mosrun -2 " if away else ""
    return c.exec(1, "sh", "-c", f"{wrap}{PROGS}/{prog} {args}", timeout=300).stdout


def main():
    if os.geteuid() != 0:
        print("network migration bench: skipped (needs root)")
        return
    c = Cluster(2)
    c.down()
    c.up()
    c.hold_placement()
    try:
        raw = raw_tcp_mb_s(c, 512 << 20)
        print(f"== migration between two netns nodes (raw TCP node 1 -> node 2: {raw:.0f} MB/s)")
        for mib in (1, 64, 512):
            frozen, total, nbytes = min(migrate_memhog(c, mib) for _ in range(2 if mib < 512 else 1))
            rate = nbytes / frozen / 1e6
            goal = f"  goals: frozen < 0.3 s (ratio {frozen / 0.3:.2f}), >= 0.60 of raw TCP" if mib == 64 else ""
            print(f"  {mib:3d} MiB touched: image {nbytes / 2**20:.1f} MiB, frozen {frozen:.3f} s, total {total:.3f} s, "
                  f"{rate:.0f} MB/s = {rate / raw:.2f} of raw TCP{goal}")
        print("== forwarded system calls over the link (node 2 -> deputy on node 1 -> husk)")
        native = timed_run(c, "syscall_loop", "20000 0 /tmp/sl-native", False)
        away = timed_run(c, "syscall_loop", "20000 800 /tmp/sl-away", True)
        parse = lambda out: {m.group(1): (float(m.group(2)), float(m.group(3)))
                             for m in re.finditer(r"(\w+) median ([\d.]+) p99 ([\d.]+) us", out)}
        n, a = parse(native), parse(away)
        for call in ("getppid", "write4k"):
            print(f"  {call}: native median {n[call][0]:.2f} us p99 {n[call][1]:.2f} us; forwarded median "
                  f"{a[call][0]:.1f} us p99 {a[call][1]:.1f} us  goal median < 60 us, ratio {a[call][0] / 60:.2f}")
        print("== CPU-bound loop on node 2 vs at home (median block of 20M steps)")
        home = float(re.search(r"median ([\d.]+)", timed_run(c, "spin", "15 20000000 0", False)).group(1))
        there = float(re.search(r"median ([\d.]+)", timed_run(c, "spin", "15 20000000 800", True)).group(1))
        print(f"  home {home:.1f} ms, remote {there:.1f} ms: slowdown {100 * (there / home - 1):+.1f}%  goal < 2%")
    finally:
        c.down()


if __name__ == "__main__":
    main()
