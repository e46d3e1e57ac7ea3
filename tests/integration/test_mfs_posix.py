"""oMFS against POSIX, pjdfstest-style: the cases of posix_cases.py (open flags, data,
truncate, unlink, mkdir, rmdir, rename, link, symlink, chmod, chown, utimens, readdir,
stat fields, error numbers, and access checks made as nobody) give the same outcomes on
a node's own /tmp as through /mfs, from another node (/mfs/2/tmp from node 1) and on the
node's own files (/mfs/1/tmp from node 1). Then what oMFS does on purpose across nodes:
EXDEV between nodes, no /proc, /mfs or special files, and no cache (a write through /mfs
is seen by every node as soon as it returned)."""
import json
import os
import subprocess
import sys

import pytest

from vc import REPO, VCLUSTER, Cluster

sys.path.insert(0, os.path.dirname(__file__))
import posix_cases  # noqa: E402  (the case names, for one test per case)

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for namespaces and for the nobody cases"),
    pytest.mark.skipif(not VCLUSTER.exists(), reason=f"{VCLUSTER} not built"),
]

PY = "/usr/bin/python3"
CASES_SCRIPT = REPO / "tests" / "integration" / "posix_cases.py"
CASE_NAMES = [n for n, _ in posix_cases.ROOT_CASES] + [n for n, _, _ in posix_cases.NOBODY_CASES]

# Where the cases run: (label, node, base directory), compared pairwise below.
RUNS = {
    "local2": (2, "/tmp/posix-local"),       # node 2's own /tmp: the reference for /mfs/2
    "mfs2": (1, "/mfs/2/tmp/posix-mfs"),     # the same file system, from node 1 through oMFS
    "local1": (1, "/tmp/posix-local"),       # node 1's own /tmp: the reference for /mfs/1
    "mfs1": (1, "/mfs/1/tmp/posix-self"),    # node 1's own files through its own oMFS
}


@pytest.fixture(scope="module")
def cluster():
    c = Cluster(3)
    c.down()
    try:
        c.up()
        # oMFS learns the other nodes from omxd a moment after `up`: until then /mfs/N is EIO.
        for node in (1, 2, 3):
            c.wait_for(f"node {node} to reach every node through /mfs",
                       lambda: c.exec(node, "sh", "-c", "ls /mfs/1/tmp /mfs/2/tmp /mfs/3/tmp",
                                      check=False).returncode == 0, timeout=20)
        yield c
    finally:
        c.down()


