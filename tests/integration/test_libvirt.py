"""`vcluster up 2 --backend libvirt`: the QEMU nodes as libvirt domains that a user sees and
manages with a plain `virsh` on the host, run by a libvirtd vcluster starts for the cluster
and stops at `down`. Slow (QEMU TCG): run by `make test-qemu`, not by `make test`."""
import os
import re
import shutil
import subprocess
import time

import pytest

from vc import BIN, BUILD, Cluster, run

PROGS = BUILD / "testprogs"

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root (network namespaces, TAP devices, libvirtd)"),
    pytest.mark.skipif(os.environ.get("OMX_VM_TESTS") != "1",
                       reason="VM cluster tests are slow: run them with `make test-qemu`"),
    pytest.mark.skipif(not (shutil.which("libvirtd") or os.path.exists("/usr/sbin/libvirtd"))
                       or not shutil.which("virsh") or not shutil.which("qemu-system-x86_64"),
                       reason="no libvirt or QEMU: apt-get install libvirt-daemon-system libvirt-clients "
                              "qemu-system-x86"),
]


def virsh(*args):
    return subprocess.run(["virsh", "-q", *args], capture_output=True, text=True, timeout=60)


def domains():
    """{name: state} of every domain the host's virsh sees."""
    r = virsh("list", "--all")
    out = {}
    for line in r.stdout.splitlines():
        parts = line.split(None, 2)
        if len(parts) == 3:
            out[parts[1]] = parts[2].strip()
    return out


@pytest.fixture(scope="module")
def cluster():
    if virsh("uri").returncode == 0:
        pytest.skip("a libvirtd already runs on this host (vcluster runs its own for libvirt nodes)")
    c = Cluster(2)
    c.down()
    c.run_dir_existed = os.path.exists("/run/libvirt")
    try:
        c.up("--backend", "libvirt", timeout=600)
        print(f"2 libvirt nodes up and converged in {c.up_seconds:.1f} s")
        yield c
    finally:
        c.down()


def test_virsh_on_the_host_lists_both_nodes_running(cluster):
    assert domains() == {"vcluster-node1": "running", "vcluster-node2": "running"}
    info = virsh("dominfo", "vcluster-node2").stdout
    assert re.search(r"CPU\(s\):\s+1\n", info) and re.search(r"Max memory:\s+262144 KiB", info), info
    assert cluster.exec(2, "hostname").stdout.strip() == "node2"


def test_a_process_migrates_between_the_domains_and_back(cluster):
    c = cluster
    c.hold_placement()
    try:
        ref = c.exec(1, PROGS / "checksum", 30, 150, timeout=120).stdout
        job = subprocess.Popen([str(BUILD / "bin" / "vcluster"), "exec", "1", "sh", "-c",
                                f"{PROGS}/checksum 30 150 > /tmp/ck.out & echo $! > /tmp/ck.pid; wait $!"])
        c.wait_for("the pid file", lambda: c.exec(1, "cat", "/tmp/ck.pid", check=False).stdout.strip(), timeout=30)
        pid = c.exec(1, "cat", "/tmp/ck.pid").stdout.strip()
        c.exec(1, BIN / "migrate", pid, 2)
        assert c.exec(1, BIN / "mosproc", pid, "where").stdout.strip() == "2"
        time.sleep(0.5)
        c.exec(1, BIN / "migrate", pid, "home")
        job.wait(timeout=120)
        got = c.exec(1, "cat", "/tmp/ck.out").stdout
        assert [l.split()[:2] for l in got.splitlines()] == [l.split()[:2] for l in ref.splitlines()]
    finally:
        for node in (1, 2):
            c.control(node, {"cmd": "set", "key": "stay", "value": 0})


def test_crash_shuts_the_domain_off_and_revive_starts_it_again(cluster):
    c = cluster
    c.crash(2)
    assert domains()["vcluster-node2"] == "shut off"
    c.wait_for("node 1 to see node 2 down", lambda: not c.sees_up(1, 2), timeout=60)
    c.revive(2)
    assert domains()["vcluster-node2"] == "running"
    c.wait_for("all converged after the revive", c.all_converged, timeout=240)


def test_down_removes_the_domains_and_the_daemon(cluster):
    cluster.down()
    assert virsh("uri").returncode != 0                    # our libvirtd is gone
    if not cluster.run_dir_existed:
        assert not os.path.exists("/run/libvirt")          # and what it left in /run
    r = subprocess.run(["pgrep", "-f", "guest=vcluster-node"], capture_output=True)
    assert r.returncode == 1                               # no QEMU left
