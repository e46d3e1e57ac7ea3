"""vcluster itself: what a developer does with it, and that `down` leaves the machine as it was."""
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from vc import VCLUSTER, Cluster, run

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for namespaces"),
    pytest.mark.skipif(not VCLUSTER.exists(), reason=f"{VCLUSTER} not built"),
]


def machine_snapshot():
    """Everything vcluster could leave behind on the host."""
    def sh(cmd):
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout
    cgroups = sorted(str(p) for p in Path("/sys/fs/cgroup").glob("**/vcluster*"))
    # Zombies are left out: a dead holder is reaped by the host's init, in its own time.
    procs = sorted(comm for stat, comm in (l.split() for l in sh("ps -eo stat=,comm=").splitlines())
                   if not stat.startswith("Z") and (comm.startswith("vcluster-") or comm in ("omxd", "omdiscd")))
    return {
        "links": sh("ip -o link show | cut -d: -f2"),
        "addresses": sh("ip -o addr show | awk '{print $2, $4}'"),
        "routes": sh("ip route show"),
        "netns": sh("ip netns list"),
        "mounts": sorted(l.split()[4] for l in Path("/proc/self/mountinfo").read_text().splitlines()),
        "processes": procs,
        "cgroups": cgroups,
        "state": Path("/run/vcluster").exists(),
        "var_lib_omxd": Path("/var/lib/omxd").exists(),
    }


def test_up_and_down_twice_leave_the_machine_as_it_was():
    c = Cluster(4)
    c.down()
    before = machine_snapshot()
    for _ in range(2):
        r = c.up()
        assert "cluster of 4 nodes up in" in r.stdout
        assert re.search(r"^4\s+10\.210\.0\.4\s+running .* 4/4 up", r.stdout, re.M), r.stdout
        during = machine_snapshot()
        assert during["processes"].count("omxd") == 4
        assert during["links"] == before["links"], "node links must not appear on the host"
        assert c.down().returncode == 0
        assert machine_snapshot() == before
    assert "no cluster is up" in c.down().stdout   # idempotent


@pytest.fixture(scope="module")
def cluster():
    c = Cluster(3)
    c.down()
    try:
        c.up("--cpu", "0.5", "--mem", "512")
        yield c
    finally:
        c.down()


def test_nodes_are_separate_hosts(cluster):
    assert cluster.exec(2, "hostname").stdout.strip() == "node2"
    assert "10.210.0.2/24" in cluster.exec(2, "ip", "-o", "addr", "show", "eth0").stdout
    assert cluster.exec(3, "cat", "/etc/openmosix.map").stdout.splitlines()[-1] == "1 10.210.0.1 3"
    # Each node has its own PID namespace (PID 1 is its holder) and its own /tmp.
    assert cluster.exec(1, "cat", "/proc/1/comm").stdout.strip() == "vcluster-node1"
    cluster.exec(1, "sh", "-c", "echo one > /tmp/marker")
    assert cluster.exec(2, "test", "-e", "/tmp/marker", check=False).returncode == 1
    # Nodes reach each other by name, and nothing else (the host is not on their bridge).
    assert cluster.exec(1, "ping", "-c1", "-W2", "node3").returncode == 0


def test_exec_passes_stdin_exit_status_and_options(cluster):
    assert cluster.exec(1, "cat", input="through stdin\n").stdout == "through stdin\n"
    assert cluster.exec(2, "sh", "-c", "exit 7", check=False).returncode == 7
    assert cluster.exec(2, "ls", "-d", "/").stdout.strip() == "/"
    r = cluster.exec(2, "no-such-command-here", check=False)
    assert r.returncode == 127 and "cannot run no-such-command-here" in r.stderr
    r = cluster.exec(2, "sh", "-c", "kill -TERM $$", check=False)
    assert r.returncode == 128 + 15


