"""The stress programs on a netns cluster: started on node 1, their workers spread by the
balancer, and every worker's result checked by the program itself (PASS line, exit 0)."""
import os
import re

import pytest

from vc import BIN, Cluster

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces and ptrace")


@pytest.fixture(scope="module")
def cluster():
    c = Cluster(3)
    c.down()
    try:
        c.up("--cpu", "0.6")
        yield c
    finally:
        c.down()


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
