#!/usr/bin/env python3
"""`make bench`, migration engine part: checkpoint -> restore of a process with 1, 64 and
512 MiB of touched heap, streamed through a pipe (`omxmig dump P - --kill | omxmig restore -`),
against the raw throughput of the same pipe measured in the same run. Prints figures and
ratios; asserts nothing. (Across nodes, over TCP, comes with the transfer part of issue 3.)"""
import os
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from vc import BIN, BUILD  # noqa: E402

MEMHOG = BUILD / "testprogs" / "memhog"
OMXMIG = BIN / "omxmig"


def raw_pipe_mb_s(nbytes):
    t0 = time.monotonic()
    subprocess.run(f"head -c {nbytes} /dev/zero | cat > /dev/null", shell=True, check=True)
    return nbytes / (time.monotonic() - t0) / 1e6


def migrate_once(mib):
    hog = subprocess.Popen([str(MEMHOG), str(mib), "1000000", "50"], stdout=subprocess.PIPE, text=True)
    assert hog.stdout.readline().strip() == "ready"
    hog.stdout.readline()
    dump = subprocess.Popen([str(OMXMIG), "-v", "dump", str(hog.pid), "-", "--kill"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    restore = subprocess.Popen([str(OMXMIG), "-v", "restore", "-"], stdin=dump.stdout,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    dump.stdout.close()
    line = restore.stdout.readline()   # the restored process printing again
    assert re.match(r"\d+ [0-9a-f]{16}", line), line
    dump_err = dump.stderr.read().decode()
    dump.wait()
    hog.wait()
    restore.kill()
    restore.wait()
    for pid in subprocess.run(["pgrep", "-x", "memhog"], capture_output=True, text=True).stdout.split():
        os.kill(int(pid), 9)
    m = re.search(r"frozen ([\d.]+) ms; \d+ regions, (\d+) pages, (\d+) bytes", dump_err)
    return float(m.group(1)) / 1000, int(m.group(3))


def forwarded_calls(n=2000):
    """The same timed loop at home and away from its body (omxmig away): the cost of a
    forwarded call through the remote part, the deputy and the husk, without a network."""
    prog = BUILD / "testprogs" / "syscall_loop"
    results = {}
    for mode in ("native", "away"):
        target = Path(f"/tmp/omx-bench-{os.getpid()}-{mode}")
        p = subprocess.Popen([str(prog), str(n), "400", str(target)], stdout=subprocess.PIPE, text=True)
        assert p.stdout.readline().strip() == "ready"
        away = subprocess.Popen([str(OMXMIG), "away", str(p.pid)]) if mode == "away" else None
        out = p.stdout.read()
        p.wait()
        if away:
            away.wait()
        target.unlink(missing_ok=True)
        results[mode] = {m.group(1): (float(m.group(2)), float(m.group(3)))
                         for m in re.finditer(r"(\w+) median ([\d.]+) p99 ([\d.]+) us", out)}
    return results


def main():
    if os.geteuid() != 0:
        print("migration bench: skipped (needs root to trace)")
        return
    print("== checkpoint -> restore through a pipe (same machine)")
    for mib in (1, 64, 512):
        frozen, nbytes = min(migrate_once(mib) for _ in range(2 if mib < 512 else 1))
        raw = raw_pipe_mb_s(nbytes)
        rate = nbytes / frozen / 1e6
        goal = "  goal (64 MiB) frozen < 0.3 s, ratio %.2f" % (frozen / 0.3) if mib == 64 else ""
        print(f"  {mib:3d} MiB touched: image {nbytes / 2**20:.1f} MiB, frozen {frozen:.3f} s, "
              f"{rate:.0f} MB/s = {rate / raw:.2f} of the raw pipe ({raw:.0f} MB/s){goal}")

    print("== forwarded system calls (omxmig away: remote part -> deputy -> husk, same machine)")
    r = forwarded_calls()
    for call in ("getppid", "write4k"):
        (nm, n99), (am, a99) = r["native"][call], r["away"][call]
        print(f"  {call}: native median {nm:.2f} us p99 {n99:.2f} us; forwarded median {am:.1f} us "
              f"p99 {a99:.1f} us  goal median < 60 us, ratio {am / 60:.2f}")


if __name__ == "__main__":
    main()
