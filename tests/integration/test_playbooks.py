"""playbooks/ against the virtual cluster, the way they drive a real rack: `vcluster up 4 --bare
--sshd` gives four fresh machines with sshd, site.yml installs, configures and starts
openMosix over ssh, stress.yml runs a suite and brings the reports back, stop.yml stops it.
Also `vcluster proxy` (the ssh ProxyCommand into the nodes) and `vcluster inventory`."""
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from vc import REPO, VCLUSTER

# A cluster of its own, so a developer's `make vcluster` (at /run/vcluster) is left alone.
STATE_DIR = "/run/vcluster-playbooks"
PLAYBOOKS = REPO / "playbooks"
N = 4

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces"),
    pytest.mark.skipif(not VCLUSTER.exists(), reason=f"{VCLUSTER} not built"),
    pytest.mark.skipif(shutil.which("ansible-playbook") is None,
                       reason="ansible is not installed (apt-get install ansible)"),
    pytest.mark.skipif(not Path("/usr/sbin/sshd").exists(),
                       reason="sshd is not installed (apt-get install openssh-server)"),
]

# Serves one echo per connection: everything read goes back, and the end of input (the
# proxy's half-close) ends the answer.
ECHO_SERVER = r"""
import socket, threading
srv = socket.create_server(("10.210.0.2", 7777))
def echo(c):
    with c:
        while data := c.recv(65536):
            c.sendall(data)
        c.shutdown(socket.SHUT_WR)
while True:
    threading.Thread(target=echo, args=(srv.accept()[0],), daemon=True).start()
"""


def env():
    return {**os.environ, "VCLUSTER_DIR": STATE_DIR, "ANSIBLE_CONFIG": str(PLAYBOOKS / "ansible.cfg"),
            "ANSIBLE_NOCOLOR": "1"}


def vcluster(*args, check=True, timeout=120, input=None, text=True):
    return subprocess.run([str(VCLUSTER), *map(str, args)], capture_output=True, text=text, check=check,
                          timeout=timeout, input=input, env=env())


def ansible(*cmd, timeout=600):
    """Runs an ansible command from playbooks/ (its ansible.cfg); returns (result, seconds)."""
    t0 = time.monotonic()
    r = subprocess.run([*map(str, cmd)], capture_output=True, text=True, timeout=timeout, env=env(),
                       cwd=PLAYBOOKS)
    seconds = time.monotonic() - t0
    print(f"\n{' '.join(map(str, cmd[:1] + cmd[-1:]))}: {seconds:.1f} s")
    failures = "\n".join(l for l in r.stdout.splitlines() if "fatal:" in l or "UNREACHABLE" in l)
    assert r.returncode == 0, f"{cmd} failed ({r.returncode}):\n{failures}\n{r.stdout[-3000:]}\n{r.stderr[-2000:]}"
    return r, seconds


def status():
    return json.loads(vcluster("status", "--json", check=False).stdout)


@pytest.fixture(scope="module")
def inventory():
    vcluster("down", check=False)
    try:
        r = vcluster("up", N, "--bare", "--sshd")
        assert f"cluster of {N} bare nodes up in" in r.stdout, r.stdout
        yield Path(STATE_DIR) / "inventory.ini"
    finally:
        vcluster("down", check=False)


def test_bare_nodes_have_sshd_and_nothing_of_openmosix(inventory):
    s = status()
    assert [n["daemon_running"] for n in s["nodes"]] == [False] * N
    r = vcluster("exec", 3, "sh", "-c", "ls /etc/openmosix.map /etc/openmosix/cluster.key 2>&1; hostname", check=False)
    assert r.stdout.count("No such file") == 2 and "node3" in r.stdout, r.stdout


