"""Transparent migration between the nodes of a netns cluster: `migrate`, `mosrun`,
`mosproc`, expel/bring, failures at every point. Each node is a real network namespace
with its own omxd; processes move over TCP 4660 and their calls come home to the deputy."""
import os
import re
import subprocess
import time

import pytest

from vc import BIN, BUILD, VCLUSTER, Cluster

PROGS = BUILD / "testprogs"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces and ptrace")


@pytest.fixture(scope="module")
def cluster():
    c = Cluster(3)
    c.down()
    try:
        c.up()
        c.hold_placement()   # the processes here go where the tests send them, nowhere else
        yield c
    finally:
        c.down()


def tool(c, node, *args, check=True):
    return c.exec(node, BIN / args[0], *args[1:], check=check, timeout=120)


def where(c, pid, node=1):
    return int(tool(c, node, "mosproc", pid, "where").stdout)


def start(c, node, script):
    """Runs `script` in the node in the background of the test (it may outlive one exec)."""
    return subprocess.Popen([str(VCLUSTER), "exec", str(node), "sh", "-c", script],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def pid_in(c, node, path, timeout=10):
    c.wait_for(f"{path} in node {node}", lambda: c.exec(node, "cat", path, check=False).stdout.strip(), timeout)
    return int(c.exec(node, "cat", path).stdout)


def alive(c, node, pid):
    return c.exec(node, "kill", "-0", pid, check=False).returncode == 0


def guests(c, node):
    return c.control(node, {"cmd": "processes"})["guests"]


def test_busy_loop_goes_away_and_home_five_times_and_dies_of_sigterm_at_home(cluster):
    c = cluster
    job = start(c, 1, f"{PROGS}/busyloop & echo $! > /tmp/busy.pid; wait $!; echo $? > /tmp/busy.status")
    pid = pid_in(c, 1, "/tmp/busy.pid")
    for _ in range(5):
        tool(c, 1, "migrate", pid, 2)
        assert where(c, pid) == 2
        assert [g["home_pid"] for g in guests(c, 2)] == [pid]
        tool(c, 1, "migrate", pid, "home")
        assert where(c, pid) == 0
        assert alive(c, 1, pid)
    assert int(tool(c, 1, "mosproc", pid, "nmigs").stdout) == 10
    tool(c, 1, "migrate", pid, 2)
    mps = tool(c, 1, "mps", pid).stdout.splitlines()[1].split()
    assert mps[0] == str(pid) and mps[2] == "2"                      # PID TTY NODE ...
    top = tool(c, 1, "mtop", "-b", "-n", "1", "-p", pid).stdout.splitlines()
    row = [line.split() for line in top if line.split()[:1] == [str(pid)]]
    assert len(row) == 1 and row[0][2] == "2"                        # PID USER NODE ...
    c.exec(1, "kill", "-TERM", pid)
    job.wait(timeout=30)
    assert c.exec(1, "cat", "/tmp/busy.status").stdout.strip() == "143"   # the parent's wait saw SIGTERM
    c.wait_for("the remote part on node 2 to end", lambda: guests(c, 2) == [], timeout=10)


@pytest.mark.parametrize("prog", ["checksum", "checksum-static"])
def test_state_survives_trips_to_two_nodes_and_home(cluster, prog):
    c = cluster
    ref = c.exec(1, PROGS / prog, 30, 60).stdout
    job = start(c, 1, f"{PROGS}/{prog} 30 60 > /tmp/{prog}.out & echo $! > /tmp/{prog}.pid; wait $!")
    pid = pid_in(c, 1, f"/tmp/{prog}.pid")
    for target in (2, 3, "home"):
        time.sleep(0.4)
        tool(c, 1, "migrate", pid, target)
    job.wait(timeout=60)
    got = c.exec(1, "cat", f"/tmp/{prog}.out").stdout

    def seq(text):
        return [line.split()[:2] for line in text.splitlines()]
    assert seq(got) == seq(ref)


def test_readv_and_writev_while_away(cluster):
    c = cluster
    ref = c.exec(1, PROGS / "vectored", 40, 50, "/tmp/vec.ref").stdout
    job = start(c, 1, f"{PROGS}/vectored 40 50 /tmp/vec.s > /tmp/vec.out & echo $! > /tmp/vec.pid; wait $!; echo $? > /tmp/vec.status")
    pid = pid_in(c, 1, "/tmp/vec.pid")
    tool(c, 1, "migrate", pid, 2)
    time.sleep(0.5)
    tool(c, 1, "migrate", pid, "home")
    job.wait(timeout=60)
    assert c.exec(1, "cat", "/tmp/vec.status").stdout.strip() == "0"
    assert c.exec(1, "cat", "/tmp/vec.out").stdout == ref


ECHO_SERVER = """
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 7007)); s.listen(1)
c, _ = s.accept()
while True:
    b = c.recv(4096)
    if not b: break
    c.sendall(b.upper())
"""
ECHO_CLIENT = """
import socket, time
s = socket.create_connection(("127.0.0.1", 7007))
for i in range(60):
    s.sendall(b"line %d\\n" % i)
    got = b""
    while not got.endswith(b"\\n"): got += s.recv(4096)
    print(got.decode().strip(), flush=True)
    time.sleep(0.05)
"""


def test_tcp_client_keeps_its_connection_home(cluster):
    c = cluster
    start(c, 1, f"python3 -c '{ECHO_SERVER}' & wait")
    time.sleep(0.5)
    job = start(c, 1, f"python3 -c '{ECHO_CLIENT}' > /tmp/tcp.out & echo $! > /tmp/tcp.pid; wait $!; echo $? > /tmp/tcp.status")
    pid = pid_in(c, 1, "/tmp/tcp.pid")
    c.wait_for("the client to talk", lambda: len(c.exec(1, "cat", "/tmp/tcp.out").stdout.splitlines()) >= 3)
    tool(c, 1, "migrate", pid, 2)   # the socket stays home with the husk
    time.sleep(0.6)
    tool(c, 1, "migrate", pid, "home")
    job.wait(timeout=60)
    assert c.exec(1, "cat", "/tmp/tcp.status").stdout.strip() == "0"
    assert c.exec(1, "cat", "/tmp/tcp.out").stdout.splitlines() == [f"LINE {i}" for i in range(60)]


UDP_ECHO_SERVER = """
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 7008))
while True:
    data, peer = s.recvfrom(4096)
    s.sendto(data.upper(), peer)
"""
UDP_MSG_CLIENT = """
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(60):
    s.sendmsg([b"dgram ", b"%d" % i], [], 0, ("127.0.0.1", 7008))
    data, anc, flags, peer = s.recvmsg(4096)
    print(data.decode(), peer[1], flags, flush=True)
    time.sleep(0.05)
"""


def test_sendmsg_and_recvmsg_while_away(cluster):
    c = cluster
    start(c, 1, f"python3 -c '{UDP_ECHO_SERVER}' & wait")
    time.sleep(0.5)
    job = start(c, 1, f"python3 -c '{UDP_MSG_CLIENT}' > /tmp/udp.out & echo $! > /tmp/udp.pid; wait $!; echo $? > /tmp/udp.status")
    pid = pid_in(c, 1, "/tmp/udp.pid")
    c.wait_for("the client to talk", lambda: len(c.exec(1, "cat", "/tmp/udp.out").stdout.splitlines()) >= 3)
    tool(c, 1, "migrate", pid, 2)
    c.wait_for("more datagrams from node 2", lambda: len(c.exec(1, "cat", "/tmp/udp.out").stdout.splitlines()) >= 30)
    assert where(c, pid) == 2   # sendmsg/recvmsg were served at home, not by bringing it back
    job.wait(timeout=60)
    assert c.exec(1, "cat", "/tmp/udp.status").stdout.strip() == "0"
    assert c.exec(1, "cat", "/tmp/udp.out").stdout.splitlines() == [f"DGRAM {i} 7008 0" for i in range(60)]
    c.exec(1, "pkill", "-f", "7008", check=False)


def test_pipe_program_keeps_talking_while_either_side_is_away(cluster):
    c = cluster
    job = start(c, 1, f"{PROGS}/pipe 40 50 > /tmp/pipe.out & echo $! > /tmp/pipe.pid; wait $!; echo $? > /tmp/pipe.status")
    parent = pid_in(c, 1, "/tmp/pipe.pid")
    c.wait_for("the reader child", lambda: c.exec(1, "pgrep", "-P", parent, check=False).stdout.strip())
    child = int(c.exec(1, "pgrep", "-P", parent).stdout.split()[0])
    tool(c, 1, "migrate", child, 2)      # the reader away, blocked reading a pipe at home
    time.sleep(0.4)
    tool(c, 1, "migrate", parent, 3)     # the writer away too
    time.sleep(0.4)
    tool(c, 1, "migrate", child, "home")
    job.wait(timeout=60)
    assert c.exec(1, "cat", "/tmp/pipe.status").stdout.strip() == "0"
    out = c.exec(1, "cat", "/tmp/pipe.out").stdout.splitlines()
    assert out == [f"got {i} sum {i * (i + 1) // 2}" for i in range(1, 41)]


def test_shell_moved_while_waiting_runs_its_next_commands_there(cluster):
    c = cluster
    script = "sleep 1; echo hi from $$; ls -d /usr; echo done"
    job = start(c, 1, f"sh -c '{script}' > /tmp/fork.out & echo $! > /tmp/fork.pid; wait $!; echo $? > /tmp/fork.status")
    pid = pid_in(c, 1, "/tmp/fork.pid")
    tool(c, 1, "migrate", pid, 2)   # while it waits for sleep
    job.wait(timeout=30)
    assert c.exec(1, "cat", "/tmp/fork.out").stdout.splitlines() == [f"hi from {pid}", "/usr", "done"]
    assert c.exec(1, "cat", "/tmp/fork.status").stdout.strip() == "0"
    log = c.log(1)
    assert f"process {pid} forked on node 2" in log            # ls: forked and exec'd on node 2
    assert f"process {pid} is home" not in log


@pytest.mark.parametrize("prog", ["forker", "forker-static"])
def test_fork_while_away_makes_children_there_with_husks_at_home(cluster, prog):
    c = cluster
    c.exec(1, "rm", "-f", "/tmp/go")
    job = start(c, 1, f"{PROGS}/{prog} /tmp/go 2 1500 > /tmp/forker.out & echo $! > /tmp/forker.pid; wait $!; echo $? > /tmp/forker.status")
    pid = pid_in(c, 1, "/tmp/forker.pid")
    tool(c, 1, "migrate", pid, 2)
    c.exec(1, "touch", "/tmp/go")
    c.wait_for("two children", lambda: len(c.exec(1, "pgrep", "-P", pid, check=False).stdout.split()) == 2)
    kids = sorted(int(k) for k in c.exec(1, "pgrep", "-P", pid).stdout.split())
    for kid in kids:   # born on node 2, each with its husk and deputy at home
        c.wait_for(f"child {kid} on node 2", lambda: where(c, kid) == 2, timeout=10)
    assert where(c, pid) == 2                      # the parent did not come home to fork
    assert sorted(g["home_pid"] for g in guests(c, 2)) == sorted([pid] + kids)
    job.wait(timeout=60)
    assert c.exec(1, "cat", "/tmp/forker.status").stdout.strip() == "0"
    out = c.exec(1, "cat", "/tmp/forker.out").stdout.splitlines()
    checksum = out[0].split()[-1]
    children = [line.split() for line in out if line.startswith("child ")]
    assert sorted((int(w[3]), int(w[5]), w[7]) for w in children) == [(k, pid, checksum) for k in kids]
    assert sorted(int(line.split()[1]) for line in out if line.startswith("forked ")) == kids
    reaped = sorted((int(line.split()[1]), int(line.split()[3])) for line in out if line.startswith("reaped "))
    by_index = {int(w[3]): 10 + int(w[1]) for w in children}
    assert reaped == sorted(by_index.items())
    c.wait_for("no guests left on node 2", lambda: guests(c, 2) == [], timeout=10)


def run_execer(c, prog, target=None, spin_ms=2500):
    c.exec(1, "rm", "-f", "/tmp/go")
    extra = f" {target}" if target else ""
    job = start(c, 1, f"{PROGS}/{prog} wait /tmp/go {spin_ms}{extra} > /tmp/execer.out & echo $! > /tmp/execer.pid; "
                      "wait $!; echo $? > /tmp/execer.status")
    pid = pid_in(c, 1, "/tmp/execer.pid")
    tool(c, 1, "migrate", pid, 2)
    c.exec(1, "touch", "/tmp/go")
    c.wait_for("the exec", lambda: "after exec" in c.exec(1, "cat", "/tmp/execer.out").stdout, timeout=20)
    here = where(c, pid)
    away = [a for a in c.control(1, {"cmd": "processes"})["away"] if a["pid"] == pid]
    job.wait(timeout=60)
    out = c.exec(1, "cat", "/tmp/execer.out").stdout.splitlines()
    assert c.exec(1, "cat", "/tmp/execer.status").stdout.strip() == "42"
    return pid, here, away, out


@pytest.mark.parametrize("prog", ["execer", "execer-static"])
def test_exec_while_away_runs_the_new_program_there(cluster, prog):
    c = cluster
    pid, here, away, out = run_execer(c, prog)
    assert here == 2                                    # it did not come home to exec
    assert away and "check" in away[0]["command"]       # mps shows the new command line
    fd_line = out[1].split()
    assert out[0] == f"execer {pid} ready"
    assert fd_line[:4] == ["after", "exec", "pid", str(pid)]
    assert fd_line[6] == "closed" and fd_line[9] == "open"   # close-on-exec honoured at home
    assert out[2] == "done"


def test_exec_of_a_setuid_program_goes_home(cluster):
    """Away, the process has no_new_privs (its filter needs it): su would run unprivileged."""
    c = cluster
    before = len(re.findall(r"of node 1 goes home for execve", c.log(2)))
    job = start(c, 1, "sh -c 'sleep 1; /bin/su --version' > /tmp/su.out & echo $! > /tmp/su.pid; wait $!; echo $? > /tmp/su.status")
    pid = pid_in(c, 1, "/tmp/su.pid")
    tool(c, 1, "migrate", pid, 2)
    job.wait(timeout=30)
    assert c.exec(1, "cat", "/tmp/su.status").stdout.strip() == "0"
    assert "su from util-linux" in c.exec(1, "cat", "/tmp/su.out").stdout
    assert len(re.findall(r"of node 1 goes home for execve", c.log(2))) == before + 1


def test_exec_of_a_file_that_differs_on_the_node_runs_at_home(cluster):
    c = cluster
    c.exec(1, "cp", PROGS / "execer", "/tmp/xprog")          # each node has its own /tmp:
    c.exec(2, "cp", PROGS / "execer-static", "/tmp/xprog")   # the same name, another file
    pid, here, away, out = run_execer(c, "execer", "/tmp/xprog")
    assert here == 0
    assert out[1].split()[3] == str(pid) and out[2] == "done"
    assert "exec of /tmp/xprog goes home: /tmp/xprog differs between home and node 2" in c.log(2)


def process_state(c, node, pid):
    stat = c.exec(node, "cat", f"/proc/{pid}/stat").stdout
    return stat[stat.rindex(")") + 2]


def test_job_control_of_an_away_process_is_seen_by_its_parent(cluster):
    c = cluster
    c.exec(1, "rm", "-f", "/tmp/jc.go")
    job = start(c, 1, f"{PROGS}/jobctl /tmp/jc.go {PROGS}/busyloop > /tmp/jc.out")
    c.wait_for("the child", lambda: c.exec(1, "cat", "/tmp/jc.out").stdout.startswith("child "))
    child = int(c.exec(1, "cat", "/tmp/jc.out").stdout.split()[1])
    tool(c, 1, "migrate", child, 2)
    remote = [g["pid"] for g in guests(c, 2) if g["home_pid"] == child][0]

    def step(expect):
        c.exec(1, "touch", "/tmp/jc.go")
        c.wait_for(expect, lambda: expect in c.exec(1, "cat", "/tmp/jc.out").stdout, timeout=10)

    step("stopped 20")                                     # SIGTSTP: the parent's wait saw it stop
    assert process_state(c, 2, remote) == "T"              # and it really stopped where it runs
    step("continued")
    c.wait_for("it to run again on node 2", lambda: process_state(c, 2, remote) in "RS")
    assert where(c, child) == 2
    step("ended signal 15")
    job.wait(timeout=30)


def test_a_stop_the_kernel_would_drop_at_home_does_not_stop_it_away(cluster):
    """SIGTSTP to a process whose group is orphaned does nothing (kernel rule): also away."""
    c = cluster
    start(c, 1, f"setsid sh -c '{PROGS}/busyloop & echo $! > /tmp/orphan.pid; wait'")
    pid = pid_in(c, 1, "/tmp/orphan.pid")
    tool(c, 1, "migrate", pid, 2)
    remote = [g["pid"] for g in guests(c, 2) if g["home_pid"] == pid][0]
    c.exec(1, "kill", "-TSTP", pid)
    time.sleep(1.0)
    assert process_state(c, 2, remote) == "R"   # stopped there for an instant at most
    assert where(c, pid) == 2
    c.exec(1, "kill", "-TERM", pid)
    c.wait_for("the guest to go", lambda: guests(c, 2) == [], timeout=10)


def test_terminal_job_control_of_an_away_foreground_job(cluster):
    """Ctrl-Z, bg, fg and Ctrl-C in an interactive bash, on a job that runs on node 2."""
    c = cluster
    session = f"jobs{os.getpid()}"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "30",
                    str(VCLUSTER), "exec", "1", "bash", "--norc", "--noprofile"], check=True)

    def screen():
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout

    def keys(*k):
        subprocess.run(["tmux", "send-keys", "-t", session, *k], check=True)
    try:
        keys("PS1='$ '", "Enter")
        keys(f"{PROGS}/spin 1000000 1000000", "Enter")
        c.wait_for("the job", lambda: c.exec(1, "pgrep", "-x", "spin", check=False).stdout.strip())
        pid = int(c.exec(1, "pgrep", "-x", "spin").stdout.split()[0])
        tool(c, 1, "migrate", pid, 2)
        remote = [g["pid"] for g in guests(c, 2) if g["home_pid"] == pid][0]
        assert c.exec(2, "cat", f"/proc/{remote}/comm").stdout.strip() == "spin"
        keys("C-z")
        c.wait_for("bash to see the job stopped", lambda: "Stopped" in screen(), timeout=10)
        assert process_state(c, 2, remote) == "T"
        keys("bg", "Enter")
        c.wait_for("the job to run in the background on node 2", lambda: process_state(c, 2, remote) in "RS")
        keys("fg", "Enter")
        time.sleep(0.5)
        keys("C-c")
        c.wait_for("the job to end", lambda: not alive(c, 1, pid), timeout=10)
        keys("echo status=$?", "Enter")
        c.wait_for("bash to report the status", lambda: "status=130" in screen(), timeout=10)
        c.wait_for("the remote part to end", lambda: guests(c, 2) == [], timeout=10)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


