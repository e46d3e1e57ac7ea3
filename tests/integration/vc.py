"""Thin Python wrapper over the `vcluster` CLI, shared by the integration tests and the
benchmarks, so they drive the cluster exactly as a user does."""
import json
import os
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("OMX_BUILD", REPO / "build"))
# What runs inside the nodes: our build, or another arch's (make test-i386: build-i386).
NODE_BUILD = Path(os.environ.get("OMX_NODE_BUILD", BUILD))
BIN = NODE_BUILD / "bin"
VCLUSTER = BUILD / "bin" / "vcluster"
# The kind of nodes every test cluster gets: netns by default; `make test-uml` sets uml.
BACKEND = os.environ.get("VCLUSTER_BACKEND", "netns")

# Sends one control request through the node's own socket, from inside the node.
_CONTROL_CLIENT = r"""
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(20)
s.connect("/run/omxd/control.sock")
s.sendall(sys.argv[1].encode() + b"\n")
buf = b""
while not buf.endswith(b"\n"):
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk
sys.stdout.write(buf.decode())
"""


def run(args, check=True, timeout=120, input=None):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True,
                          check=check, timeout=timeout, input=input)


class Cluster:
    def __init__(self, n):
        self.n = n

    # -- lifecycle -------------------------------------------------------------------
    def up(self, *extra, timeout=120):
        t0 = time.monotonic()
        backend = [] if BACKEND == "netns" or "--backend" in extra else ["--backend", BACKEND]
        r = run([VCLUSTER, "up", self.n, *backend, *extra], timeout=max(timeout, 300 if backend else 0))
        self.up_seconds = time.monotonic() - t0
        return r

    def down(self):
        return run([VCLUSTER, "down"], check=False, timeout=120)

    # -- running things in nodes ------------------------------------------------------
    def exec(self, node, *cmd, check=True, timeout=60, input=None):
        return run([VCLUSTER, "exec", node, *cmd], check=check, timeout=timeout, input=input)

    def sh(self, node, script, check=True, timeout=60):
        return self.exec(node, "sh", "-c", script, check=check, timeout=timeout)

    def control(self, node, request, check=True):
        r = self.exec(node, "/usr/bin/python3", "-c", _CONTROL_CLIENT, json.dumps(request))
        reply = json.loads(r.stdout)
        if check and not reply.get("ok"):
            raise AssertionError(f"node {node}: {request} failed: {reply}")
        return reply

    def hold_placement(self):
        """`mosctl stay` on every node: nothing moves unless a test says so (for tests and
        benchmarks that place processes by hand and must not race the balancer)."""
        for node in range(1, self.n + 1):
            self.control(node, {"cmd": "set", "key": "stay", "value": 1})

    def nodes(self, node):
        return {n["id"]: n for n in self.control(node, {"cmd": "nodes"})["nodes"]}

    def kill(self, node):
        run([VCLUSTER, "kill", node])

    def crash(self, node):
        return run([VCLUSTER, "crash", node])

    def revive(self, node):
        run([VCLUSTER, "revive", node])

    def partition(self, *nodes):
        run([VCLUSTER, "partition", *nodes])

    def heal(self):
        run([VCLUSTER, "heal"])

    def log(self, node):
        return run([VCLUSTER, "logs", node], check=False).stdout

    # -- waiting ----------------------------------------------------------------------
    def wait_for(self, what, predicate, timeout=20.0, period=0.2):
        """Polls predicate() until true; returns seconds waited. Fails naming `what`."""
        t0 = time.monotonic()
        last = None
        while time.monotonic() - t0 < timeout:
            try:
                last = predicate()
                if last:
                    return time.monotonic() - t0
            except (subprocess.CalledProcessError, ValueError, KeyError) as e:
                last = e
            time.sleep(period)
        raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")

    def sees_up(self, observer, target):
        return self.nodes(observer)[target]["up"]

    def all_converged(self, ids=None):
        ids = ids or range(1, self.n + 1)
        for o in ids:
            table = self.nodes(o)
            if not all(table[t]["up"] for t in ids if t in table) or len(table) < len(list(ids)):
                return False
        return True


def module_cluster(n, *up_args):
    """The body of a module-scoped fixture: a fresh n-node cluster for the module, removed
    after it (also when `up` fails). Use: `yield from module_cluster(3, "--cpu", "0.6")`."""
    c = Cluster(n)
    c.down()
    try:
        c.up(*up_args)
        yield c
    finally:
        c.down()
