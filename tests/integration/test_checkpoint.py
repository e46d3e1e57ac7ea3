"""The migration engine's checkpoint and restore on one machine (omxmig): a process frozen,
written out, killed and rebuilt in another process goes on exactly where it was."""
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from vc import BIN, BUILD

PROGS = BUILD / "testprogs"
OMXMIG = BIN / "omxmig"

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root to trace processes that are not our children"),
    pytest.mark.skipif(not OMXMIG.exists(), reason=f"{OMXMIG} not built"),
]


def omxmig(*args, check=True):
    return subprocess.run([str(OMXMIG), *map(str, args)], capture_output=True, text=True, check=check, timeout=120)


def reference(prog, *args):
    return subprocess.run([str(PROGS / prog), *map(str, args)], capture_output=True, text=True,
                          check=True, timeout=120).stdout


def start(prog, *args, out):
    return subprocess.Popen([str(PROGS / prog), *map(str, args)], stdout=out, stderr=subprocess.PIPE)


def restorers():
    """Restorer stubs alive now (a test checks only for the ones it made)."""
    return set(subprocess.run(["pgrep", "-x", "omx-restorer"], capture_output=True, text=True).stdout.split())


def wait_lines(path, n, timeout=20):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if len(path.read_text().splitlines()) >= n:
            return
        time.sleep(0.02)
    raise AssertionError(f"{path} never reached {n} lines")


@pytest.mark.parametrize("prog", ["checksum", "checksum-static"])
def test_killed_and_restored_process_prints_the_same_sequence(tmp_path, prog):
    before, image = tmp_path / "before", tmp_path / "image"
    with before.open("w") as out:
        p = start(prog, 40, 30, out=out)
        wait_lines(before, 8)
        r = omxmig("-v", "dump", p.pid, image, "--kill")
        assert p.wait(timeout=10) == -9
    assert "frozen" in r.stderr
    r = omxmig("restore", image)
    assert r.returncode == 0, r.stderr
    assert before.read_text() + r.stdout == reference(prog, 40, 30)


def test_a_restored_process_can_be_checkpointed_again(tmp_path):
    """Three hops, as a process migrated to node 2, node 3 and home."""
    expected = reference("checksum", 45, 20)
    printed = ""
    first = tmp_path / "hop0"
    with first.open("w") as out:
        p = start("checksum", 45, 20, out=out)
        wait_lines(first, 5)
        omxmig("dump", p.pid, tmp_path / "img0", "--kill")
        p.wait(timeout=10)
    printed += first.read_text()
    for hop in range(1, 4):
        out_path = tmp_path / f"hop{hop}"
        with out_path.open("w") as out:
            runner = subprocess.Popen([str(OMXMIG), "restore", str(tmp_path / f"img{hop - 1}")], stdout=out)
            if hop < 3:
                wait_lines(out_path, 5)
                restored = [c for c in Path(f"/proc/{runner.pid}/task/{runner.pid}/children").read_text().split()]
                assert len(restored) == 1
                omxmig("dump", restored[0], tmp_path / f"img{hop}", "--kill")
            assert runner.wait(timeout=60) == (128 + 9 if hop < 3 else 0)
        printed += out_path.read_text()
    assert printed == expected


def test_dump_without_kill_leaves_the_process_undisturbed(tmp_path):
    out_path = tmp_path / "out"
    with out_path.open("w") as out:
        p = start("checksum-static", 30, 20, out=out)
        for i in range(3):
            wait_lines(out_path, 5 + 5 * i)
            omxmig("dump", p.pid, tmp_path / f"img{i}")
        assert p.wait(timeout=60) == 0
    assert out_path.read_text() == reference("checksum-static", 30, 20)


def test_large_heap_arrives_intact(tmp_path):
    before = tmp_path / "before"
    with before.open("w") as out:
        p = start("memhog", 64, 4, 50, out=out)
        wait_lines(before, 2)
        omxmig("dump", p.pid, tmp_path / "img", "--kill")
        p.wait(timeout=10)
    r = omxmig("restore", tmp_path / "img")
    assert r.returncode == 0
    lines = (before.read_text() + r.stdout).splitlines()
    assert lines == reference("memhog", 64, 4, 50).splitlines()


@pytest.mark.parametrize("prog,reason", [("threads", "clone_vm"), ("shm", "mem_lock")])
def test_processes_that_cannot_move_say_why_and_keep_running(tmp_path, prog, reason):
    p = subprocess.Popen([str(PROGS / prog), "2"], stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.3)
        assert omxmig("cantmove", p.pid).stdout.strip() == reason
        r = omxmig("dump", p.pid, tmp_path / "img", check=False)
        assert r.returncode == 3 and reason in r.stderr
        assert not (tmp_path / "img").exists()
        out, _ = p.communicate(timeout=20)
        assert p.returncode == 0 and "done" in out
    finally:
        p.kill()