SCRIPTS = {
    "python3": "import time\nx = 1\nfor i in range(60):\n    for j in range(20000): x = (x * 1103515245 + 12345) % 2147483648\n"
               "    print(i, x, flush=True)\n    time.sleep(0.05)\n",
    "perl": "$| = 1; my $x = 1; for my $i (0..59) { for (1..20000) { $x = ($x * 1103515245 + 12345) % 2147483648 } "
            "print \"$i $x\\n\"; select(undef, undef, undef, 0.05) }\n",
}


@pytest.mark.parametrize("lang", sorted(SCRIPTS))
def test_scripts_keep_their_state_across_nodes(cluster, lang):
    c = cluster
    c.exec(1, "sh", "-c", f"cat > /tmp/script.{lang}", input=SCRIPTS[lang])
    ref = c.exec(1, lang, f"/tmp/script.{lang}").stdout
    job = start(c, 1, f"{lang} /tmp/script.{lang} > /tmp/{lang}.out & echo $! > /tmp/{lang}.pid; wait $!; echo $? > /tmp/{lang}.status")
    pid = pid_in(c, 1, f"/tmp/{lang}.pid")
    c.wait_for("it to start printing", lambda: len(c.exec(1, "cat", f"/tmp/{lang}.out").stdout.splitlines()) >= 3)
    tool(c, 1, "migrate", pid, 2)
    time.sleep(0.3)
    tool(c, 1, "migrate", pid, 3)
    job.wait(timeout=60)
    assert c.exec(1, "cat", f"/tmp/{lang}.out").stdout == ref
    assert c.exec(1, "cat", f"/tmp/{lang}.status").stdout.strip() == "0"