def test_inventory_is_what_ansible_reads(inventory):
    text = vcluster("inventory").stdout
    assert text == inventory.read_text()
    r, _ = ansible("ansible-inventory", "-i", inventory, "--list")
    inv = json.loads(r.stdout)
    assert sorted(inv["openmosix"]["hosts"]) == [f"node{i}" for i in range(1, N + 1)]
    assert inv["omx_controller"]["hosts"] == ["node1"]
    node2 = inv["_meta"]["hostvars"]["node2"]
    assert node2["ansible_host"] == "10.210.0.2" and node2["omx_node_id"] == 2
    assert node2["omx_prefix"] == "/var/lib/omxd/prefix"
    assert f"{os.path.realpath(VCLUSTER)} proxy %h 22" in node2["ansible_ssh_common_args"]


def test_proxy_carries_both_ways_and_half_closes(inventory):
    vcluster("exec", 2, "sh", "-c", 'nohup python3 -c "$0" >/dev/null 2>&1 &', ECHO_SERVER)
    payload = b"".join(b"%d\n" % i for i in range(300000))   # ~2 MB: both ways at once
    deadline = time.monotonic() + 10
    while True:   # until the server listens
        r = vcluster("proxy", "10.210.0.2", 7777, input=b"ping\n", text=False, check=False)
        if r.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert r.returncode == 0 and r.stdout == b"ping\n", r
    r = vcluster("proxy", "node2", 7777, input=payload, text=False)
    assert r.stdout == payload


def test_proxy_errors_are_one_line(inventory):
    r = vcluster("proxy", 3, 7778, input="", check=False)
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "10.210.0.3:7778" in r.stderr, r.stderr
    r = vcluster("proxy", "10.210.0.9", 22, input="", check=False)
    assert r.returncode == 2 and "not a node of this cluster" in r.stderr, r.stderr


def test_ansible_reaches_every_node(inventory):
    r, _ = ansible("ansible", "-i", inventory, "all", "-m", "ping")
    assert r.stdout.count("SUCCESS") == N, r.stdout


def test_site_installs_configures_and_starts_the_cluster(inventory):
    ansible("ansible-playbook", "-i", inventory, "site.yml")
    s = status()
    assert s["converged"], s
    assert [n["sees_up"] for n in s["nodes"]] == [N] * N
    # Installed under the node's own prefix (not the host's /usr/local), from the inventory.
    r = vcluster("exec", 4, "sh", "-c", "cat /etc/openmosix.map; ls /var/lib/omxd/prefix/bin/omxd; "
                 "stat -c %a /etc/openmosix/cluster.key")
    assert "4 10.210.0.4 1" in r.stdout and r.stdout.split()[-1] == "600", r.stdout
    assert not Path("/var/lib/omxd/prefix").exists(), "the host's /var/lib/omxd must stay untouched"


def test_stress_brings_back_the_four_reports(inventory, tmp_path):
    suite = tmp_path / "suite.json"
    suite.write_text(json.dumps({"name": "playbooks smoke suite", "timeout": 300, "tests": [
        {"name": "distkeygen", "command": ["distkeygen", "--keys", "16", "--bits", "1024"], "timeout": 120},
        {"name": "portfolio", "command": ["portfolio", "--portfolios", "200", "--months", "12"], "timeout": 120},
    ]}))
    reports = tmp_path / "reports"
    ansible("ansible-playbook", "-i", inventory, "stress.yml",
            "-e", f"omx_stress_suite={suite}", "-e", f"omx_stress_reports_dir={reports}")
    results = json.loads((reports / "results.json").read_text())
    assert results["stats"]["passed"] == 2 and results["stats"]["failed"] == 0, results["stats"]
    assert "<html" in (reports / "report.html").read_text().lower()
    assert (reports / "junit.xml").exists()
    assert len(list(reports.glob("openMosix-stress-test-report-*.txt"))) == 1


def test_stop_stops_every_daemon(inventory):
    ansible("ansible-playbook", "-i", inventory, "stop.yml")
    s = status()
    assert [n["daemon_running"] for n in s["nodes"]] == [False] * N, s
    for node in range(1, N + 1):
        assert vcluster("exec", node, "pgrep", "-x", "omx-agent", check=False).returncode == 1
