"""The openMosix tools on a real 4-node cluster: what an administrator types and reads."""
import os
import re
import shutil
import subprocess
import time

import pytest

from vc import BIN, REPO, VCLUSTER, Cluster

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for namespaces"),
    pytest.mark.skipif(not VCLUSTER.exists(), reason=f"{VCLUSTER} not built"),
]

INIT = REPO / "tools" / "init.d" / "openmosix"


@pytest.fixture(scope="module")
def cluster():
    c = Cluster(4)
    c.down()
    try:
        c.up()
        yield c
    finally:
        c.down()


def test_showmap_prints_the_reference_layout(cluster):
    out = cluster.exec(2, "showmap").stdout
    assert out == ("My Node-Id: 0x0002\n"
                   "\n"
                   "Base Node-Id Address          Count\n"
                   "------------ ---------------- -----\n"
                   "0x0001       10.210.0.1       4\n")


def test_setpe_r_prints_the_map(cluster):
    assert cluster.exec(3, "setpe", "-r").stdout == "1 10.210.0.1 4\n"


def test_init_status_text(cluster):
    out = cluster.exec(2, "sh", str(INIT), "status").stdout
    assert out == ("This is openMosix node #2\n"
                   "Network protocol: 2 (AF_INET)\n"
                   "openMosix range 1-4      begins at 10.210.0.1\n"
                   "Total configured: 4\n")


def test_setpe_reports_malformed_line_and_keeps_config(cluster):
    r = cluster.exec(1, "setpe", "-w", "-f", "-", input="1 10.210.0.1 4\n2 10.210.0.2 many\n", check=False)
    assert r.returncode != 0
    assert r.stderr.strip().splitlines() == ["setpe: stdin:2: bad count 'many' (a number or ALIAS)"] or \
        "2: bad count 'many'" in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert cluster.exec(1, "setpe", "-r").stdout == "1 10.210.0.1 4\n"


def test_setpe_without_local_address_gives_openmosix_error(cluster):
    r = cluster.exec(1, "setpe", "-w", "-f", "-", input="1 10.99.0.1 4\n", check=False)
    assert r.returncode != 0
    assert "setpe: the supplied table is well-formatted,\nbut my IP address (10.210.0.1) is not there!" in r.stderr
    assert cluster.exec(1, "setpe", "-r").stdout == "1 10.210.0.1 4\n"


def test_setpe_off_and_back(cluster):
    cluster.exec(4, "setpe", "-off")
    try:
        out = cluster.exec(4, "sh", str(INIT), "status").stdout
        assert "OpenMosix is currently disabled" in out
        cluster.wait_for("node 1 to see node 4 down", lambda: not cluster.sees_up(1, 4), timeout=12)
    finally:
        cluster.exec(4, "setpe", "-w", "-f", "/etc/openmosix.map")
    cluster.wait_for("node 4 back", lambda: cluster.all_converged(), timeout=15)


def test_mosctl_whois(cluster):
    assert cluster.exec(1, "mosctl", "whois").stdout.strip() == "This is openMosix #1"
    assert "#3" in cluster.exec(1, "mosctl", "whois", "10.210.0.3").stdout
    assert "#3" in cluster.exec(1, "mosctl", "whois", "node3").stdout
    assert "10.210.0.3" in cluster.exec(1, "mosctl", "whois", "3").stdout
    assert cluster.exec(1, "mosctl", "whois", "99", check=False).returncode != 0


def test_mosctl_getters_local_and_remote(cluster):
    for verb in ("getload", "getspeed", "getmem", "getfree", "getutil"):
        for args in ((verb,), (verb, "3")):
            out = cluster.exec(1, "mosctl", *args).stdout.strip()
            assert re.fullmatch(r"\d+", out), (args, out)
    assert int(cluster.exec(1, "mosctl", "getmem").stdout) % 4096 == 0
    assert cluster.exec(1, "mosctl", "isup", "2").stdout.strip() == "up"


def test_mosctl_admin_verbs_roundtrip(cluster):
    for on, off, key in (("stay", "nostay", "stay"), ("lstay", "nolstay", "lstay"),
                         ("block", "noblock", "block"), ("quiet", "noquiet", "quiet"),
                         ("nomfs", "mfs", "nomfs")):
        cluster.exec(2, "mosctl", on)
        assert cluster.control(2, {"cmd": "admin"})["admin"][key] is True
        cluster.exec(2, "mosctl", off)
        assert cluster.control(2, {"cmd": "admin"})["admin"][key] is False
    cluster.exec(2, "mosctl", "setdecay", "2", "950", "900")
    assert "950" in cluster.exec(2, "mosctl", "getdecay").stdout
    cluster.exec(2, "mosctl", "setdecay", "1", "975", "926")
    assert cluster.exec(2, "mosctl", "frobnicate", check=False).returncode != 0
    assert cluster.exec(2, "mosctl", "setspeed", "fast", check=False).returncode != 0