@pytest.fixture(scope="module")
def outcomes(cluster):
    """{run label: {case: outcome}}; the four runs go at once (separate directories)."""
    procs = {label: subprocess.Popen([str(VCLUSTER), "exec", str(node), PY, str(CASES_SCRIPT), base],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for label, (node, base) in RUNS.items()}
    out = {}
    for label, p in procs.items():
        stdout, stderr = p.communicate(timeout=120)
        assert p.returncode == 0, f"{label}: posix_cases.py failed ({p.returncode}):\n{stderr}"
        out[label] = dict(json.loads(stdout))
        assert list(out[label]) == CASE_NAMES, f"{label}: ran {list(out[label])}"
    return out


def differences(want, got, path=""):
    """Readable differences of two outcomes: 'path: local X, oMFS Y' lines."""
    if isinstance(want, dict) and isinstance(got, dict):
        lines = []
        for k in list(want) + [k for k in got if k not in want]:
            lines += differences(want.get(k, "<missing>"), got.get(k, "<missing>"), f"{path}.{k}")
        return lines
    if isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        return [line for i, (a, b) in enumerate(zip(want, got)) for line in differences(a, b, f"{path}[{i}]")]
    return [] if want == got else [f"{path or '.'}: local {json.dumps(want)}, oMFS {json.dumps(got)}"]


def same(want, got, what):
    diff = differences(want, got)
    assert not diff, f"{what} differs from the local directory:\n  " + "\n  ".join(diff)


# -- the same outcomes as a local directory ------------------------------------------------

def test_both_local_directories_agree(outcomes):
    """The references themselves: node 1's and node 2's /tmp behave alike."""
    same(outcomes["local2"], outcomes["local1"], "node 1's /tmp")


@pytest.mark.parametrize("case", CASE_NAMES)
def test_remote_node_through_mfs(outcomes, case):
    """/mfs/2/tmp from node 1 against node 2's /tmp."""
    same(outcomes["local2"][case], outcomes["mfs2"][case], f"{case} on /mfs/2/tmp from node 1")


@pytest.mark.parametrize("case", CASE_NAMES)
def test_own_node_through_mfs(outcomes, case):
    """/mfs/1/tmp from node 1 against node 1's /tmp."""
    same(outcomes["local1"][case], outcomes["mfs1"][case], f"{case} on /mfs/1/tmp from node 1")


@pytest.mark.parametrize("run", ["mfs2", "mfs1"])
def test_nobody_is_checked_as_nobody(outcomes, run):
    """Spelled out, so that equal-but-wrong references cannot hide it: through oMFS nobody
    cannot write into a root-owned 0755 directory, chown, chmod or read a 0600 root file."""
    d, f = outcomes[run]["nobody_root_owned_dir"], outcomes[run]["nobody_root_owned_files"]
    assert [d["create"], d["mkdir"], d["symlink"], d["unlink"], d["rename"], d["rmdir"]] == ["EACCES"] * 6
    assert d["after"] == outcomes[run]["nobody_root_owned_dir"]["listing"]
    assert [f["read_secret"], f["write_pub"], f["truncate_pub"]] == ["EACCES"] * 3
    assert [f["chmod_pub"], f["chown_pub_to_self"], f["utime_explicit"]] == ["EPERM"] * 3
    assert f["read_pub"] == "public"
    created = outcomes[run]["nobody_shared_dirs"]["create_in_open"]
    assert created[0] == "ok" and (created[1]["uid"], created[1]["gid"]) == (65534, 65534)


# -- what oMFS does on purpose across nodes -------------------------------------------------

_XDEV = r"""
import errno, json, os, shutil, sys
def E(f, *a):
    try:
        f(*a)
        return "ok"
    except OSError as e:
        return errno.errorcode[e.errno]
src = "/mfs/2/tmp/xdev"
shutil.rmtree(src, ignore_errors=True)
os.mkdir(src)
os.mkdir(src + "/dir")
with open(src + "/f", "w") as f:
    f.write("payload")
out = {
    "rename_2_to_3": E(os.rename, src + "/f", "/mfs/3/tmp/xdev-f"),
    "rename_dir_2_to_3": E(os.rename, src + "/dir", "/mfs/3/tmp/xdev-dir"),
    "rename_2_to_own_node": E(os.rename, src + "/f", "/mfs/1/tmp/xdev-f"),
    "rename_2_to_local_tmp": E(os.rename, src + "/f", "/tmp/xdev-f"),
    "rename_2_to_magic_here": E(os.rename, src + "/f", "/mfs/here/tmp/xdev-f"),
    "link_2_to_3": E(os.link, src + "/f", "/mfs/3/tmp/xdev-f"),
    "rename_within_2_via_other_spelling": E(os.rename, src + "/f", "/mfs/2/tmp/./xdev/g"),
    "source_left": sorted(os.listdir(src)),
    "nothing_on_3": os.path.lexists("/mfs/3/tmp/xdev-f") or os.path.lexists("/mfs/3/tmp/xdev-dir"),
}
# mv copies when rename says EXDEV, as between any two mounts
import subprocess
out["mv"] = subprocess.run(["mv", src + "/g", "/mfs/3/tmp/xdev-f"]).returncode
print(json.dumps(out))
"""


def test_rename_and_link_across_nodes_are_exdev(cluster):
    cluster.exec(3, "rm", "-rf", "/tmp/xdev-f", "/tmp/xdev-dir")
    out = json.loads(cluster.exec(1, PY, "-c", _XDEV).stdout)
    assert out == {
        "rename_2_to_3": "EXDEV", "rename_dir_2_to_3": "EXDEV", "rename_2_to_own_node": "EXDEV",
        "rename_2_to_local_tmp": "EXDEV", "rename_2_to_magic_here": "EXDEV", "link_2_to_3": "EXDEV",
        "rename_within_2_via_other_spelling": "ok", "source_left": ["dir", "g"], "nothing_on_3": False, "mv": 0,
    }
    assert cluster.exec(3, "cat", "/tmp/xdev-f").stdout == "payload"
    assert cluster.exec(2, "ls", "/tmp/xdev").stdout.split() == ["dir"]


_HIDDEN = r"""
import errno, json, os, stat, sys
def E(f, *a):
    try:
        r = f(*a)
        return "ok" if r is None else r
    except OSError as e:
        return errno.errorcode[e.errno]
def kinds(d):
    return sorted({stat.S_IFMT(os.lstat(os.path.join(d, n)).st_mode) for n in os.listdir(d)})
out = {}
for node in (2, 1):
    m = f"/mfs/{node}"
    out[node] = {
        "proc": E(lambda: os.stat(m + "/proc") and None), "proc_self": E(lambda: os.stat(m + "/proc/self/status") and None),
        "proc_listdir": E(os.listdir, m + "/proc"), "mfs": E(lambda: os.stat(m + "/mfs") and None),
        "mfs_loop": E(lambda: os.stat(m + "/mfs/2/tmp") and None),
        "in_root_listing": sorted({"proc", "mfs"} & set(os.listdir(m))),
        "dev_null": E(lambda: os.stat(m + "/dev/null") and None),
        "open_dev_null": E(lambda: os.close(os.open(m + "/dev/null", os.O_RDONLY))),
        "dev_zero_create": E(lambda: os.close(os.open(m + "/dev/zero", os.O_WRONLY | os.O_CREAT))),
        "null_listed": "null" in os.listdir(m + "/dev"),
        "dev_kinds_only_reg_dir_lnk": set(kinds(m + "/dev")) <= {stat.S_IFREG, stat.S_IFDIR, stat.S_IFLNK},
        "fifo": E(lambda: os.stat(m + "/tmp/hidden/fifo") and None),
        "sock": E(lambda: os.stat(m + "/tmp/hidden/sock") and None),
        "open_fifo": E(lambda: os.close(os.open(m + "/tmp/hidden/fifo", os.O_RDONLY | os.O_NONBLOCK))),
        "hidden_listing": sorted(os.listdir(m + "/tmp/hidden")),
        "etc_hostname_is_file": stat.S_ISREG(os.stat(m + "/etc/hostname").st_mode),
    }
print(json.dumps(out))
"""

_SPECIALS = ("rm -rf /tmp/hidden && mkdir /tmp/hidden && mkfifo /tmp/hidden/fifo && touch /tmp/hidden/file && "
             "python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind(\"/tmp/hidden/sock\")' && "
             "ls /dev/null /proc/self/status >/dev/null")


def test_proc_mfs_and_special_files_are_not_there(cluster):
    for node in (1, 2):
        cluster.sh(node, _SPECIALS)
    out = json.loads(cluster.exec(1, PY, "-c", _HIDDEN).stdout)
    for node in ("2", "1"):
        assert out[node] == {
            "proc": "ENOENT", "proc_self": "ENOENT", "proc_listdir": "ENOENT", "mfs": "ENOENT", "mfs_loop": "ENOENT",
            "in_root_listing": [], "dev_null": "ENOENT", "open_dev_null": "ENOENT", "dev_zero_create": "ENOENT",
            "null_listed": False, "dev_kinds_only_reg_dir_lnk": True, "fifo": "ENOENT", "sock": "ENOENT",
            "open_fifo": "ENOENT", "hidden_listing": ["file"], "etc_hostname_is_file": True,
        }, f"/mfs/{node} from node 1"


# A file agent per node: one JSON request a line on stdin, one JSON reply a line on stdout,
# so one test can interleave calls of three nodes on files they keep open.
_AGENT = r"""
import errno, json, os, sys
fds = {}
def stat_of(s):
    return {"size": s.st_size, "mode": s.st_mode, "nlink": s.st_nlink, "uid": s.st_uid, "gid": s.st_gid,
            "atime_ns": s.st_atime_ns, "mtime_ns": s.st_mtime_ns, "ctime_ns": s.st_ctime_ns, "blocks": s.st_blocks}
def call(q):
    op = q["op"]
    if op == "open":
        flags = 0
        for f in q["flags"]:
            flags |= getattr(os, f)
        fd = os.open(q["path"], flags, 0o644)
        fds[q["name"]] = fd
        return "ok"
    fd = fds.get(q.get("name"))
    if op == "pwrite": return os.pwrite(fd, q["data"].encode(), q["off"])
    if op == "write": return os.write(fd, q["data"].encode())
    if op == "ftruncate": return os.ftruncate(fd, q["size"])
    if op == "pread": return os.pread(fd, q.get("n", 1 << 20), q.get("off", 0)).decode()
    if op == "fstat": return stat_of(os.fstat(fd))
    if op == "fchmod": return os.fchmod(fd, q["mode"])
    if op == "seek_end": return os.lseek(fd, 0, os.SEEK_END)
    if op == "close": return os.close(fds.pop(q["name"]))
    if op == "cat":
        with open(q["path"], "rb") as f:
            return f.read().decode()
    if op == "stat": return stat_of(os.lstat(q["path"]))
    if op == "sh": return os.system(q["cmd"])
    raise ValueError(op)
for line in sys.stdin:
    q = json.loads(line)
    try:
        r = call(q)
        reply = {"ok": "ok" if r is None else r}
    except OSError as e:
        reply = {"err": errno.errorcode[e.errno]}
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()
"""


class Agent:
    def __init__(self, node):
        self.node = node
        self.p = subprocess.Popen([str(VCLUSTER), "exec", str(node), PY, "-c", _AGENT], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True, bufsize=1)

    def __call__(self, op, **q):
        self.p.stdin.write(json.dumps({"op": op, **q}) + "\n")
        line = self.p.stdout.readline()
        assert line, f"node {self.node}: the file agent died"
        reply = json.loads(line)
        return reply["ok"] if "ok" in reply else reply["err"]

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=10)


