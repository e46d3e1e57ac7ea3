"""The stress programs on a netns cluster: started on node 1, their workers spread by the
balancer, and every worker's result checked by the program itself (PASS line, exit 0);
the migration programs (syscalls, moving, acceptance) move processes round the cluster and
compare what they see with home; mfstest skips (77) without oMFS."""
import os
import re

import pytest

from vc import BIN, module_cluster

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces and ptrace")


@pytest.fixture(scope="module")
def cluster():
    yield from module_cluster(3, "--cpu", "0.6")


@pytest.mark.parametrize("prog,args", [
    ("forkit", ["-l", "30000000"]),
    ("eatmem", ["-l", "30000000"]),
    ("distkeygen", ["-k", "240"]),
    ("portfolio", ["-n", "3000"]),
])
def test_program_passes_while_its_workers_migrate(cluster, prog, args):
    r = cluster.exec(1, BIN / prog, *args, check=False, timeout=300)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert re.search(rf"^{prog}: PASS ", r.stdout, re.M), r.stdout
    # Its workers used the cluster: default process counts follow the cluster's CPUs.
    workers = len(re.findall(r"^worker \d+:|^\d+\s+[\d.]+", r.stdout, re.M))
    assert workers >= 3, r.stdout


def test_a_bad_option_is_one_clear_line(cluster):
    r = cluster.exec(1, BIN / "distkeygen", "--bits", "12", check=False)
    assert r.returncode == 2 and "--bits" in r.stderr


# -- the migration programs: syscalls, moving, mfstest, acceptance -----------------------

# Differences syscalls finds between a process at home and the same process away, caused
# by the migration layer (hpc/mig), not by the test. Until they are fixed a run that fails
# with one of these symptoms is an expected failure; any other failure fails.
KNOWN_MIGRATION_BUGS = {
    r"forkexec differs in round \d+ on node \d+.*: got 'fork child signal 9 \(Killed\)":
        "a child forked away that exits at once is sometimes killed: its remote part fails with "
        "'open /proc/N/mem: No such process' (a Tracee of the ended process) and home sees the node lost",
    r"signals differs in round \d+ on node \d+.*handled only after the call returned":
        "a signal a migrated process sends itself (kill(getpid())) reaches it only after kill "
        "returned (POSIX: before), and a blocked one is pending only later",
}


def xfail_if_known_migration_bug(r):
    for symptom, reason in KNOWN_MIGRATION_BUGS.items():
        if r.returncode == 1 and re.search(symptom, r.stdout):
            pytest.xfail(reason)


def syscalls_table_nodes(stdout):
    """The nodes syscalls' table says its groups ran on (a group that came home shows 2>1)."""
    nodes = set()
    for m in re.finditer(r"^\d+\s+(\d+)(?:>(\d+))?\s+\w+\s+(?:ok|FAIL)\b", stdout, re.M):
        nodes.update(int(n) for n in m.groups() if n)
    return nodes


def test_syscalls_groups_give_home_results_on_every_node(cluster):
    r = cluster.exec(1, BIN / "syscalls", "--rounds", "3", "--groups", "files,pipes,time,identity",
                     check=False, timeout=120)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert re.search(r"^syscalls: PASS 4 groups x 3 rounds equal to home's; moved 3 times", r.stdout, re.M), r.stdout
    assert syscalls_table_nodes(r.stdout) == {1, 2, 3}, r.stdout    # home, then 2, 3 and home again


def test_syscalls_full_set_under_migration(cluster):
    r = cluster.exec(1, BIN / "syscalls", "--rounds", "3", check=False, timeout=120)
    xfail_if_known_migration_bug(r)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert re.search(r"^syscalls: PASS 6 groups x 3 rounds equal to home's; moved 3 times", r.stdout, re.M), r.stdout
    assert {2, 3} <= syscalls_table_nodes(r.stdout), r.stdout


def moves_made(stdout):
    return re.findall(r"^move \d+ at [\d.]+ s: node (\d) -> node (\d): moved", stdout, re.M)


def test_moving_carries_a_stress_program_round_the_cluster(cluster):
    r = cluster.exec(1, BIN / "moving", "--interval", "2", "--", "eatmem", "-p", "1", "-l", "100000000",
                     check=False, timeout=180)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert re.search(r"^moving: PASS the command exited 0; ", r.stdout, re.M), r.stdout
    assert re.search(r"^eatmem: PASS ", r.stdout, re.M), r.stdout
    moved = moves_made(r.stdout)
    assert len(moved) >= 2 and all(a != b for a, b in moved), r.stdout
    assert moved[0] == ("1", "2") and moved[1] == ("2", "3"), r.stdout   # round-robin