def test_threads_and_shm_never_leave_and_say_why(cluster):
    c = cluster
    for prog, word in (("threads", "clone_vm"), ("shm", "mem_lock")):
        start(c, 1, f"{PROGS}/{prog} > /dev/null & echo $! > /tmp/{prog}.pid; wait")
        pid = pid_in(c, 1, f"/tmp/{prog}.pid")
        time.sleep(0.3)
        assert tool(c, 1, "mosproc", pid, "cantmove").stdout.strip() == word
        r = tool(c, 1, "migrate", pid, 2, check=False)
        assert r.returncode != 0 and word in r.stderr and r.stderr.count("\n") == 1
        assert alive(c, 1, pid) and where(c, pid) == 0
        c.exec(1, "kill", "-9", pid)


def test_bad_requests_are_one_clear_line(cluster):
    c = cluster
    start(c, 1, f"{PROGS}/busyloop & echo $! > /tmp/bad.pid; wait")
    pid = pid_in(c, 1, "/tmp/bad.pid")
    cases = [
        ((pid, 9), "no openMosix node #9"),
        ((999999, 2), "no process 999999"),
        ((pid, "x"), "bad node 'x'"),
    ]
    for args, text in cases:
        r = tool(c, 1, "migrate", *args, check=False)
        assert r.returncode != 0 and text in r.stderr and r.stderr.count("\n") == 1, r.stderr
    r = c.exec(1, "setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
               BIN / "migrate", pid, 2, check=False)
    assert r.returncode != 0 and f"process {pid} is not yours" in r.stderr
    tool(c, 2, "mosctl", "block")
    try:
        c.wait_for("node 1 to see node 2 blocked", lambda: c.nodes(1)[2]["block"], timeout=10)
        r = tool(c, 1, "migrate", pid, 2, check=False)
        assert r.returncode != 0 and "blocked" in r.stderr
    finally:
        tool(c, 2, "mosctl", "noblock")
        c.wait_for("node 1 to see node 2 open again", lambda: not c.nodes(1)[2]["block"], timeout=10)
    assert alive(c, 1, pid) and where(c, pid) == 0
    tool(c, 1, "mosproc", pid, "lock", 1)
    r = tool(c, 1, "migrate", pid, 3, check=False)
    assert r.returncode != 0 and "locked" in r.stderr
    c.exec(1, "kill", "-9", pid)