def test_mosctl_expel_and_bring_wait_and_succeed(cluster):
    assert cluster.exec(1, "mosctl", "expel").returncode == 0
    assert cluster.exec(1, "mosctl", "bring").returncode == 0


def test_mosmon_once_table(cluster):
    out = cluster.exec(1, "mosmon", "--once").stdout
    for node in range(1, 5):
        assert re.search(rf"^\s*{node}\s", out, re.M), out


def test_tools_say_when_no_daemon(cluster):
    cluster.kill(4)
    try:
        r = cluster.exec(4, "mosmon", "--once", check=False)
        assert r.returncode != 0
        assert "mosmon: This is NOT a openMosix system!" in (r.stdout + r.stderr)
        r = cluster.exec(4, "mosctl", "status", check=False)
        assert r.returncode != 0 and "not running" in r.stderr
    finally:
        cluster.revive(4)
    cluster.wait_for("node 4 back", lambda: cluster.all_converged(), timeout=15)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux not installed")
def test_mosmon_interactive_under_tmux(cluster):
    session = f"mosmon{os.getpid()}"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "30",
                    str(VCLUSTER), "exec", "1", "mosmon"], check=True)
    try:
        time.sleep(2)
        screens = {}
        for key in ("l", "s", "m", "u", "t"):
            subprocess.run(["tmux", "send-keys", "-t", session, key], check=True)
            time.sleep(1.2)
            screens[key] = subprocess.run(["tmux", "capture-pane", "-p", "-t", session],
                                          capture_output=True, text=True, check=True).stdout
        assert all(screens.values())
        assert screens["l"] != screens["s"] and screens["s"] != screens["m"]
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True)
        time.sleep(1)
        alive = subprocess.run(["tmux", "has-session", "-t", session], capture_output=True)
        assert alive.returncode != 0, "mosmon did not quit on q"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


MTOP_HEADER = re.compile(r"^mtop - \d\d:\d\d:\d\d  (\d+) process(?:es)?, (\d+) away, load average: \S+$")


def mtop_rows(out):
    """{pid: (node, %cpu, command)} of one `mtop -b -n 1` refresh, checking its layout."""
    lines = out.splitlines()
    assert MTOP_HEADER.match(lines[0]), out
    assert lines[1] == "", out
    assert lines[2].split() == ["PID", "USER", "NODE", "STAT", "%CPU", "%MEM", "TIME", "COMMAND"], out
    rows = {}
    for line in lines[3:]:
        f = line.split(None, 7)
        rows[int(f[0])] = (int(f[2]), float(f[4]), f[7])
    assert int(MTOP_HEADER.match(lines[0]).group(1)) == len(rows), out
    cpus = [cpu for _, cpu, _ in rows.values()]
    assert cpus == sorted(cpus, reverse=True), out  # busiest first
    return rows


def test_mtop_batch_shows_the_busy_process_here(cluster):
    # Output to /dev/null so that the exec returns while the loop keeps running in node 1.
    # nomig: the balancer would otherwise send the loop to an idle node within seconds.
    pid = int(cluster.sh(1, "nomig sh -c 'while :; do :; done' >/dev/null 2>&1 & echo $!").stdout)
    try:
        out = cluster.exec(1, "mtop", "-b", "-n", "1").stdout
        rows = mtop_rows(out)
        assert pid in rows, out
        node, cpu, command = rows[pid]
        assert node == 0 and cpu > 20 and "while" in command, rows[pid]

        out = cluster.exec(1, "mtop", "-b", "-n", "1", "-p", str(pid)).stdout
        assert list(mtop_rows(out)) == [pid], out
        assert re.search(r" 1 process, 0 away, ", out.splitlines()[0]), out
    finally:
        cluster.exec(1, "kill", str(pid), check=False)


def test_mtop_rejects_a_zero_delay(cluster):
    r = cluster.exec(1, "mtop", "-d", "0", check=False)
    assert r.returncode == 2
    assert r.stdout == ""
    # One error line; run_tool adds the usual pointer to --help under it, as for every tool.
    lines = r.stderr.splitlines()
    assert lines[0] == "mtop: bad delay '0' (seconds, more than 0 and at most 86400)", r.stderr
    assert lines[1:] == ["Try 'mtop --help' for more information."], r.stderr


@pytest.mark.parametrize("tool", ["migmask", "migrate", "mosctl", "mosmon", "mosproc", "mosrun", "mps", "mtop",
                                  "omxd", "omxmig", "setpe", "showmap", "vcluster", "omx-deputy", "omx-remote",
                                  "eatmem", "forkit", "distkeygen", "portfolio", "mfstest", "syscalls", "moving",
                                  "acceptance", "omx-agent", "omx-stress", "omx-report",
                                  "omx-kernel-check", "vcluster-guestd", "omx-mfs"])
def test_every_tool_has_help_and_a_man_page(tool):
    r = subprocess.run([str(BIN / tool), "--help"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and "Usage" in r.stdout + r.stderr, (r.stdout, r.stderr)
    assert list((REPO / "docs" / "man").glob(f"{tool}.[18]")), f"no man page for {tool}"
