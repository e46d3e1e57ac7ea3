#!/usr/bin/env python3
"""`make bench` for oMFS and DFSA on a 3-node netns cluster started with sshd in every node:

1. sequential write (+fsync) and read (cold and warm) of a big file (MFS_BENCH_MB MiB, 512
   by default) with 1 MiB buffers, on node 2's /tmp: from node 2 itself (local), from node 1
   through /mfs/2/tmp (oMFS) and from node 1 through sshfs (node 1 mounts node 2's /tmp over
   ssh, inside its own mount namespace). "Cold" = the file's pages dropped from the page
   cache with posix_fadvise(DONTNEED) (that file only: the host and its page cache are shared
   by all nodes, so no drop_caches); "warm" = read again right after;
2. the ratios oMFS/local and oMFS/sshfs of the same run;
3. 4 KiB random read latency (median, p99) over MFS_BENCH_READS preads at random aligned
   offsets of that file, for the three;
4. DFSA: tests/programs/mfsread reading a 100 MiB file (MFS_BENCH_DFSA_MB) at home on node 1
   and migrated to node 2 reading node 2's copy through /mfs/here/tmp.

Prints figures and ratios measured in this one run; asserts nothing. The cluster lives in
$VCLUSTER_DIR (default /run/vcluster-bench-mfs, so a developer's cluster is left alone)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from vc import BIN, BUILD, REPO, VCLUSTER, Cluster  # noqa: E402

os.environ.setdefault("VCLUSTER_DIR", "/run/vcluster-bench-mfs")
STATE = Path(os.environ["VCLUSTER_DIR"])

MIB = 1 << 20
SIZE = int(os.environ.get("MFS_BENCH_MB", "512")) * MIB
DFSA_SIZE = int(os.environ.get("MFS_BENCH_DFSA_MB", "100")) * MIB
READS = int(os.environ.get("MFS_BENCH_READS", "2000"))
REPEATS = int(os.environ.get("MFS_BENCH_REPEATS", "2"))   # best of, for the sequential figures

SERVER, CLIENT = 2, 1                       # the file lives on node 2; node 1 reaches it
WORK = "/tmp/mfsbench"                      # in every node: its own /tmp
SSHFS_MNT = f"{WORK}/sshfs"                 # in node 1: node 2's WORK over sshfs
SSHFS_OPTS = "StrictHostKeyChecking=no,UserKnownHostsFile=/dev/null,BatchMode=yes"

# Runs inside a node: `python3 -c IO op args...`, prints one JSON line.
IO = r"""
import errno, json, mmap, os, random, sys, time
MIB = 1 << 20
op, args = sys.argv[1], sys.argv[2:]

def write(path, size):
    buf = os.urandom(MIB)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    t0 = time.perf_counter()
    left = size
    while left:
        left -= os.write(fd, buf[:min(left, MIB)])
    os.fsync(fd)
    s = time.perf_counter() - t0
    os.close(fd)
    return {"bytes": size, "seconds": s}

def read(path, direct):
    try:
        fd = os.open(path, os.O_RDONLY | (os.O_DIRECT if direct else 0))
        buf = mmap.mmap(-1, MIB)            # page-aligned, as O_DIRECT wants
        n = 0
        t0 = time.perf_counter()
        while (k := os.readv(fd, [buf])) > 0:
            n += k
        s = time.perf_counter() - t0
        os.close(fd)
    except OSError as e:
        return {"error": f"{errno.errorcode.get(e.errno, e.errno)} ({e.strerror})"}
    return {"bytes": n, "seconds": s}

def evict(path):
    fd = os.open(path, os.O_RDONLY)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)
    return {}