def test_mosrun_starts_on_the_node_asked_and_keeps_exit_status(cluster):
    c = cluster
    assert c.exec(1, BIN / "mosrun", "sh", "-c", "exit 7", check=False).returncode == 7
    start(c, 1, f"{BIN}/mosrun -2 {PROGS}/busyloop & echo $! > /tmp/mr.pid; wait")
    pid = pid_in(c, 1, "/tmp/mr.pid")
    c.wait_for("the job to start on node 2", lambda: where(c, pid) == 2, timeout=10)
    c.exec(1, "kill", "-9", pid)
    start(c, 1, f"{BIN}/nomig {PROGS}/busyloop & echo $! > /tmp/nm.pid; wait")
    pid = pid_in(c, 1, "/tmp/nm.pid")
    c.wait_for("the lock", lambda: tool(c, 1, "mosproc", pid, "lock").stdout.strip() == "1")
    assert tool(c, 1, "migrate", pid, 2, check=False).returncode != 0
    c.exec(1, "kill", "-9", pid)


def test_awk_jobs_of_a_mosrun_shell_migrate_and_finish_normally(cluster):
    c = cluster
    awk = "awk 'BEGIN {for(i=0;i<8000;i++)for(j=0;j<8000;j++);}'"
    job = start(c, 1, f"{BIN}/mosrun bash -c \"{awk} & p=\\$!; {awk} & q=\\$!; wait \\$p; a=\\$?; wait \\$q; "
                      f"echo \\$a \\$? > /tmp/awk.status\"")
    c.wait_for("two awks", lambda: len(c.exec(1, "pgrep", "-x", "awk", check=False).stdout.split()) == 2)
    pids = c.exec(1, "pgrep", "-x", "awk").stdout.split()
    for pid, node in zip(pids, (2, 3)):
        tool(c, 1, "migrate", pid, node)
    job.wait(timeout=120)
    assert c.exec(1, "cat", "/tmp/awk.status").stdout.split() == ["0", "0"]


