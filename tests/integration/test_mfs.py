"""oMFS and DFSA on a 3-node netns cluster (HOWTO 2.4.2, 2.4.3, 4.3.3, 11.5): every node's
files under /mfs/<id>, byte for byte and without caches; the magic names; `df`; a node
that refuses oMFS; the fstab way of mounting; DFSA, whose reads of the node's own files
never go home; and a node that dies under a reader. Each node's omxd keeps /mfs mounted
(omx-mfs); node N's /tmp is its own."""
import hashlib
import json
import os
import subprocess
import time

import pytest

from vc import BIN, BUILD, VCLUSTER, Cluster, module_cluster

PROGS = BUILD / "testprogs"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces and FUSE")


@pytest.fixture(scope="module")
def cluster():
    for c in module_cluster(3):
        c.wait_for("oMFS on every node", lambda: all(mounted(c, n) for n in (1, 2, 3)), timeout=30)
        c.hold_placement()   # processes go where the tests send them
        yield c


def mounted(c, node):
    s = c.control(node, {"cmd": "status"})
    return s["mfs"]["mounted"]


def sha(c, node, path):
    return c.exec(node, "sha256sum", path, timeout=120).stdout.split()[0]


def start(node, *argv):
    return subprocess.Popen([str(VCLUSTER), "exec", str(node), *map(str, argv)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_every_node_mounts_mfs_with_node_directories_and_magic_names(cluster):
    c = cluster
    for node in (1, 2, 3):
        mounts = c.exec(node, "cat", "/proc/mounts").stdout
        assert "mfs_mnt /mfs fuse.mfs" in mounts, mounts
    names = sorted(c.exec(1, "ls", "/mfs").stdout.split())
    assert names == sorted(["1", "2", "3", "here", "home", "magic", "lastexec", "selected"])
    assert c.exec(1, "readlink", "/mfs/here").stdout.strip() == "1"
    assert c.exec(3, "readlink", "/mfs/home").stdout.strip() == "3"
    # HOWTO 11.5: the version tells whether DFSA is on.
    out = c.exec(2, BIN / "mosctl", "version").stdout
    assert out.startswith("openMosix version: ") and "oMFS: mounted at /mfs (DFSA on)" in out, out


@pytest.mark.parametrize("size", [0, 1, 4096, 10 * 2**20, 2**30])
def test_a_file_written_through_mfs_is_the_other_nodes_file_byte_for_byte(cluster, size):
    c = cluster
    name = f"/tmp/bytes-{size}"
    c.sh(1, f"head -c {size} /dev/urandom > {name}", timeout=120)
    want = sha(c, 1, name)
    c.exec(1, "cp", name, f"/mfs/2{name}", timeout=300)
    assert sha(c, 2, name) == want                      # node 2's own /tmp
    assert sha(c, 3, f"/mfs/2{name}") == want           # read back through oMFS elsewhere
    assert int(c.exec(3, "stat", "-c", "%s", f"/mfs/2{name}").stdout) == size
    c.exec(2, "rm", "-f", name)
    c.exec(1, "rm", "-f", name)


def test_appends_from_two_nodes_are_all_there(cluster):
    c = cluster
    c.exec(2, "sh", "-c", "rm -f /tmp/log; touch /tmp/log")
    writer = ("import os,sys\n"
              "fd = os.open('/mfs/2/tmp/log', os.O_WRONLY | os.O_APPEND)\n"
              "for i in range(2000):\n"
              "    os.write(fd, ('%s %06d ' % (sys.argv[1], i) + 'x' * 80 + '\\n').encode())\n")
    a = start(1, "python3", "-c", writer, "node1")
    b = start(3, "python3", "-c", writer, "node3")
    assert a.wait(120) == 0 and b.wait(120) == 0, (a.stderr.read(), b.stderr.read())
    lines = c.exec(2, "cat", "/tmp/log").stdout.splitlines()
    assert len(lines) == 4000
    for who in ("node1", "node3"):
        mine = [l for l in lines if l.startswith(who + " ")]
        assert mine == [f"{who} {i:06d} " + "x" * 80 for i in range(2000)]


def test_a_write_is_seen_by_every_node_as_soon_as_it_returned(cluster):
    c = cluster
    script = ("import os,sys\n"
              "for i in range(50):\n"
              "    open('/mfs/2/tmp/now', 'w').write('version %d ' % i + 'y' * i)\n"
              "    print(os.stat('/mfs/2/tmp/now').st_size, open('/mfs/2/tmp/now').read())\n")
    # Written from node 1, checked from node 3 right after each write: no stale cache.
    for i in range(5):
        content = f"round {i} " + "z" * (i * 1000)
        c.sh(1, f"printf '%s' '{content}' > /mfs/2/tmp/now")
        assert c.exec(3, "cat", "/mfs/2/tmp/now").stdout == content
        assert int(c.exec(3, "stat", "-c", "%s", "/mfs/2/tmp/now").stdout) == len(content)
    out = c.exec(1, "python3", "-c", script).stdout.splitlines()
    for i, line in enumerate(out):
        body = f"version {i} " + "y" * i
        assert line == f"{len(body)} {body}"


def test_proc_devices_and_mfs_inside_mfs_are_excluded(cluster):
    c = cluster
    top = c.exec(1, "ls", "/mfs/2/").stdout.split()
    assert "proc" not in top and "mfs" not in top and "tmp" in top
    for path in ("/mfs/2/proc/1/status", "/mfs/1/mfs/3/usr", "/mfs/2/dev/null"):
        r = c.exec(1, "cat", path, check=False)
        assert r.returncode != 0 and "No such file or directory" in r.stderr, (path, r.stderr)
    r = c.exec(1, "ln", "-s", "/mfs/1/mfs/3/usr", "/tmp/bad", check=False)   # a link may name it...
    assert c.exec(1, "ls", "/tmp/bad/", check=False).returncode != 0          # ...it leads nowhere


def test_a_whole_tree_walks_the_same_as_on_its_node(cluster):
    """find over thousands of names: every one is an inode the server holds open while the
    kernel knows it, far more than a default limit of 1024 files."""
    c = cluster
    c.sh(2, "mkdir -p /tmp/tree && cd /tmp/tree && for d in $(seq 40); do mkdir -p d$d; "
            "(cd d$d && touch $(seq -f f%g 60)); done")
    local = c.sh(2, "cd /tmp/tree && find . | sort").stdout
    remote = c.sh(1, "cd /mfs/2/tmp/tree && find . | sort", timeout=300).stdout
    assert remote == local and len(local.splitlines()) == 1 + 40 * 61
    assert c.sh(1, "du -s --inodes /mfs/2/tmp/tree", timeout=300).stdout.split()[0] == str(1 + 40 * 61)


def test_df_tells_the_nodes_own_figures(cluster):
    c = cluster
    def blocks(node, path):
        f = c.exec(node, "df", "-P", "-k", path).stdout.splitlines()[1].split()
        return int(f[1]), int(f[3])   # size, available
    local = blocks(2, "/tmp")
    remote = blocks(1, "/mfs/2/tmp")
    assert remote[0] == local[0]
    assert abs(remote[1] - local[1]) < local[0] // 100   # the free space may move a little
    # All three nodes share the host's disk here: /mfs counts it once, not three times.
    total = blocks(1, "/mfs")
    assert total[0] == blocks(1, "/")[0]


def test_access_is_checked_as_the_calling_user_on_the_node_that_has_the_file(cluster):
    c = cluster
    c.sh(2, "echo secret > /tmp/secret && chmod 600 /tmp/secret && mkdir -p /tmp/open && chmod 777 /tmp/open")
    as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    r = c.exec(1, *as_nobody, "cat", "/mfs/2/tmp/secret", check=False)
    assert r.returncode != 0 and "Permission denied" in r.stderr
    assert c.exec(1, "cat", "/mfs/2/tmp/secret").stdout == "secret\n"   # root may
    c.exec(1, *as_nobody, "sh", "-c", "echo mine > /mfs/2/tmp/open/byn")
    owner = c.exec(2, "stat", "-c", "%u:%g", "/tmp/open/byn").stdout.strip()
    assert owner == "65534:65534"
    r = c.exec(1, *as_nobody, "chown", "0", "/mfs/2/tmp/open/byn", check=False)
    assert r.returncode != 0


def test_magic_names_follow_the_process(cluster):
    c = cluster
    c.exec(2, "sh", "-c", "rm -f /tmp/go; echo on-node-2 > /tmp/marker")
    c.exec(1, "sh", "-c", "echo on-node-1 > /tmp/marker")
    script = ("echo $$ > /tmp/magic.pid; while [ ! -e /mfs/2/tmp/go ]; do sleep 0.1; done; "
              "readlink /mfs/here; readlink /mfs/home; cat /mfs/here/tmp/marker; cat /mfs/home/tmp/marker; "
              "readlink /mfs/lastexec; readlink /mfs/selected; echo made > /mfs/magic/tmp/magicfile; "
              "cat /mfs/magic/tmp/magicfile")
    job = start(1, "sh", "-c", script)
    c.wait_for("the shell's pid", lambda: c.exec(1, "cat", "/tmp/magic.pid", check=False).stdout.strip())
    pid = int(c.exec(1, "cat", "/tmp/magic.pid").stdout)
    c.exec(1, BIN / "migrate", pid, 2)
    c.exec(1, BIN / "mosproc", pid, "selected", 3)
    assert c.control(1, {"cmd": "mfs", "pid": pid})["selected"] == 3
    c.exec(2, "touch", "/tmp/go")
    out, err = job.communicate(timeout=60)
    assert job.returncode == 0, err
    lines = out.splitlines()
    # The shell and its children run on node 2 (they were forked there).
    assert lines[0:4] == ["2", "1", "on-node-2", "on-node-1"], out
    assert lines[4] == "2", out             # readlink exec'd on node 2
    assert lines[5] == "3", out             # selected for the shell, inherited by its child
    assert lines[6] == "made", out
    # magic: a create lands where the process runs.
    assert c.exec(2, "cat", "/tmp/magicfile").stdout == "made\n"
    # At home and never moved, every magic name is this node.
    for name in ("here", "home", "lastexec", "selected"):
        assert c.exec(3, "readlink", f"/mfs/{name}").stdout.strip() == "3"


def dfsa_run(c, target, *held):
    """dfsaprobe migrated to node 2 reads /mfs/<target>/tmp/data: the calls that went home
    while it read, and its output after it was brought home with the file open."""
    c.exec(2, "sh", "-c", "rm -f /tmp/go /tmp/half /tmp/resume")
    job = start(1, PROGS / "dfsaprobe", f"/mfs/{target}/tmp/data", "/mfs/2/tmp/go", "/mfs/2/tmp/half",
                "/mfs/2/tmp/resume", *held)
    assert job.stdout.readline().strip() == "ready"
    pid = int(c.exec(1, "pgrep", "-n", "dfsaprobe").stdout)
    c.exec(1, BIN / "migrate", pid, 2)
    time.sleep(1.0)   # the deputy tells omxd its count at most every 0.5 s
    before = c.control(1, {"cmd": "process", "pid": pid})["forwarded"]
    c.exec(2, "touch", "/tmp/go")
    c.wait_for("the first half read", lambda: c.exec(2, "test", "-e", "/tmp/half", check=False).returncode == 0,
               timeout=60)
    time.sleep(1.2)
    info = c.control(1, {"cmd": "process", "pid": pid})
    assert info["where"] == 2
    c.exec(1, BIN / "migrate", pid, "home")
    assert c.control(1, {"cmd": "process", "pid": pid})["where"] == 0
    c.exec(2, "touch", "/tmp/resume")
    out, err = job.communicate(timeout=120)
    assert job.returncode == 0, (out, err)
    return info["forwarded"] - before, out.strip()


def fnv(c, node, path):
    code = ("import sys\nh=1469598103934665603\nd=open(sys.argv[1],'rb').read()\n"
            "for b in d: h=((h^b)*1099511628211)&0xffffffffffffffff\nprint('%016x' % h)")
    return c.exec(node, "python3", "-c", code, path, timeout=300).stdout.strip()


def test_dfsa_reads_of_the_nodes_own_files_never_go_home_and_the_file_follows_it_home(cluster):
    c = cluster
    size = 100 * 2**20
    c.exec(2, "sh", "-c", f"head -c {size} /dev/urandom > /tmp/data")
    went_home, out = dfsa_run(c, 2)
    # The waits (access), the open, 50 reads of 1 MiB and the create of HALFWAY: all direct.
    assert went_home == 0, f"{went_home} calls went home"
    # Home reopened the file through oMFS under the same number and offset.
    assert out == f"fd 768 bytes {size} fnv {fnv(c, 2, '/tmp/data')}"


def test_without_dfsa_the_same_reads_go_home(cluster):
    c = cluster
    size = 100 * 2**20
    c.exec(3, "sh", "-c", f"head -c {size} /dev/urandom > /tmp/data")
    went_home, out = dfsa_run(c, 3)
    assert went_home >= 50 + 1            # the open and every read of node 3's file
    assert out == f"fd 3 bytes {size} fnv {fnv(c, 3, '/tmp/data')}"


def test_a_file_open_at_home_under_a_dfsa_number_still_goes_home(cluster):
    """fd 800 open at home before the move: DFSA is off for that trip (its numbers are
    taken), so the calls on 800 come home and work; the direct open reads go home too."""
    c = cluster
    c.exec(1, "sh", "-c", "echo held-at-home > /tmp/held")
    c.exec(2, "sh", "-c", f"head -c {10 * 2**20} /dev/urandom > /tmp/data")
    went_home, out = dfsa_run(c, 2, "/tmp/held")
    assert went_home > 0
    lines = out.splitlines()
    assert lines[0] == f"fd 3 bytes {10 * 2**20} fnv {fnv(c, 2, '/tmp/data')}", out
    assert lines[1] == "held held-at-home", out


def test_dup2_of_a_direct_file_onto_stdout_takes_the_process_home(cluster):
    c = cluster
    c.exec(2, "sh", "-c", "rm -f /tmp/go /tmp/out")
    script = ("echo $$ > /tmp/dup.pid; while [ ! -e /mfs/2/tmp/go ]; do sleep 0.1; done; "
              "exec 1>/mfs/here/tmp/out; echo written-after-dup2; echo second line")
    job = start(1, "sh", "-c", script)
    c.wait_for("the shell's pid", lambda: c.exec(1, "cat", "/tmp/dup.pid", check=False).stdout.strip())
    pid = int(c.exec(1, "cat", "/tmp/dup.pid").stdout)
    c.exec(1, BIN / "migrate", pid, 2)
    c.exec(2, "touch", "/tmp/go")
    out, err = job.communicate(timeout=60)
    assert job.returncode == 0, err
    assert c.exec(2, "cat", "/tmp/out").stdout == "written-after-dup2\nsecond line\n"


def test_nomfs_refuses_the_nodes_files_and_turns_dfsa_off(cluster):
    c = cluster
    c.exec(2, BIN / "mosctl", "nomfs")
    try:
        c.wait_for("DFSA off", lambda: "DFSA off" in c.exec(2, BIN / "mosctl", "version").stdout, timeout=10)
        r = c.exec(1, "ls", "/mfs/2/tmp", check=False)
        assert r.returncode != 0 and "Permission denied" in r.stderr
        assert c.exec(1, "ls", "/mfs/3/tmp").returncode == 0
    finally:
        c.exec(2, BIN / "mosctl", "mfs")
    c.wait_for("DFSA back on", lambda: "DFSA on" in c.exec(2, BIN / "mosctl", "version").stdout, timeout=10)
    assert c.exec(1, "ls", "/mfs/2/tmp").returncode == 0


def test_mfstest_of_the_stress_suite_passes(cluster):
    r = cluster.exec(1, BIN / "mfstest", timeout=300)
    assert "mfstest: PASS" in r.stdout, r.stdout + r.stderr


def test_a_node_that_dies_under_a_reader_gives_eio_in_time_and_nothing_else_hangs(cluster):
    c = cluster
    c.exec(2, "sh", "-c", "head -c 200000000 /dev/zero > /tmp/slow")
    reader = ("import errno,os,sys,time\n"
              "fd = os.open('/mfs/2/tmp/slow', os.O_RDONLY)\n"
              "print('open', flush=True)\n"
              "while True:\n"
              "    try:\n"
              "        if not os.read(fd, 1 << 20): print('eof'); break\n"
              "    except OSError as e:\n"
              "        print('error', errno.errorcode[e.errno], flush=True); break\n"
              "    time.sleep(0.02)\n")
    job = start(1, "python3", "-c", reader)
    assert job.stdout.readline().strip() == "open"
    t0 = time.monotonic()
    c.crash(2)
    try:
        out, err = job.communicate(timeout=60)   # never hangs
        waited = time.monotonic() - t0
        assert out.strip() == "error EIO", (out, err)
        # The failure timeout is omxd's down timeout (5 s); a generous bound, not a speed test.
        assert waited < 20, f"EIO after {waited:.1f} s"
        print(f"EIO {waited:.2f} s after node 2 crashed")
        # The mount goes on for the other nodes, and says EIO for the dead one.
        assert c.exec(1, "ls", "/mfs/3/tmp").returncode == 0
        assert c.exec(1, "ls", "/mfs").returncode == 0
        r = c.exec(1, "stat", "/mfs/2/tmp", check=False, timeout=60)
        assert r.returncode != 0
    finally:
        c.revive(2)
    c.wait_for("node 2's oMFS back", lambda: c.exec(1, "ls", "/mfs/2/tmp", check=False).returncode == 0, timeout=60)


def test_mount_fuse_mfs_as_an_fstab_line_would(tmp_path):
    """`mfs_mnt /mfs fuse.mfs dfsa=0 0 0`: mount(8) runs mount.fuse.mfs SOURCE DIR -o OPTS;
    here on nodes whose omxd leaves oMFS alone (--no-mfs)."""
    for c in module_cluster(2, "--omxd-arg=--no-mfs"):
        assert not mounted(c, 1)
        for node in (1, 2):
            c.exec(node, BIN / "mount.fuse.mfs", "mfs_mnt", "/mfs", "-o", "rw,dfsa=0")
        assert "mfs_mnt /mfs fuse.mfs" in c.exec(1, "cat", "/proc/mounts").stdout
        c.exec(2, "sh", "-c", "echo fstab > /tmp/f")
        assert c.exec(1, "cat", "/mfs/2/tmp/f").stdout == "fstab\n"
        assert "oMFS: mounted at /mfs (DFSA off)" in c.exec(1, BIN / "mosctl", "version").stdout
        for node in (1, 2):
            c.exec(node, "umount", "/mfs")