def rand(path, count, direct):
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECT if direct else 0))
    blocks = os.fstat(fd).st_size // 4096
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)   # no readahead: one 4 KiB read each
    offsets = [b * 4096 for b in random.Random(42).sample(range(blocks), min(count, blocks))]
    buf = mmap.mmap(-1, 4096)
    lat = []
    for off in offsets:
        t0 = time.perf_counter_ns()
        if os.preadv(fd, [buf], off) != 4096:
            return {"error": f"short read at {off}"}
        lat.append(time.perf_counter_ns() - t0)
    os.close(fd)
    lat.sort()
    return {"median_us": lat[len(lat) // 2] / 1e3, "p99_us": lat[len(lat) * 99 // 100] / 1e3, "n": len(lat)}

if op == "write": r = write(args[0], int(args[1]))
elif op == "read": r = read(args[0], args[1:] == ["direct"])
elif op == "evict": r = evict(args[0])
elif op == "rand": r = rand(args[0], int(args[1]), args[2:] == ["direct"])
print(json.dumps(r))
"""


def io(c, node, *args, timeout=300):
    r = c.exec(node, "/usr/bin/python3", "-c", IO, *args, timeout=timeout, check=False)
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {"error": (r.stderr.strip().splitlines() or ["no output"])[-1]}


def mb_s(r):
    return r["bytes"] / r["seconds"] / 1e6 if "seconds" in r else float("nan")


def resident_pct(c, node, path):
    """How much of a file is in the page cache (util-linux fincore), in %; None without it."""
    r = c.exec(node, "fincore", "--bytes", "--noheadings", "--raw", "--output", "RES,SIZE", path, check=False)
    try:
        res, size = map(int, r.stdout.split())
        return 100 * res / size if size else 0.0
    except ValueError:
        return None


# -- sshfs -------------------------------------------------------------------------------

def mount_sshfs(c):
    """node 1 mounts node 2's WORK at SSHFS_MNT, in node 1's mount namespace. Returns None
    or the reason it could not."""
    if not shutil.which("sshfs"):
        return "sshfs is not installed (apt-get install sshfs)"
    key = STATE / "ssh" / "id_ed25519"
    if not key.exists():
        return f"no cluster ssh key at {key}: the nodes have no sshd (vcluster up --sshd failed)"
    # The node's /run hides the host's, so the key goes into node 1's own /tmp.
    c.exec(CLIENT, "sh", "-c", f"umask 077; mkdir -p {SSHFS_MNT}; cat > {WORK}/id_ed25519", input=key.read_text())
    r = c.exec(CLIENT, "sshfs", "-o", f"IdentityFile={WORK}/id_ed25519,{SSHFS_OPTS}",
               f"root@10.210.0.{SERVER}:{WORK}", SSHFS_MNT, check=False, timeout=60)
    if r.returncode != 0:
        return f"sshfs failed ({r.returncode}): {r.stderr.strip()[-300:]}"
    in_node = c.exec(CLIENT, "grep", "-c", f" {SSHFS_MNT} .*fuse.sshfs", "/proc/self/mountinfo", check=False)
    on_host = subprocess.run(["grep", "-c", f" {SSHFS_MNT} .*fuse.sshfs", "/proc/self/mountinfo"],
                             capture_output=True, text=True)
    if in_node.stdout.strip() != "1" or on_host.stdout.strip() != "0":
        return f"sshfs mount is not (only) in node {CLIENT}'s namespace: node {in_node.stdout.strip()}, host {on_host.stdout.strip()}"
    return None


# The pids (in node 1) of the sshfs daemons serving SSHFS_MNT.
FIND_SSHFS = (f"for d in /proc/[0-9]*; do tr '\\0' ' ' < $d/cmdline 2>/dev/null | "
              f"grep -q '^sshfs .* {SSHFS_MNT} *$' && echo ${{d#/proc/}}; done; true")


def unmount_sshfs(c):
    """fusermount -u ends the daemon; one that outlives it is killed by its pid."""
    pids = c.sh(CLIENT, FIND_SSHFS, check=False).stdout.split()
    c.exec(CLIENT, "sh", "-c", f"fusermount3 -u {SSHFS_MNT} 2>/dev/null || fusermount3 -uz {SSHFS_MNT} 2>/dev/null", check=False)
    time.sleep(0.2)
    for pid in c.sh(CLIENT, FIND_SSHFS, check=False).stdout.split():
        if pid in pids:
            c.exec(CLIENT, "kill", pid, check=False)


# -- 1-3: sequential and random ---------------------------------------------------------

def sequential(c, node, path, server_path, client_cache=None):
    """Best of REPEATS: write+fsync of a fresh file, then a cold read (the file's pages
    dropped on the server, and on the client for sshfs) and a warm read right after."""
    best = {"write": {}, "cold": {}, "warm": {}}
    notes = []
    for _ in range(REPEATS):
        # Removed through the same path: sshfs keeps a removed file's entry for a while, and
        # an O_CREAT open of it then fails with ENOENT.
        c.exec(node, "rm", "-f", path, check=False)
        results = {"write": io(c, node, "write", path, str(SIZE))}
        io(c, SERVER, "evict", server_path)
        if client_cache:
            io(c, node, "evict", client_cache)
        pct = resident_pct(c, SERVER, server_path)
        if pct is not None and pct > 1:
            notes.append(f"{pct:.0f} % of the file still cached before the cold read")
        results["cold"] = io(c, node, "read", path)
        results["warm"] = io(c, node, "read", path)
        for k, r in results.items():
            if "error" in r:
                notes.append(f"{k}: {r['error']}")
            elif not best[k] or mb_s(r) > mb_s(best[k]):
                best[k] = r
    return {k: mb_s(v) if v else float("nan") for k, v in best.items()}, notes


TCP_SERVER = r"""
import socket, sys
s = socket.create_server(("10.210.0.%s" % sys.argv[1], 4799))
print("listening", flush=True)
c, _ = s.accept()
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
block = b"x" * 4096
while c.recv(8):
    c.sendall(block)
"""
TCP_CLIENT = r"""
import json, socket, sys, time
c = socket.create_connection(("10.210.0.%s" % sys.argv[1], 4799))
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
lat = []
for _ in range(int(sys.argv[2])):
    t0 = time.perf_counter_ns()
    c.sendall(b"12345678")
    got = 0
    while got < 4096:
        got += len(c.recv(4096 - got))
    lat.append(time.perf_counter_ns() - t0)
lat.sort()
print(json.dumps({"median_us": lat[len(lat) // 2] / 1e3, "p99_us": lat[len(lat) * 99 // 100] / 1e3}))
"""


def tcp_round_trip(c):
    """The network's floor for a remote 4 KiB read: 8 bytes there, 4 KiB back, over one TCP
    connection between the two nodes (Python at both ends, as the readers here)."""
    server = subprocess.Popen([str(VCLUSTER), "exec", str(SERVER), "/usr/bin/python3", "-c", TCP_SERVER, str(SERVER)],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        server.stdout.readline()
        r = c.exec(CLIENT, "/usr/bin/python3", "-c", TCP_CLIENT, str(SERVER), str(READS), check=False)
        return json.loads(r.stdout) if r.returncode == 0 else {"error": r.stderr.strip()[-200:]}
    finally:
        try:   # the server ends when the client's connection does
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def fmt_rate(x):
    return "      n/a" if x != x else f"{x:7.0f}  "


def ratio(a, b):
    return "n/a" if a != a or b != b or b == 0 else f"{a / b:.2f}"


def fmt_lat(r):
    if "error" in r:
        return f"error: {r['error']}"
    return f"median {r['median_us']:8.1f} us   p99 {r['p99_us']:8.1f} us"


# -- 4: DFSA ----------------------------------------------------------------------------

def mfsread_binary(tmp):
    built = BUILD / "testprogs" / "mfsread"
    if built.exists():
        return built
    # Not built yet (the target is in tests/programs): compile it where every node sees it.
    out = Path(tmp) / "mfsread"
    subprocess.run(["cc", "-O2", "-Wall", "-o", str(out), str(REPO / "tests" / "programs" / "mfsread.c")], check=True)
    return out


def reader(c, prog, tag, path, migrate_to=None, passes=10, max_seconds=4):
    """mfsread started on node 1, moved to `migrate_to` first if given, then told to read."""
    go, out, pidf = f"{WORK}/go.{tag}", f"{WORK}/out.{tag}", f"{WORK}/pid.{tag}"
    script = (f"rm -f {go} {out}; {prog} {path} {go} {passes} {max_seconds} > {out} 2>&1 & "
              f"echo $! > {pidf}; wait $!")
    job = subprocess.Popen([str(VCLUSTER), "exec", "1", "sh", "-c", script],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        c.wait_for("the reader to start", lambda: "ready" in c.exec(1, "cat", out, check=False).stdout, timeout=20,
                   period=0.05)
        pid = int(c.exec(1, "cat", pidf).stdout)
        where = "home"
        if migrate_to:
            m = c.exec(1, BIN / "migrate", pid, migrate_to, check=False, timeout=60)
            where = c.exec(1, BIN / "mosproc", pid, "where", check=False).stdout.strip()
            if m.returncode != 0 or where != str(migrate_to):
                return {"error": f"migrate {pid} {migrate_to}: {(m.stdout + m.stderr).strip()} (where: {where})"}
            where = f"node {where}"
        c.exec(1, "touch", go)
        job.wait(timeout=120)
    except Exception as e:   # noqa: BLE001 — a measurement that failed is printed, not raised
        job.kill()
        return {"error": str(e)}
    text = c.exec(1, "cat", out, check=False).stdout
    passes_ = [float(line.split()[-2]) for line in text.splitlines() if line.startswith("pass ")]
    if not passes_:
        return {"error": " ".join(text.split())[-200:] or "no output"}
    return {"best": max(passes_), "median": sorted(passes_)[len(passes_) // 2], "passes": passes_, "where": where}


def dfsa(c, tmp):
    prog = mfsread_binary(tmp)
    name = "dfsa.dat"
    # The same bytes in node 1's and node 2's /tmp, cached alike: the page cache keeps a file
    # in pieces whose size depends on how it was written (a file written by `head` reads at
    # a third of the speed of one written by `cat`), so both are dropped and read in again.
    c.sh(1, f"head -c {DFSA_SIZE} /dev/urandom > {WORK}/{name}")
    c.sh(2, f"cat /mfs/1{WORK}/{name} > {WORK}/{name}.part && mv {WORK}/{name}.part {WORK}/{name}", timeout=120)
    same = c.exec(1, "cmp", f"{WORK}/{name}", f"/mfs/2{WORK}/{name}", check=False).returncode == 0
    for node in (1, 2):
        io(c, node, "evict", f"{WORK}/{name}")
        io(c, node, "read", f"{WORK}/{name}")
    runs = [
        ("home (node 1)", f"{WORK}/{name}", None, "node 1's file, plain path"),
        ("home (node 1)", f"/mfs/here{WORK}/{name}", None, "node 1's file through oMFS"),
        ("home (node 1)", f"/mfs/2{WORK}/{name}", None, "node 2's copy across the network"),
        ("migrated to node 2", f"/mfs/here{WORK}/{name}", 2, "node 2's own copy: local with DFSA"),
        ("migrated to node 2", f"{WORK}/{name}", 2, "node 1's file, forwarded home"),
    ]
    results = []
    for i, (where, path, target, what) in enumerate(runs):
        results.append((where, path, what, reader(c, prog, f"r{i}", path, target)))
    return results, same, prog


# -- main -------------------------------------------------------------------------------

def main():
    if os.geteuid() != 0:
        print("mfs bench: skipped (needs root for network namespaces)")
        return
    t_start = time.monotonic()
    c = Cluster(3)
    c.down()
    sshd_problem = None
    tmp = tempfile.mkdtemp(prefix="mfs-bench-", dir="/var/tmp")   # seen by every node (not /tmp)
    try:
        try:
            c.up("--sshd")
        except subprocess.CalledProcessError as e:
            sshd_problem = f"vcluster up --sshd failed: {(e.stderr or e.stdout).strip()[-300:]}"
            c.down()
            c.up()
        c.hold_placement()
        for node in (1, 2):
            c.exec(node, "mkdir", "-p", WORK)
        mfs = c.control(SERVER, {"cmd": "status"}).get("mfs", {})
        sshfs_problem = sshd_problem or mount_sshfs(c)

        size_mib = SIZE // MIB
        print(f"== oMFS, sequential: {size_mib} MiB file in node {SERVER}'s /tmp, 1 MiB buffers, "
              f"best of {REPEATS} (MB/s = 10^6 bytes/s)")
        print("   (3 netns nodes on one host: the network is a veth bridge; the disk and the page cache are "
              "the host's)")
        print(f"   write = write + fsync of a new file; cold = read after the file's pages were dropped "
              f"(posix_fadvise DONTNEED, on node {SERVER}"
              f" and for sshfs also on node {CLIENT}); warm = read again right after (neither oMFS nor sshfs "
              f"keeps a client cache across opens: warm is node {SERVER}'s page cache)")
        if not sshfs_problem:
            v = subprocess.run(["sshfs", "--version"], capture_output=True, text=True)
            version = next((l for l in (v.stdout + v.stderr).splitlines() if l.startswith("SSHFS")), "sshfs")
            print(f"   sshfs: {version.strip()}, default options, mounted in node {CLIENT}'s mount namespace")
        print(f"   omx-mfs on node {SERVER}: {json.dumps(mfs)}")
        rows = {}
        rows["local"], n_local = sequential(c, SERVER, f"{WORK}/local.dat", f"{WORK}/local.dat")
        rows["oMFS"], n_mfs = sequential(c, CLIENT, f"/mfs/{SERVER}{WORK}/mfs.dat", f"{WORK}/mfs.dat")
        if not sshfs_problem:
            rows["sshfs"], n_ssh = sequential(c, CLIENT, f"{SSHFS_MNT}/sshfs.dat", f"{WORK}/sshfs.dat",
                                              client_cache=f"{SSHFS_MNT}/sshfs.dat")
        labels = {"local": f"local: node {SERVER} -> its own /tmp",
                  "oMFS": f"oMFS:  node {CLIENT} -> /mfs/{SERVER}/tmp",
                  "sshfs": f"sshfs: node {CLIENT} -> {SERVER}:/tmp over ssh"}
        print(f"   {'':40s} {'write':>9s} {'read cold':>11s} {'read warm':>11s}")
        for k, r in rows.items():
            print(f"   {labels[k]:40s} {fmt_rate(r['write'])} {fmt_rate(r['cold'])}   {fmt_rate(r['warm'])}")
        if sshfs_problem:
            print(f"   {labels['sshfs']:40s} skipped: {sshfs_problem}")
        for k, notes in (("local", n_local), ("oMFS", n_mfs), ("sshfs", [] if sshfs_problem else n_ssh)):
            for note in sorted(set(notes)):
                print(f"   note ({k}): {note}")
        # The same file read other ways, for reference.
        direct_local = io(c, SERVER, "read", f"{WORK}/local.dat", "direct")
        own = io(c, SERVER, "read", f"/mfs/{SERVER}{WORK}/mfs.dat")
        direct_mfs = io(c, CLIENT, "read", f"/mfs/{SERVER}{WORK}/mfs.dat", "direct")
        print(f"   also: local O_DIRECT read {mb_s(direct_local):.0f} MB/s; oMFS on its own node "
              f"(node {SERVER} -> /mfs/{SERVER}/tmp, warm) {mb_s(own):.0f} MB/s; oMFS O_DIRECT read from node "
              f"{CLIENT}: " + (f"error {direct_mfs['error']}" if "error" in direct_mfs else f"{mb_s(direct_mfs):.0f} MB/s"))
        lo, mf = rows["local"], rows["oMFS"]
        print(f"   ratio oMFS/local: write {ratio(mf['write'], lo['write'])}, cold read {ratio(mf['cold'], lo['cold'])}, "
              f"warm read {ratio(mf['warm'], lo['warm'])}")
        if not sshfs_problem:
            ss = rows["sshfs"]
            print(f"   ratio oMFS/sshfs: write {ratio(mf['write'], ss['write'])}, cold read {ratio(mf['cold'], ss['cold'])}, "
                  f"warm read {ratio(mf['warm'], ss['warm'])}")

        print(f"== oMFS, 4 KiB random reads: {READS} preads at random 4 KiB-aligned offsets of the {size_mib} MiB "
              f"file (POSIX_FADV_RANDOM; the file warm in node {SERVER}'s page cache)")
        cached = {}
        for k in rows:   # warm again on node 2 (the O_DIRECT reads above may have dropped pages)
            io(c, SERVER, "read", f"{WORK}/{k.lower()}.dat")
            cached[k] = resident_pct(c, SERVER, f"{WORK}/{k.lower()}.dat")
        lat = {"local": io(c, SERVER, "rand", f"{WORK}/local.dat", str(READS)),
               "local O_DIRECT": io(c, SERVER, "rand", f"{WORK}/local.dat", str(READS), "direct"),
               "oMFS": io(c, CLIENT, "rand", f"/mfs/{SERVER}{WORK}/mfs.dat", str(READS))}
        if not sshfs_problem:
            io(c, CLIENT, "evict", f"{SSHFS_MNT}/sshfs.dat")
            lat["sshfs"] = io(c, CLIENT, "rand", f"{SSHFS_MNT}/sshfs.dat", str(READS))
        lat["oMFS own"] = io(c, SERVER, "rand", f"/mfs/{SERVER}{WORK}/mfs.dat", str(READS))
        lat["tcp"] = tcp_round_trip(c)
        labels["local O_DIRECT"] = f"local O_DIRECT: node {SERVER} (the disk)"
        labels["oMFS own"] = f"oMFS on its own node: {SERVER} -> /mfs/{SERVER}"
        labels["tcp"] = f"TCP round trip {CLIENT}->{SERVER}, 4 KiB back"
        for k, r in lat.items():
            print(f"   {labels[k]:40s} {fmt_lat(r)}")
        for k, pct in cached.items():
            if pct is not None and pct < 100:
                print(f"   note ({k}): only {pct:.1f} % of the file was in the page cache")
        if sshfs_problem:
            print(f"   {labels['sshfs']:40s} skipped: {sshfs_problem}")

        def lat_ratio(a, b, key):
            return "n/a" if key not in lat.get(a, {}) or key not in lat.get(b, {}) else f"{lat[a][key] / lat[b][key]:.1f}"
        print(f"   latency ratio oMFS/local (page cache): median {lat_ratio('oMFS', 'local', 'median_us')}, "
              f"p99 {lat_ratio('oMFS', 'local', 'p99_us')}; oMFS/local O_DIRECT: median "
              f"{lat_ratio('oMFS', 'local O_DIRECT', 'median_us')}"
              + ("" if sshfs_problem else f"; oMFS/sshfs: median {lat_ratio('oMFS', 'sshfs', 'median_us')}, "
                                          f"p99 {lat_ratio('oMFS', 'sshfs', 'p99_us')}"))

        print(f"== DFSA: mfsread reads a {DFSA_SIZE // MIB} MiB file with 1 MiB reads (page cache warm, best of up "
              f"to 10 passes or 4 s); started on node 1, migrated with `migrate PID 2` before it opens the file")
        results, same, prog = dfsa(c, tmp)
        print(f"   program {prog}; node 1's and node 2's copies identical: {same}; omxd dfsa={mfs.get('dfsa')}")
        figures = {}
        for where, path, what, r in results:
            figure = (f"{r['best']:7.0f} MB/s (median {r['median']:5.0f}, {len(r['passes']):2d} passes)" if "best" in r
                      else f"error: {r['error']}")
            print(f"   {where:19s} {path:34s} {figure}   ({what})")
            figures[(where.split()[0], path)] = r.get("best", float("nan"))
        away = figures[("migrated", f"/mfs/here{WORK}/dfsa.dat")]
        home_plain = figures[("home", f"{WORK}/dfsa.dat")]
        home_remote = figures[("home", f"/mfs/2{WORK}/dfsa.dat")]
        forwarded = figures[("migrated", f"{WORK}/dfsa.dat")]
        print(f"   ratio migrated /mfs/here / home local: {ratio(away, home_plain)} (DFSA: ~1); "
              f"/ home /mfs/2 (no migration): {ratio(away, home_remote)}; "
              f"/ migrated forwarded home: {ratio(away, forwarded)}")
        if away == away and home_remote == home_remote:
            verdict = ("its reads were local to node 2 (DFSA)" if away > home_remote * 1.5 else
                       "its reads were not local: they went home to node 1 and back (no DFSA on this path)")
            print(f"   the migrated reader of /mfs/here: {verdict}")
    finally:
        try:
            unmount_sshfs(c)
        finally:
            c.down()
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"(whole run {time.monotonic() - t_start:.0f} s)")


if __name__ == "__main__":
    main()