def test_expel_sends_guests_home_and_bring_brings_them(cluster):
    c = cluster
    start(c, 1, f"{PROGS}/busyloop & echo $! > /tmp/ex.pid; wait")
    pid = pid_in(c, 1, "/tmp/ex.pid")
    tool(c, 1, "migrate", pid, 2)
    header, line = tool(c, 1, "mps", pid).stdout.splitlines()
    assert header.split()[:3] == ["PID", "TTY", "NODE"] and line.split()[:3] == [str(pid), "?", "2"]
    assert line.split()[-1] == f"{PROGS}/busyloop"   # its command line, though the husk's memory is gone
    tool(c, 2, "mosctl", "expel")
    assert where(c, pid) == 0 and guests(c, 2) == []
    tool(c, 1, "migrate", pid, 3)
    tool(c, 1, "mosctl", "bring")
    assert where(c, pid) == 0 and alive(c, 1, pid)
    c.exec(1, "kill", "-9", pid)


def test_target_lost_mid_transfer_leaves_the_process_at_home(cluster):
    c = cluster
    start(c, 1, f"{PROGS}/memhog 1024 1000000 200 > /tmp/hog.out & echo $! > /tmp/hog.pid; wait")
    pid = pid_in(c, 1, "/tmp/hog.pid")
    c.wait_for("memhog ready", lambda: "ready" in c.exec(1, "cat", "/tmp/hog.out").stdout, timeout=60)
    mig = subprocess.Popen([str(VCLUSTER), "exec", "1", str(BIN / "migrate"), str(pid), "3"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    c.exec(3, "pkill", "-9", "omx-remote", check=False)
    _, err = mig.communicate(timeout=60)
    assert mig.returncode != 0 and "stays home" in err
    assert alive(c, 1, pid) and where(c, pid) == 0
    lines = len(c.exec(1, "cat", "/tmp/hog.out").stdout.splitlines())
    c.wait_for("memhog to go on", lambda: len(c.exec(1, "cat", "/tmp/hog.out").stdout.splitlines()) > lines + 2)
    c.exec(1, "kill", "-9", pid)


def test_omxd_crash_on_the_target_does_not_touch_its_guest(cluster):
    c = cluster
    start(c, 1, f"{PROGS}/checksum 400 50 > /tmp/crash.out & echo $! > /tmp/crash.pid; wait")
    pid = pid_in(c, 1, "/tmp/crash.pid")
    tool(c, 1, "migrate", pid, 2)
    c.kill(2)   # omxd only: the remote part and the process are not omxd's to lose
    try:
        time.sleep(0.5)
        assert where(c, pid) == 2
        lines = len(c.exec(1, "cat", "/tmp/crash.out").stdout.splitlines())
        c.wait_for("output to go on", lambda: len(c.exec(1, "cat", "/tmp/crash.out").stdout.splitlines()) > lines + 3)
    finally:
        c.revive(2)
        c.wait_for("the cluster to converge again", c.all_converged, timeout=20)
    # The new omxd on node 2 learns of its guest from the remote part, which reports back.
    c.wait_for("the remote part to report back", lambda: [g["home_pid"] for g in guests(c, 2)] == [pid])
    assert alive(c, 1, pid)
    c.exec(1, "kill", "-9", pid)
    c.wait_for("the guest on node 2 to go", lambda: guests(c, 2) == [], timeout=10)


def cpu_seconds(c, node, pid):
    fields = c.exec(node, "cat", f"/proc/{pid}/stat").stdout.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_omxd_crash_at_home_leaves_the_away_process_quiet_and_its_deputy_reports_back(cluster):
    c = cluster
    start(c, 1, f"{PROGS}/checksum 60 50 > /tmp/hc.out & echo $! > /tmp/hc.pid; wait")
    pid = pid_in(c, 1, "/tmp/hc.pid")
    tool(c, 1, "migrate", pid, 2)
    deputy = int(c.exec(1, "pgrep", "-f", f"omx-deputy --pid {pid} ").stdout.split()[0])
    c.kill(1)
    try:
        before = cpu_seconds(c, 1, deputy)
        lines = len(c.exec(1, "cat", "/tmp/hc.out").stdout.splitlines())
        time.sleep(1.0)
        assert cpu_seconds(c, 1, deputy) - before < 0.3   # serves on, does not spin
        assert len(c.exec(1, "cat", "/tmp/hc.out").stdout.splitlines()) > lines + 5
    finally:
        c.revive(1)
        c.wait_for("the cluster to converge again", c.all_converged, timeout=20)
    # The new omxd learns of the away process from its deputy, which reports back.
    c.wait_for("the deputy to report back", lambda: where(c, pid) == 2, timeout=10)
    assert f"the deputy of process {pid} (on node 2) reported back" in c.log(1)
    mps = tool(c, 1, "mps", pid).stdout.splitlines()[1].split()
    assert mps[0] == str(pid) and mps[2] == "2" and "checksum" in mps[5]
    tool(c, 1, "migrate", pid, "home")
    assert where(c, pid) == 0 and alive(c, 1, pid)
    c.exec(1, "kill", "-9", pid)
    c.wait_for("the guest on node 2 to go", lambda: guests(c, 2) == [], timeout=10)


def test_node_lost_after_arrival_kills_the_process_at_home(cluster):
    c = cluster
    job = start(c, 1, f"{PROGS}/busyloop & echo $! > /tmp/lost.pid; wait $!; echo $? > /tmp/lost.status")
    pid = pid_in(c, 1, "/tmp/lost.pid")
    tool(c, 1, "migrate", pid, 3)
    t0 = time.monotonic()
    c.partition(3)
    try:
        job.wait(timeout=30)
        lost_after = time.monotonic() - t0
        assert lost_after < 12, lost_after
        assert c.exec(1, "cat", "/tmp/lost.status").stdout.strip() == "137"   # SIGKILL, as openMosix did
        assert re.search(rf"node 3 running process {pid} was lost", c.log(1))
        # On the lost node, the orphan is gone too: nothing runs without its home.
        c.wait_for("the orphan on node 3 to be killed", lambda: guests(c, 3) == [], timeout=15)
    finally:
        c.heal()
        c.wait_for("the cluster to converge again", c.all_converged, timeout=20)