@pytest.fixture
def agents(cluster):
    cluster.exec(2, "sh", "-c", "rm -rf /tmp/vis && mkdir /tmp/vis")
    a = {n: Agent(n) for n in (1, 2, 3)}
    yield a
    for x in a.values():
        x.close()


def test_writes_are_seen_at_once_on_every_node(agents):
    """No cache anywhere: node 1 writes through /mfs/2, node 3 reads through /mfs/2 and node
    2 reads its own /tmp right after each call returned; and the other way round."""
    n1, n2, n3 = agents[1], agents[2], agents[3]
    remote, local = "/mfs/2/tmp/vis/f", "/tmp/vis/f"

    def everyone_sees(content, step):
        assert n3("cat", path=remote) == content, f"node 3 through /mfs/2 after {step}"
        assert n2("cat", path=local) == content, f"node 2 locally after {step}"
        assert n3("stat", path=remote)["size"] == len(content) == n2("stat", path=local)["size"], step
        assert n1("pread", name="w") == content, f"node 1's own open file after {step}"

    assert n1("open", name="w", path=remote, flags=["O_RDWR", "O_CREAT", "O_TRUNC"]) == "ok"
    everyone_sees("", "create")
    model = ""
    for i, (off, data) in enumerate([(0, "first line\n"), (6, "LINE"), (11, "second\n"), (100, "far")]):
        assert n1("pwrite", name="w", off=off, data=data) == len(data)
        model = model.ljust(off, "\0")
        model = model[:off] + data + model[off + len(data):]
        everyone_sees(model, f"write {i} ({data!r} at {off})")
    assert model == "first LINE\nsecond\n" + "\0" * 82 + "far"
    assert n1("ftruncate", name="w", size=5) == "ok"
    everyone_sees("first", "ftruncate")

    # node 2 changes its file locally: node 1's open file and node 3's reads see it at once
    assert n2("open", name="l", path=local, flags=["O_WRONLY"]) == "ok"
    assert n2("pwrite", name="l", off=0, data="FIRST and more") == 14
    everyone_sees("FIRST and more", "a local write on node 2")
    assert n1("seek_end", name="w") == 14
    assert n2("ftruncate", name="l", size=2) == "ok"
    everyone_sees("FI", "a local truncate on node 2")

    # appends from two nodes interleave at the true end of the file, nothing overwritten
    assert n1("open", name="a", path=remote, flags=["O_WRONLY", "O_APPEND"]) == "ok"
    assert n2("open", name="la", path=local, flags=["O_WRONLY", "O_APPEND"]) == "ok"
    for i in range(3):
        assert n1("write", name="a", data=f"<n1:{i}>") == 6
        assert n2("write", name="la", data=f"<n2:{i}>") == 6
    everyone_sees("FI<n1:0><n2:0><n1:1><n2:1><n1:2><n2:2>", "appends from node 1 and node 2")

    # attributes too: what node 1 and node 3 stat through /mfs/2 is node 2's own stat,
    # times to the nanosecond (only inode and device numbers are oMFS's own)
    n2("sh", cmd="chmod 0604 /tmp/vis/f && touch -d '2001-02-03 04:05:06.789' /tmp/vis/f")
    assert n1("stat", path=remote) == n3("stat", path=remote) == n2("stat", path=local)
    n1("fchmod", name="w", mode=0o640)
    assert n2("stat", path=local)["mode"] & 0o7777 == 0o640
    assert n1("fstat", name="w") == n2("stat", path=local)