def test_cpu_share_is_enforced_and_adjustable(cluster):
    def quota(node):
        return cluster.exec(node, "sh", "-c",
                            "cat /sys/fs/cgroup/cpu$(grep -E '[:,]cpu[,:]' /proc/self/cgroup | "
                            "head -1 | cut -d: -f3)/cpu.cfs_quota_us 2>/dev/null || "
                            "cut -d' ' -f1 /sys/fs/cgroup$(grep '^0::' /proc/self/cgroup | cut -d: -f3)/cpu.max").stdout.strip()
    assert quota(1) == "50000"
    run([VCLUSTER, "slow", "1", "0.25"])
    assert quota(1) == "25000"
    run([VCLUSTER, "slow", "1", "0.5"])
    assert quota(1) == "50000"
    assert run([VCLUSTER, "slow", "1", "fast"], check=False).returncode == 2


def test_status_json_and_logs(cluster):
    r = run([VCLUSTER, "status", "--json"])
    s = json.loads(r.stdout)
    assert s["size"] == 3 and s["converged"] and s["backend"] == "netns"
    assert [n["self"]["id"] for n in s["nodes"]] == [1, 2, 3]
    assert all(n["cpu_share"] == 0.5 for n in s["nodes"])
    # The memory limit is what each daemon reports as the node's total memory (pages).
    assert all(n["self"]["tmem"] == 512 * 256 for n in s["nodes"]), s["nodes"]
    assert "running: node #2" in run([VCLUSTER, "logs", "2"]).stdout


def test_errors_name_the_problem(cluster):
    r = run([VCLUSTER, "up", "3"], check=False)
    assert r.returncode == 1 and "already up" in r.stderr
    r = run([VCLUSTER, "exec", "9", "true"], check=False)
    assert r.returncode == 2 and "no node '9': the cluster has nodes 1..3" in r.stderr
    r = run([VCLUSTER, "kill", "0"], check=False)
    assert r.returncode == 2
    r = run([VCLUSTER, "frobnicate"], check=False)
    assert r.returncode != 0


def test_kill_then_status_shows_the_stopped_daemon(cluster):
    cluster.kill(3)
    try:
        r = run([VCLUSTER, "status"], check=False)
        assert r.returncode == 3
        assert re.search(r"^3\s+10\.210\.0\.3\s+stopped", r.stdout, re.M), r.stdout
        r = run([VCLUSTER, "kill", "3"], check=False)
        assert r.returncode == 1 and "omxd is not running on node 3" in r.stderr
    finally:
        cluster.revive(3)
    cluster.wait_for("node 3 back", lambda: cluster.all_converged(), timeout=15)


def test_partition_of_two_nodes_splits_the_cluster():
    c = Cluster(4)
    c.down()
    try:
        c.up("--omxd-arg=--down-timeout", "--omxd-arg=3")
        c.partition(1, 2)
        c.wait_for("the two halves to split",
                   lambda: [c.sees_up(1, i) for i in (2, 3, 4)] == [True, False, False]
                   and [c.sees_up(4, i) for i in (1, 2, 3)] == [False, False, True], timeout=10)
        c.heal()
        c.wait_for("reconverge", lambda: c.all_converged(), timeout=15)
    finally:
        c.down()


def test_a_build_and_state_under_tmp_work_and_clusters_coexist(tmp_path_factory):
    """CI clones often live under /tmp, which every node replaces by its own /tmp."""
    base = Path("/tmp") / f"vcluster-test-{os.getpid()}"
    shutil.rmtree(base, ignore_errors=True)
    shutil.copytree(VCLUSTER.parent, base / "bin", symlinks=True)
    env = dict(os.environ, VCLUSTER_DIR=str(base / "state"))
    vc = [str(base / "bin" / "vcluster")]
    try:
        r = subprocess.run(vc + ["up", "2"], env=env, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        r = subprocess.run(vc + ["exec", "2", "sh", "-c", "command -v mosctl; mosctl whois; ls /tmp"],
                           env=env, capture_output=True, text=True, timeout=60)
        assert r.stdout.splitlines()[:2] == [str(base / "bin" / "mosctl"), "This is openMosix #2"], r
    finally:
        r = subprocess.run(vc + ["down"], env=env, capture_output=True, text=True, timeout=120)
        shutil.rmtree(base, ignore_errors=True)
    assert r.returncode == 0, r.stderr
    assert not list(Path("/sys/fs/cgroup").glob("*/vcluster-*")), "its cgroups must be gone"