def test_corrupt_or_truncated_images_are_refused_and_leave_nothing(tmp_path):
    stubs_before = restorers()
    before = tmp_path / "before"
    with before.open("w") as out:
        p = start("checksum", 100, 20, out=out)
        wait_lines(before, 2)
        omxmig("dump", p.pid, tmp_path / "img", "--kill")
        p.wait(timeout=10)
    good = (tmp_path / "img").read_bytes()
    cases = {
        "truncated": good[: len(good) // 2],
        "no end": good[:-12],
        "bad magic": good[:12] + b"X" + good[13:],
        "bad frame": good[:-12] + b"\x09" + good[-11:],
        "empty": b"",
    }
    for name, data in cases.items():
        bad = tmp_path / name.replace(" ", "_")
        bad.write_bytes(data)
        r = omxmig("restore", bad, check=False)
        assert r.returncode == 1, (name, r)
        assert r.stderr.startswith("omxmig: ") and len(r.stderr.strip().splitlines()) == 1, (name, r.stderr)
    assert restorers() - stubs_before == set(), "a refused image must not leave its restorer behind"


# ---- omxmig away: the process leaves its body (the husk) and its calls are forwarded home

@pytest.mark.parametrize("prog", ["checksum", "checksum-static"])
def test_a_process_away_from_its_body_prints_through_the_husk(tmp_path, prog):
    """Its stdout is a file only the husk has open: every line must still arrive there."""
    out_path = tmp_path / "out"
    with out_path.open("w") as out:
        p = start(prog, 30, 20, out=out)
        wait_lines(out_path, 3)
        r = omxmig("-v", "away", p.pid)
        assert p.wait(timeout=30) == 0
    assert "calls forwarded home" in r.stderr
    assert out_path.read_text() == reference(prog, 30, 20)


def test_away_keeps_home_identity_and_exit_status(tmp_path):
    out_path = tmp_path / "out"
    with out_path.open("w") as out:
        p = start("identity", 20, 30, 7, out=out)
        wait_lines(out_path, 3)
        omxmig("away", p.pid)
        assert p.wait(timeout=30) == 7, "the parent must see the remote exit status"
    lines = out_path.read_text().splitlines()
    assert len(lines) == 20
    assert all(l.split()[1:] == ["pid", str(p.pid), "ppid", str(os.getpid())] for l in lines), lines


def test_away_refuses_a_process_that_cannot_move(tmp_path):
    p = subprocess.Popen([str(PROGS / "threads"), "2"], stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.3)
        r = omxmig("away", p.pid, check=False)
        assert r.returncode == 3 and "clone_vm" in r.stderr
        out, _ = p.communicate(timeout=20)
        assert p.returncode == 0 and "done" in out
    finally:
        p.kill()



def _rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def test_signals_sent_home_reach_the_process_and_its_body_is_released(tmp_path):
    stubs_before = restorers()
    out_path = tmp_path / "out"
    with out_path.open("w") as out:
        p = start("checksum", 1000, 20, out=out)
        wait_lines(out_path, 3)
        rss_before = _rss_kib(p.pid)
        away = subprocess.Popen([str(OMXMIG), "-v", "away", str(p.pid)], stderr=subprocess.PIPE, text=True)
        t0 = time.monotonic()
        while not restorers() - stubs_before and time.monotonic() - t0 < 10:
            time.sleep(0.02)
        n = len(out_path.read_text().splitlines())
        wait_lines(out_path, n + 3)   # it runs away...
        assert _rss_kib(p.pid) < min(rss_before, 1024), "the husk must give its memory back"
        p.terminate()                 # ...and SIGTERM sent to the home PID reaches it
        assert p.wait(timeout=10) == -15
        _, err = away.communicate(timeout=10)
    assert "1 signals passed on" in err
    assert restorers() - stubs_before == set()


def test_killing_the_home_process_kills_the_remote_one(tmp_path):
    stubs_before = restorers()
    out_path = tmp_path / "out"
    with out_path.open("w") as out:
        p = start("checksum", 1000, 20, out=out)
        wait_lines(out_path, 3)
        away = subprocess.Popen([str(OMXMIG), "-v", "away", str(p.pid)], stderr=subprocess.PIPE, text=True)
        n = len(out_path.read_text().splitlines())
        wait_lines(out_path, n + 3)
        p.kill()
        assert p.wait(timeout=10) == -9
        _, err = away.communicate(timeout=10)
    assert "killed at home" in err
    assert restorers() - stubs_before == set()


def test_a_dying_deputy_takes_the_process_with_it_and_leaves_nothing(tmp_path):
    """Neither half may run on alone: the body without its mind, or the mind without its body."""
    stubs_before = restorers()
    out_path = tmp_path / "out"
    with out_path.open("w") as out:
        p = start("checksum", 1000, 20, out=out)
        wait_lines(out_path, 3)
        away = subprocess.Popen([str(OMXMIG), "away", str(p.pid)])
        n = len(out_path.read_text().splitlines())
        wait_lines(out_path, n + 3)
        away.kill()
        away.wait(timeout=10)
        assert p.wait(timeout=10) == -9
    t0 = time.monotonic()
    while restorers() - stubs_before and time.monotonic() - t0 < 5:
        time.sleep(0.05)
    assert restorers() - stubs_before == set()


def test_fd_numbers_that_change_meaning_at_home_are_followed(tmp_path):
    """The deputy's fd copies must follow close/open at home: no line in the wrong file."""
    first, second = tmp_path / "first", tmp_path / "second"
    with first.open("w") as out:
        p = start("reopen", second, 60, 30, out=out)
        wait_lines(first, 5)
        r = omxmig("-v", "away", p.pid)
        assert p.wait(timeout=30) == 0
    assert "on fd copies" in r.stderr and not re.search(r"\(0 on fd copies\)", r.stderr), r.stderr
    assert first.read_text() == "".join(f"line {i}\n" for i in range(30))
    assert second.read_text() == "".join(f"line {i}\n" for i in range(30, 60))