# A shell waiting for its child is blocked in a forwarded wait4 at home: a move of it waits
# until the child ends, and then the move on to the next node may fail to trace it.
KNOWN_MOVING_BUGS = {
    r"failed +process \d+ stays home: cannot trace process \d+: Operation not permitted":
        "a shell brought home from its node to go on to the next one cannot be traced (EPERM)",
}


def test_moving_carries_a_shell_driving_the_suite(cluster):
    """The HOWTO's use: the suite's driver script moved round the cluster while it runs."""
    suite = "eatmem -p 1 -l 30000000 && forkit -p 2 -l 20000000 && eatmem -p 1 -l 30000000"
    r = cluster.exec(1, BIN / "moving", "--interval", "2", "--", "sh", "-c", suite, check=False, timeout=180)
    for symptom, reason in KNOWN_MOVING_BUGS.items():
        if r.returncode == 1 and re.search(symptom, r.stdout, re.M):
            pytest.xfail(reason)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert len(re.findall(r"^(eatmem|forkit): PASS ", r.stdout, re.M)) == 3, r.stdout
    assert len(moves_made(r.stdout)) >= 1, r.stdout


def test_moving_fails_with_its_command_and_says_how(cluster):
    r = cluster.exec(1, BIN / "moving", "--interval", "1", "--", "sh", "-c", "sleep 2.5; exit 3",
                     check=False, timeout=60)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert re.search(r"^moving: FAIL the command ended with exit 3; ", r.stdout, re.M), r.stdout


def test_acceptance_set_passes(cluster):
    r = cluster.exec(1, BIN / "acceptance", "--wait", "60", check=False, timeout=300)
    assert r.returncode == 0, (r.stdout, r.stderr)
    for letter, name in (("a", "busyloop"), ("b", "shmget"), ("c", "pipe"), ("d", "pthreads"), ("e", "awk")):
        assert re.search(rf"^\[{letter}\] {name}\s+PASS\s", r.stdout, re.M), r.stdout
    assert re.search(r"^acceptance: PASS 5 passed, 0 skipped", r.stdout, re.M), r.stdout


def test_without_omxd_acceptance_skips_and_syscalls_stays_home(cluster):
    no_omxd = ("env", "OMX_CONTROL_SOCKET=/nonexistent/control.sock")
    r = cluster.exec(1, *no_omxd, BIN / "acceptance", check=False)
    assert r.returncode == 77 and r.stdout.splitlines()[-1].startswith("acceptance: SKIP omxd is not running"), r.stdout
    r = cluster.exec(1, *no_omxd, BIN / "syscalls", "--rounds", "1", check=False)
    assert r.returncode == 0 and "omxd is not running: no moves" in r.stdout, r.stdout


def test_mfstest_skips_without_omfs(cluster):
    # omxd mounts oMFS on every node: a mount namespace of the test's own goes without it.
    r = cluster.exec(1, "unshare", "-m", "sh", "-c", f"umount -l /mfs && exec {BIN / 'mfstest'}", check=False)
    assert r.returncode == 77, (r.stdout, r.stderr)
    assert r.stdout.splitlines() == [
        "oMFS is not mounted at /mfs! oMFS-test will be disabled.",
        "Please mount oMFS before running this openMosix-test",
        "mfstest: SKIP oMFS is not mounted at /mfs",
    ]


def test_mfstest_copies_through_a_tree_laid_out_like_omfs(cluster):
    """A bind mount of plain directories named like oMFS's (home, 1, 2, 3) stands in for it."""
    cluster.sh(1, "mkdir -p /tmp/fakemfs/home/tmp /tmp/fakemfs/1/tmp /tmp/fakemfs/2/tmp /tmp/fakemfs/3/tmp"
                  " && mount --bind /tmp/fakemfs /tmp/fakemfs")
    try:
        r = cluster.exec(1, BIN / "mfstest", "--mfs", "/tmp/fakemfs", "--size", "2MiB", check=False)
    finally:
        cluster.sh(1, "umount /tmp/fakemfs", check=False)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert len(re.findall(r"^node [123] +(there|back) +2097152 bytes .*sha256 ok$", r.stdout, re.M)) == 6, r.stdout
    assert cluster.sh(1, "find /tmp/fakemfs -type f").stdout == ""
