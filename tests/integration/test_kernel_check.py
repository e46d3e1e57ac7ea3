"""Is this an openMosix kernel? `kernel/check` on this machine, on .config files, and on a
simulated kernel without seccomp — where omxd must refuse to start, in one line."""
import json
import os
import subprocess
import time

import pytest

from vc import BIN, BUILD, REPO

TOOL = BIN / "omx-kernel-check"
CHECK = REPO / "kernel" / "check"
FRAGMENT = REPO / "kernel" / "openmosix.config"
OMXD = BIN / "omxd"
# Runs a program as on a kernel built without seccomp (tests/programs/noseccomp.c).
NOSECCOMP = BUILD / "testprogs" / "noseccomp"
SECCOMP_MISSING = ("missing: seccomp filter (CONFIG_SECCOMP_FILTER), "
                   "seccomp user notification (CONFIG_SECCOMP_FILTER)")

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="omxd and the ptrace probe need root"),
    pytest.mark.skipif(not TOOL.exists(), reason=f"{TOOL} not built"),
]


def run(*args, env=None):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "OMX_BUILD": str(BUILD), **(env or {})})


def rows(stdout):
    """{feature or symbol: (need, state)} of the table."""
    out = {}
    for line in stdout.splitlines()[1:]:
        cols = line.split()
        if len(cols) >= 4 and cols[3] in ("ok", "MISSING"):
            out[cols[1]] = (cols[2], cols[3])
    return out


def fragment_config(drop=()):
    """A .config (x86) setting every symbol of the fragment but `drop`."""
    lines = ["CONFIG_X86=y"]
    for line in FRAGMENT.read_text().splitlines():
        if line.startswith("CONFIG_"):
            sym = line.split("=")[0]
            lines.append(f"# {sym} is not set" if sym in drop else line)
    return "\n".join(lines) + "\n"


def test_kernel_check_passes_on_this_machine():
    r = run(CHECK)
    assert r.returncode == 0, r.stdout + r.stderr
    table = rows(r.stdout)
    assert {"CONFIG_SECCOMP_FILTER", "CONFIG_CROSS_MEMORY_ATTACH", "CONFIG_IP_MULTICAST"} <= set(table)
    assert all(state == "ok" for need, state in table.values() if need == "required"), r.stdout
    assert r.stdout.splitlines()[-1] == "this kernel has everything openMosix requires"


def test_kernel_check_json_names_every_feature():
    r = run(TOOL, "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["ok"] is True
    names = [f["name"] for f in report["features"]]
    assert names[:2] == ["seccomp-filter", "seccomp-user-notif"]
    assert {"pidfd", "ptrace", "net-ns", "cgroup-cpu", "multicast", "fuse"} <= set(names)


def test_kernel_check_is_fast():
    start = time.monotonic()
    assert run(TOOL).returncode == 0
    # The whole process (exec, dynamic linking, probes, output); omxd's in-process check
    # is a fraction of this.
    assert time.monotonic() - start < 0.5


def test_config_without_seccomp_filter_names_it(tmp_path):
    config = tmp_path / "config"
    config.write_text(fragment_config(drop={"CONFIG_SECCOMP_FILTER"}))
    r = run(CHECK, "--config", config)
    assert r.returncode == 1, r.stdout
    assert r.stdout.splitlines()[-1] == "missing: seccomp (CONFIG_SECCOMP_FILTER)"
    assert rows(r.stdout)["CONFIG_SECCOMP_FILTER"] == ("required", "MISSING")


def test_config_with_the_whole_fragment_passes_strictly(tmp_path):
    config = tmp_path / "config"
    config.write_text(fragment_config())
    r = run(TOOL, "--config", config, "--strict")
    assert r.returncode == 0, r.stdout
    assert "CONFIG_HOSTFS" not in r.stdout, "the um group applied to an x86 config"


def test_config_of_the_running_kernel():
    if not any(os.path.exists(p) for p in ("/proc/config.gz", f"/boot/config-{os.uname().release}")):
        pytest.skip("no config of the running kernel")
    r = run(TOOL, "--config")
    assert r.returncode == 0, r.stdout


def test_bad_usage_and_unreadable_config():
    r = run(TOOL, "--frobnicate")
    assert r.returncode == 2 and "Try 'omx-kernel-check --help'" in r.stderr, r.stderr
    assert run(TOOL, "--strict").returncode == 2
    r = run(TOOL, "--config", "/nonexistent/config")
    assert r.returncode == 1
    assert r.stderr == "omx-kernel-check: cannot open /nonexistent/config: No such file or directory\n"


def test_seccompless_kernel_fails_the_check():
    r = run(NOSECCOMP, TOOL)
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout.splitlines()[-1] == SECCOMP_MISSING
    table = rows(r.stdout)
    assert table["CONFIG_SECCOMP_FILTER"] == ("required", "MISSING")
    assert "seccomp(): ENOSYS, prctl(PR_SET_SECCOMP): EINVAL" in r.stdout


def test_omxd_refuses_to_start_on_a_seccompless_kernel(tmp_path):
    r = run(NOSECCOMP, OMXD, "-f", "--run-dir", tmp_path, "--state-dir", tmp_path,
            "--key", tmp_path / "no-key")
    assert r.returncode == 1
    assert r.stderr.splitlines() == [
        "omxd: this kernel lacks seccomp filter (CONFIG_SECCOMP_FILTER), seccomp user notification "
        "(CONFIG_SECCOMP_FILTER); run kernel/check (omx-kernel-check) for details, or start with "
        "--skip-kernel-check"], r.stderr
    assert not (tmp_path / "omxd.pid").exists()


def test_omxd_skip_kernel_check_goes_on_to_the_next_step(tmp_path):
    # Past the kernel check the next thing omxd needs is its key: that error proves it went on.
    r = run(NOSECCOMP, OMXD, "-f", "--skip-kernel-check", "--run-dir", tmp_path, "--state-dir", tmp_path,
            "--key", tmp_path / "no-key")
    assert r.returncode == 1
    assert "this kernel lacks" not in r.stderr and "cannot read cluster key" in r.stderr, r.stderr