def test_open_file_follows_its_inode_not_its_name(agents):
    """A file node 1 holds open through /mfs/2 stays that file when node 2 renames it away
    and puts another file at its name, or unlinks it: as with any local open file (what
    node 2's own open file shows is the reference). Reads and writes go by handle; fstat,
    fchmod and ftruncate must too."""
    n1, n2 = agents[1], agents[2]
    n2("sh", cmd="printf original > /tmp/vis/g && printf gone > /tmp/vis/h")
    for node, prefix in ((n1, "/mfs/2"), (n2, "")):
        assert node("open", name="g", path=prefix + "/tmp/vis/g", flags=["O_RDWR"]) == "ok"
        assert node("open", name="h", path=prefix + "/tmp/vis/h", flags=["O_RDWR"]) == "ok"
    n2("sh", cmd="mv /tmp/vis/g /tmp/vis/moved && printf 'a newcomer file' > /tmp/vis/g && rm /tmp/vis/h")
    seen = {}
    for label, node in (("node 2 locally", n2), ("node 1 through /mfs/2", n1)):
        seen[label] = {
            "pread": node("pread", name="g"),
            "fstat_size": (lambda r: r if isinstance(r, str) else r["size"])(node("fstat", name="g")),
            "fchmod": node("fchmod", name="g", mode=0o600 if node is n2 else 0o640),
            "modes (moved, newcomer)": ["%04o" % (n2("stat", path=f"/tmp/vis/{n}")["mode"] & 0o7777)
                                        for n in ("moved", "g")],
            "unlinked_fstat_nlink": (lambda r: r if isinstance(r, str) else r["nlink"])(node("fstat", name="h")),
            "unlinked_pread": node("pread", name="h"),
        }
    local, mfs = seen["node 2 locally"], seen["node 1 through /mfs/2"]
    assert local == {"pread": "original", "fstat_size": 8, "fchmod": "ok", "modes (moved, newcomer)": ["0600", "0644"],
                     "unlinked_fstat_nlink": 0, "unlinked_pread": "gone"}
    local["modes (moved, newcomer)"] = ["0640", "0644"]   # node 1's fchmod comes after node 2's
    same(local, mfs, "an open file renamed or unlinked on node 2, seen from node 1")
