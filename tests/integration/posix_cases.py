"""A pjdfstest-like POSIX subset: runs every case against a base directory and prints a
JSON list of [case, outcome]. Outcomes hold return values, errno names and stat fields
(type, permission bits, nlink, size, uid, gid), whether mtime/ctime changed, and times set
explicitly; never absolute "now" times, inode or device numbers, nor the base path. So the
list from a local directory must equal the list from the same kind of directory seen
through oMFS (test_mfs_posix.py compares node 2's /tmp with /mfs/2/tmp from node 1).

    python3 posix_cases.py BASE [CASE...]

BASE is removed and made again (root-owned, 0755). Needs root: the unprivileged cases
run in a forked child that becomes nobody (65534:65534, no supplementary groups) after
root laid out their files, so every access check there is made as nobody.
"""
import ctypes
import errno
import json
import os
import shutil
import stat
import sys
import time

NOBODY = 65534
CTIME_TICK = 0.02   # long enough for a new ctime on any kernel clock granularity
OLD_NS = 1_000_000_000 * 10**9   # 2001-09-09: times set before an operation whose change we check

libc = ctypes.CDLL(None, use_errno=True)
RENAME_NOREPLACE, RENAME_EXCHANGE = 1, 2
AT_FDCWD = -100
AT_SYMLINK_NOFOLLOW = 0x100
UTIME_NOW, UTIME_OMIT = (1 << 30) - 1, (1 << 30) - 2


class Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


def renameat2(a, b, flags):
    if libc.renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), ctypes.c_uint(flags)) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def lchmod(path, mode):
    """fchmodat(AT_SYMLINK_NOFOLLOW): Python's os.chmod(follow_symlinks=False) refuses on Linux."""
    if libc.fchmodat(AT_FDCWD, os.fsencode(path), ctypes.c_uint(mode), AT_SYMLINK_NOFOLLOW) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def utimensat(path, atime, mtime, flags=0):
    """atime/mtime: (sec, nsec), or UTIME_NOW / UTIME_OMIT."""
    def ts(t):
        return Timespec(0, t) if isinstance(t, int) else Timespec(*t)
    times = (Timespec * 2)(ts(atime), ts(mtime))
    if libc.utimensat(AT_FDCWD, os.fsencode(path), times, flags) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


# -- observing ------------------------------------------------------------------------

def E(fn, *args, **kw):
    """fn's result (None becomes "ok"), or the errno name it failed with."""
    try:
        r = fn(*args, **kw)
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
    if r is None:
        return "ok"
    if isinstance(r, bytes):
        return r.decode("latin-1")
    return r


def kind(mode):
    for name, test in (("reg", stat.S_ISREG), ("dir", stat.S_ISDIR), ("lnk", stat.S_ISLNK),
                       ("fifo", stat.S_ISFIFO), ("chr", stat.S_ISCHR), ("blk", stat.S_ISBLK),
                       ("sock", stat.S_ISSOCK)):
        if test(mode):
            return name
    return "?"


def summary(s):
    return {"type": kind(s.st_mode), "mode": "%04o" % stat.S_IMODE(s.st_mode), "nlink": s.st_nlink,
            "size": s.st_size, "uid": s.st_uid, "gid": s.st_gid}


def st(path, follow=False):
    """The stat fields we compare, or the errno name."""
    return E(lambda: summary(os.stat(path) if follow else os.lstat(path)))


def fst(fd):
    return E(lambda: summary(os.fstat(fd)))


def times_changed(paths, op):
    """Runs op; returns (its outcome, {path name: [mtime changed, ctime changed]}). The
    mtimes are first set far in the past, the ctimes are given a tick to move."""
    for p in paths.values():
        os.utime(p, ns=(OLD_NS, OLD_NS), follow_symlinks=False)
    before = {k: os.lstat(p) for k, p in paths.items()}
    time.sleep(CTIME_TICK)
    r = E(op)
    out = {}
    for k, p in paths.items():
        try:
            a = os.lstat(p)
        except OSError as e:
            out[k] = errno.errorcode[e.errno]
            continue
        out[k] = [a.st_mtime_ns != before[k].st_mtime_ns, a.st_ctime_ns != before[k].st_ctime_ns]
    return r, out


def write_file(path, data, mode=0o644):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def read_file(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        out = b""
        while True:
            b = os.read(fd, 1 << 20)
            if not b:
                return out
            out += b
    finally:
        os.close(fd)


def opened(path, flags, mode=0o644):
    """open()+close(): "ok" or the errno name."""
    def go():
        os.close(os.open(path, flags, mode))
    return E(go)


def listing(path):
    """Sorted [name, type from the entry, type from lstat] of a directory, or the errno."""
    def go():
        out = []
        with os.scandir(path) as it:
            for e in it:
                t = "dir" if e.is_dir(follow_symlinks=False) else "lnk" if e.is_symlink() else \
                    "reg" if e.is_file(follow_symlinks=False) else "other"
                out.append([e.name, t, kind(os.lstat(e.path).st_mode)])
        return sorted(out)
    return E(go)


# -- the cases ------------------------------------------------------------------------

ROOT_CASES = []     # (name, fn(dir)) run as root
NOBODY_CASES = []   # (name, setup(dir) as root, fn(dir) as nobody)


def case(fn):
    ROOT_CASES.append((fn.__name__, fn))
    return fn


def as_nobody(setup):
    def register(fn):
        NOBODY_CASES.append((fn.__name__, setup, fn))
        return fn
    return register


# open flags ---------------------------------------------------------------------------

@case
def open_creat_excl(d):
    f = f"{d}/f"
    r = {"create": opened(f, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640), "stat": st(f)}
    r["again"] = opened(f, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    r["creat_no_excl_keeps_data"] = [E(write_file, f, b"data"), opened(f, os.O_RDWR | os.O_CREAT), E(read_file, f)]
    os.mkdir(f"{d}/dir")
    r["excl_on_dir"] = opened(f"{d}/dir", os.O_RDONLY | os.O_CREAT | os.O_EXCL)
    os.symlink("dangling", f"{d}/l")
    r["excl_on_dangling_symlink"] = opened(f"{d}/l", os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    r["creat_through_dangling_symlink"] = [opened(f"{d}/l", os.O_WRONLY | os.O_CREAT), st(f"{d}/dangling")]
    r["missing_parent"] = opened(f"{d}/nodir/f", os.O_WRONLY | os.O_CREAT)
    r["parent_is_file"] = opened(f"{f}/g", os.O_WRONLY | os.O_CREAT)
    r["no_creat_missing"] = opened(f"{d}/missing", os.O_RDONLY)
    return r


@case
def open_creat_mode_and_umask(d):
    r = {}
    for mask in (0o000, 0o022, 0o027, 0o077):
        old = os.umask(mask)
        try:
            key = "%03o" % mask
            r[key + "_file_0666"] = [opened(f"{d}/f{key}", os.O_WRONLY | os.O_CREAT, 0o666), st(f"{d}/f{key}")]
            r[key + "_file_0755"] = [opened(f"{d}/x{key}", os.O_WRONLY | os.O_CREAT, 0o755), st(f"{d}/x{key}")]
            r[key + "_mkdir_0777"] = [E(os.mkdir, f"{d}/d{key}", 0o777), st(f"{d}/d{key}")]
            r[key + "_mkdir_1777"] = [E(os.mkdir, f"{d}/s{key}", 0o1777), st(f"{d}/s{key}")]
        finally:
            os.umask(old)
    r["file_0000_opened_rdwr"] = [opened(f"{d}/zero", os.O_RDWR | os.O_CREAT, 0), st(f"{d}/zero")]
    return r


@case
def open_trunc(d):
    f = f"{d}/f"
    write_file(f, b"hello world")
    r = {}
    r["trunc"], r["times"] = times_changed({"f": f}, lambda: opened(f, os.O_WRONLY | os.O_TRUNC))
    r["after"] = [st(f), E(read_file, f)]
    write_file(f, b"hello world")
    r["trunc_rdwr_then_write"] = E(lambda: (lambda fd: (os.write(fd, b"ab"), os.close(fd)))(
        os.open(f, os.O_RDWR | os.O_TRUNC)))
    r["after2"] = [st(f), E(read_file, f)]
    write_file(f"{d}/empty", b"")
    r["trunc_empty"] = times_changed({"e": f"{d}/empty"}, lambda: opened(f"{d}/empty", os.O_WRONLY | os.O_TRUNC))
    os.mkdir(f"{d}/dir")
    r["trunc_dir"] = opened(f"{d}/dir", os.O_WRONLY | os.O_TRUNC)
    return r


@case
def open_append(d):
    f = f"{d}/f"
    write_file(f, b"abc")
    r = {}
    fd = os.open(f, os.O_WRONLY | os.O_APPEND)
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        r["write"] = E(os.write, fd, b"def")
        r["pos"] = E(os.lseek, fd, 0, os.SEEK_CUR)
        r["pwrite_at_0"] = E(os.pwrite, fd, b"gh", 0)   # Linux: O_APPEND wins over the offset
    finally:
        os.close(fd)
    r["content"] = E(read_file, f)
    a = os.open(f, os.O_WRONLY | os.O_APPEND)
    b = os.open(f, os.O_WRONLY | os.O_APPEND)
    try:
        for i in range(3):
            os.write(a, b"A%d" % i)
            os.write(b, b"B%d" % i)
    finally:
        os.close(a)
        os.close(b)
    r["two_fds"] = [E(read_file, f), st(f)]
    fd = os.open(f, os.O_RDWR | os.O_APPEND)
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        r["read_from_start"] = E(os.read, fd, 4)
    finally:
        os.close(fd)
    return r


@case
def open_dir_and_notdir(d):
    os.mkdir(f"{d}/dir")
    write_file(f"{d}/f", b"x")
    return {
        "dir_rdonly": opened(f"{d}/dir", os.O_RDONLY),
        "dir_wronly": opened(f"{d}/dir", os.O_WRONLY),
        "dir_rdwr": opened(f"{d}/dir", os.O_RDWR),
        "dir_o_directory": opened(f"{d}/dir", os.O_RDONLY | os.O_DIRECTORY),
        "file_o_directory": opened(f"{d}/f", os.O_RDONLY | os.O_DIRECTORY),
        "file_as_parent": opened(f"{d}/f/x", os.O_RDONLY),
        "creat_o_directory": opened(f"{d}/new", os.O_RDONLY | os.O_CREAT | os.O_DIRECTORY),
        "stat_file_as_parent": st(f"{d}/f/x"),
        "trailing_slash_on_file": st(f"{d}/f/"),
        "dotdot": st(f"{d}/dir/../f"),
        "name_255": opened(f"{d}/" + "n" * 255, os.O_WRONLY | os.O_CREAT),
        "name_256": opened(f"{d}/" + "n" * 256, os.O_WRONLY | os.O_CREAT),
        "stat_name_256": st(f"{d}/" + "n" * 256),
    }


@case
def open_access_modes(d):
    f = f"{d}/f"
    write_file(f, b"content")
    r = {}
    fd = os.open(f, os.O_RDONLY)
    try:
        r["write_on_rdonly"] = E(os.write, fd, b"x")
        r["ftruncate_on_rdonly"] = E(os.ftruncate, fd, 0)
        r["read"] = E(os.read, fd, 100)
    finally:
        os.close(fd)
    fd = os.open(f, os.O_WRONLY)
    try:
        r["read_on_wronly"] = E(os.read, fd, 1)
        r["write"] = E(os.write, fd, b"C")
    finally:
        os.close(fd)
    r["content"] = E(read_file, f)
    fd = os.open(f, os.O_RDWR)
    try:
        r["fsync"] = [E(os.fsync, fd), E(os.fdatasync, fd)]
    finally:
        os.close(fd)
    return r


# data ---------------------------------------------------------------------------------

@case
def read_write_data(d):
    f = f"{d}/f"
    big = bytes((i * 7 + i // 251) & 0xFF for i in range(3 << 20))   # crosses the 1 MiB/256 KiB pieces
    r = {}
    fd = os.open(f, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        r["write_big"] = E(os.write, fd, big)
        r["fstat"] = fst(fd)
        r["pread_mid"] = E(lambda: os.pread(fd, 16, (1 << 20) - 8) == big[(1 << 20) - 8:(1 << 20) + 8])
        r["pread_past_eof"] = E(os.pread, fd, 10, (3 << 20) + 5)
        r["pread_tail"] = E(lambda: len(os.pread(fd, 100, (3 << 20) - 30)))
        r["seek_end"] = E(os.lseek, fd, 0, os.SEEK_END)
        r["pwrite_hole"] = E(os.pwrite, fd, b"end", (4 << 20) + 1)
        r["hole_is_zero"] = E(lambda: os.pread(fd, 8, (3 << 20) + 100) == b"\0" * 8)
        r["fstat2"] = fst(fd)
    finally:
        os.close(fd)
    r["read_all_equal"] = E(lambda: read_file(f) == big + b"\0" * ((1 << 20) + 1) + b"end")
    return r


@case
def truncate(d):
    f = f"{d}/f"
    write_file(f, b"0123456789")
    r = {}
    r["grow"], r["grow_times"] = times_changed({"f": f}, lambda: os.truncate(f, 20))
    r["grown"] = [st(f), E(read_file, f)]
    r["shrink"] = [E(os.truncate, f, 3), st(f), E(read_file, f)]
    r["same_size"] = times_changed({"f": f}, lambda: os.truncate(f, 3))
    fd = os.open(f, os.O_RDWR)
    try:
        r["ftruncate"] = [E(os.ftruncate, fd, 1), fst(fd), E(os.pread, fd, 10, 0)]
        r["ftruncate_negative"] = E(os.ftruncate, fd, -1)
    finally:
        os.close(fd)
    os.mkdir(f"{d}/dir")
    r["dir"] = E(os.truncate, f"{d}/dir", 0)
    r["missing"] = E(os.truncate, f"{d}/missing", 0)
    r["negative"] = E(os.truncate, f, -1)
    os.symlink("f", f"{d}/l")
    r["through_symlink"] = [E(os.truncate, f"{d}/l", 7), st(f), st(f"{d}/l")]
    return r


# unlink / mkdir / rmdir -----------------------------------------------------------------

@case
def unlink(d):
    f = f"{d}/f"
    write_file(f, b"x")
    r = {}
    r["unlink"], r["dir_times"] = times_changed({"d": d}, lambda: os.unlink(f))
    r["gone"] = st(f)
    r["again"] = E(os.unlink, f)
    os.mkdir(f"{d}/dir")
    r["dir"] = E(os.unlink, f"{d}/dir")
    write_file(f"{d}/g", b"y")
    r["missing_parent"] = E(os.unlink, f"{d}/nodir/g")
    r["file_as_parent"] = E(os.unlink, f"{d}/g/x")
    os.link(f"{d}/g", f"{d}/h")
    r["one_of_two_links"], r["link_times"] = times_changed({"h": f"{d}/h"}, lambda: os.unlink(f"{d}/g"))
    r["other_link"] = [st(f"{d}/h"), E(read_file, f"{d}/h")]
    os.symlink("h", f"{d}/l")
    r["symlink_not_target"] = [E(os.unlink, f"{d}/l"), st(f"{d}/l"), st(f"{d}/h")]
    r["listing"] = listing(d)
    return r


@case
def unlink_open_file(d):
    f = f"{d}/f"
    write_file(f, b"still here")
    fd = os.open(f, os.O_RDWR)
    try:
        r = {"unlink": E(os.unlink, f), "stat": st(f), "fstat": fst(fd), "read": E(os.pread, fd, 100, 0),
             "write": E(os.pwrite, fd, b"S", 0), "read2": E(os.pread, fd, 100, 0), "listing": listing(d),
             "ftruncate": E(os.ftruncate, fd, 5), "fchmod": E(os.fchmod, fd, 0o600), "fchown": E(os.fchown, fd, 1, 2),
             "futimens": E(os.utime, fd, ns=(10**9, 2 * 10**9)), "fsync": E(os.fsync, fd), "fstat2": fst(fd),
             "read3": E(os.pread, fd, 100, 0)}
    finally:
        os.close(fd)
    return r


@case
def rename_open_file(d):
    f = f"{d}/f"
    write_file(f, b"moving")
    fd = os.open(f, os.O_RDWR)
    try:
        r = {"rename": E(os.rename, f, f"{d}/g"), "write": E(os.pwrite, fd, b"M", 0), "fstat": fst(fd),
             "old": st(f), "new": [st(f"{d}/g"), E(read_file, f"{d}/g")]}
    finally:
        os.close(fd)
    return r


@case
def mkdir(d):
    r = {}
    r["mkdir"], r["parent_times"] = times_changed({"d": d}, lambda: os.mkdir(f"{d}/a"))
    r["stat"] = [st(f"{d}/a"), st(d)]
    r["mode_0700"] = [E(os.mkdir, f"{d}/b", 0o700), st(f"{d}/b")]
    r["mode_2755"] = [E(os.mkdir, f"{d}/c", 0o2755), st(f"{d}/c")]
    r["exists_dir"] = E(os.mkdir, f"{d}/a")
    write_file(f"{d}/f", b"")
    r["exists_file"] = E(os.mkdir, f"{d}/f")
    os.symlink("nowhere", f"{d}/l")
    r["exists_dangling_symlink"] = E(os.mkdir, f"{d}/l")
    r["missing_parent"] = E(os.mkdir, f"{d}/no/x")
    r["file_as_parent"] = E(os.mkdir, f"{d}/f/x")
    r["nested"] = [E(os.mkdir, f"{d}/a/x"), E(os.mkdir, f"{d}/a/y"), st(f"{d}/a"), st(d)]
    r["trailing_slash"] = [E(os.mkdir, f"{d}/t/"), st(f"{d}/t")]
    return r


@case
def rmdir(d):
    os.makedirs(f"{d}/a")
    os.makedirs(f"{d}/full/sub")
    write_file(f"{d}/f", b"")
    r = {"before": st(d)}
    r["rmdir"], r["parent_times"] = times_changed({"d": d}, lambda: os.rmdir(f"{d}/a"))
    r["after"] = [st(f"{d}/a"), st(d)]
    r["again"] = E(os.rmdir, f"{d}/a")
    r["not_empty"] = E(os.rmdir, f"{d}/full")
    r["file"] = E(os.rmdir, f"{d}/f")
    r["dot"] = E(os.rmdir, f"{d}/full/sub/.")
    r["dotdot"] = E(os.rmdir, f"{d}/full/sub/..")
    os.symlink("full/sub", f"{d}/l")
    r["symlink_to_dir"] = E(os.rmdir, f"{d}/l")
    r["nested"] = [E(os.rmdir, f"{d}/full/sub"), st(f"{d}/full"), E(os.rmdir, f"{d}/full"), st(d)]
    return r


# rename ---------------------------------------------------------------------------------

@case
def rename_files(d):
    write_file(f"{d}/a", b"A")
    write_file(f"{d}/b", b"B")
    os.mkdir(f"{d}/sub")
    r = {}
    r["rename"], r["times"] = times_changed({"d": d, "a": f"{d}/a"}, lambda: os.rename(f"{d}/a", f"{d}/c"))
    r["after"] = [st(f"{d}/a"), st(f"{d}/c"), E(read_file, f"{d}/c")]
    r["over_existing"] = [E(os.rename, f"{d}/c", f"{d}/b"), st(f"{d}/c"), E(read_file, f"{d}/b")]
    r["into_subdir"], r["subdir_times"] = times_changed({"d": d, "sub": f"{d}/sub"},
                                                         lambda: os.rename(f"{d}/b", f"{d}/sub/b"))
    r["missing"] = E(os.rename, f"{d}/nothing", f"{d}/x")
    r["to_missing_dir"] = E(os.rename, f"{d}/sub/b", f"{d}/nodir/b")
    r["onto_itself"] = [E(os.rename, f"{d}/sub/b", f"{d}/sub/b"), st(f"{d}/sub/b")]
    os.link(f"{d}/sub/b", f"{d}/hard")
    r["hard_links_of_one_file"] = [E(os.rename, f"{d}/sub/b", f"{d}/hard"), st(f"{d}/sub/b"), st(f"{d}/hard")]
    r["file_over_dir"] = E(os.rename, f"{d}/hard", f"{d}/sub")
    r["parent_is_file"] = E(os.rename, f"{d}/hard", f"{d}/hard/x")
    os.symlink("hard", f"{d}/l")
    r["symlink_itself_moves"] = [E(os.rename, f"{d}/l", f"{d}/sub/l"), E(os.readlink, f"{d}/sub/l"),
                                 st(f"{d}/sub/l", follow=True), st(f"{d}/hard")]
    r["listing"] = [listing(d), listing(f"{d}/sub")]
    return r


@case
def rename_dirs(d):
    for p in ("a/x", "b", "full/y", "empty"):
        os.makedirs(f"{d}/{p}")
    write_file(f"{d}/f", b"")
    r = {"before": [st(d), st(f"{d}/a"), st(f"{d}/b")]}
    r["into_other_dir"], r["times"] = times_changed({"a": f"{d}/a", "b": f"{d}/b", "x": f"{d}/a/x"},
                                                     lambda: os.rename(f"{d}/a/x", f"{d}/b/x"))
    r["nlinks_after"] = [st(f"{d}/a"), st(f"{d}/b"), st(f"{d}/b/x")]
    r["over_empty_dir"] = [E(os.rename, f"{d}/a", f"{d}/empty"), st(f"{d}/a"), st(f"{d}/empty"), st(d)]
    r["over_full_dir"] = E(os.rename, f"{d}/empty", f"{d}/full")
    r["dir_over_file"] = E(os.rename, f"{d}/b", f"{d}/f")
    r["into_own_subdir"] = E(os.rename, f"{d}/b", f"{d}/b/x/b")
    r["onto_own_subdir"] = E(os.rename, f"{d}/b", f"{d}/b/x")
    r["trailing_slash_dir"] = [E(os.rename, f"{d}/b/", f"{d}/c/"), st(f"{d}/c")]
    r["trailing_slash_file"] = E(os.rename, f"{d}/f/", f"{d}/g")
    r["dot"] = E(os.rename, f"{d}/c/.", f"{d}/e")
    r["listing"] = listing(d)
    return r


@case
def rename_flags(d):
    write_file(f"{d}/a", b"A")
    write_file(f"{d}/b", b"B")
    os.mkdir(f"{d}/dir")
    return {
        "noreplace_existing": E(renameat2, f"{d}/a", f"{d}/b", RENAME_NOREPLACE),
        "noreplace_new": [E(renameat2, f"{d}/a", f"{d}/c", RENAME_NOREPLACE), st(f"{d}/a"), E(read_file, f"{d}/c")],
        "exchange": [E(renameat2, f"{d}/b", f"{d}/c", RENAME_EXCHANGE), E(read_file, f"{d}/b"), E(read_file, f"{d}/c")],
        "exchange_file_and_dir": [E(renameat2, f"{d}/b", f"{d}/dir", RENAME_EXCHANGE), st(f"{d}/b"), st(f"{d}/dir")],
        "exchange_missing": E(renameat2, f"{d}/c", f"{d}/none", RENAME_EXCHANGE),
        "both_flags": E(renameat2, f"{d}/c", f"{d}/dir", RENAME_EXCHANGE | RENAME_NOREPLACE),
    }


# links ----------------------------------------------------------------------------------

@case
def hard_links(d):
    f = f"{d}/f"
    write_file(f, b"one")
    os.mkdir(f"{d}/dir")
    r = {}
    r["link"], r["times"] = times_changed({"f": f, "d": d}, lambda: os.link(f, f"{d}/g"))
    r["stats"] = [st(f), st(f"{d}/g")]
    write_file(f"{d}/g", b"two")   # O_TRUNC through the other name
    r["shared_data"] = E(read_file, f)
    r["to_existing"] = E(os.link, f, f"{d}/g")
    r["from_missing"] = E(os.link, f"{d}/none", f"{d}/h")
    r["dir"] = E(os.link, f"{d}/dir", f"{d}/dirlink")
    r["into_missing_dir"] = E(os.link, f, f"{d}/no/h")
    r["into_subdir"] = [E(os.link, f, f"{d}/dir/h"), st(f)]
    os.symlink("f", f"{d}/sym")
    r["of_symlink_is_symlink"] = [E(os.link, f"{d}/sym", f"{d}/sym2", follow_symlinks=False), st(f"{d}/sym2"),
                                  st(f"{d}/sym"), st(f)]
    r["unlink_one"] = [E(os.unlink, f), st(f"{d}/g")]
    return r


@case
def symlinks(d):
    write_file(f"{d}/f", b"target data")
    os.mkdir(f"{d}/dir")
    write_file(f"{d}/dir/inner", b"in")
    r = {}
    r["create"], r["times"] = times_changed({"d": d}, lambda: os.symlink("f", f"{d}/l"))
    r["lstat"] = st(f"{d}/l")
    r["stat"] = st(f"{d}/l", follow=True)
    r["readlink"] = E(os.readlink, f"{d}/l")
    r["read_through"] = E(read_file, f"{d}/l")
    r["write_through"] = [E(write_file, f"{d}/l", b"via link"), E(read_file, f"{d}/f"), st(f"{d}/l")]
    r["exists"] = E(os.symlink, "x", f"{d}/l")
    r["exists_file"] = E(os.symlink, "x", f"{d}/f")
    r["missing_parent"] = E(os.symlink, "x", f"{d}/no/l")
    r["dangling"] = [E(os.symlink, "nothing/here", f"{d}/dang"), st(f"{d}/dang"), st(f"{d}/dang", follow=True),
                     E(os.readlink, f"{d}/dang"), opened(f"{d}/dang", os.O_RDONLY)]
    r["absolute_target"] = [E(os.symlink, "/nonexistent/abs/target", f"{d}/abs"), E(os.readlink, f"{d}/abs"),
                            st(f"{d}/abs")]
    long_target = "x/" * 2047 + "y"   # 4095 bytes, the longest a link may hold
    r["long_target"] = [E(os.symlink, long_target, f"{d}/long"), E(lambda: os.readlink(f"{d}/long") == long_target),
                        st(f"{d}/long")]
    r["too_long_target"] = E(os.symlink, "z" * 4096, f"{d}/toolong")
    r["odd_target"] = [E(os.symlink, "a b\n\tc", f"{d}/odd"), E(os.readlink, f"{d}/odd")]
    r["to_dir"] = [E(os.symlink, "dir", f"{d}/ld"), st(f"{d}/ld", follow=True), listing(f"{d}/ld"),
                   E(read_file, f"{d}/ld/inner")]
    r["chain"] = [E(os.symlink, "l", f"{d}/l2"), E(read_file, f"{d}/l2"), E(os.readlink, f"{d}/l2")]
    r["readlink_file"] = E(os.readlink, f"{d}/f")
    r["readlink_dir"] = E(os.readlink, f"{d}/dir")
    r["readlink_missing"] = E(os.readlink, f"{d}/none")
    r["o_nofollow"] = opened(f"{d}/l", os.O_RDONLY | os.O_NOFOLLOW)
    r["loop"] = [E(os.symlink, "loop", f"{d}/loop"), st(f"{d}/loop"), E(os.readlink, f"{d}/loop")]
    r["listing"] = listing(d)
    return r


# attributes -------------------------------------------------------------------------------

@case
def chmod(d):
    f = f"{d}/f"
    write_file(f, b"x")
    os.mkdir(f"{d}/dir")
    r = {}
    r["chmod"], r["times"] = times_changed({"f": f}, lambda: os.chmod(f, 0o640))
    r["stat"] = st(f)
    r["all_bits"] = [E(os.chmod, f, 0o7777), st(f)]
    r["none"] = [E(os.chmod, f, 0), st(f), E(read_file, f)]   # root still reads
    r["dir"] = [E(os.chmod, f"{d}/dir", 0o1711), st(f"{d}/dir")]
    r["missing"] = E(os.chmod, f"{d}/none", 0o644)
    os.symlink("f", f"{d}/l")
    r["through_symlink"] = [E(os.chmod, f"{d}/l", 0o604), st(f), st(f"{d}/l")]
    r["symlink_nofollow"] = [E(lchmod, f"{d}/l", 0o600), st(f), st(f"{d}/l")]
    fd = os.open(f, os.O_RDONLY)
    try:
        r["fchmod"] = [E(os.fchmod, fd, 0o444), fst(fd)]
    finally:
        os.close(fd)
    return r


@case
def chown(d):
    f = f"{d}/f"
    write_file(f, b"x")
    os.mkdir(f"{d}/dir")
    r = {}
    r["chown"], r["times"] = times_changed({"f": f}, lambda: os.chown(f, NOBODY, NOBODY))
    r["stat"] = st(f)
    r["uid_only"] = [E(os.chown, f, 1, -1), st(f)]
    r["gid_only"] = [E(os.chown, f, -1, 2), st(f)]
    # chown(-1, -1): success; whether the ctime moves is left open by POSIX (Linux local file
    # systems touch it; FUSE never passes the call on), so only the result is compared
    r["neither"] = [E(os.chown, f, -1, -1), st(f)]
    r["dir"] = [E(os.chown, f"{d}/dir", 3, 4), st(f"{d}/dir")]
    r["missing"] = E(os.chown, f"{d}/none", 0, 0)
    os.symlink("f", f"{d}/l")
    r["through_symlink"] = [E(os.chown, f"{d}/l", 5, 6), st(f), st(f"{d}/l")]
    r["lchown"] = [E(os.lchown, f"{d}/l", 7, 8), st(f), st(f"{d}/l")]
    os.chmod(f, 0o6755)
    r["clears_suid_sgid"] = [st(f), E(os.chown, f, 0, 0), st(f)]
    os.chmod(f"{d}/dir", 0o2775)
    r["dir_keeps_sgid"] = [E(os.chown, f"{d}/dir", 9, 9), st(f"{d}/dir")]
    return r


@case
def setgid_dir_inheritance(d):
    os.mkdir(f"{d}/g")
    os.chown(f"{d}/g", 0, NOBODY)
    os.chmod(f"{d}/g", 0o2775)
    return {"file": [opened(f"{d}/g/f", os.O_WRONLY | os.O_CREAT), st(f"{d}/g/f")],
            "dir": [E(os.mkdir, f"{d}/g/sub"), st(f"{d}/g/sub")],
            "symlink": [E(os.symlink, "f", f"{d}/g/l"), st(f"{d}/g/l")]}


@case
def utimens(d):
    f = f"{d}/f"
    write_file(f, b"x")
    os.symlink("f", f"{d}/l")
    r = {}

    def times(p, follow=False):
        def go():
            s = os.stat(p) if follow else os.lstat(p)
            return [s.st_atime_ns, s.st_mtime_ns]
        return E(go)

    r["set_ns"] = [E(os.utime, f, ns=(1_234_567_890_123_456_789, 1_111_111_111_987_654_321)), times(f)]
    r["set_seconds"] = [E(os.utime, f, (1500000000, 1600000000)), times(f)]
    r["ctime_changes"] = times_changed({"f": f}, lambda: os.utime(f, ns=(5 * 10**17, 6 * 10**17)))
    r["now"] = times_changed({"f": f}, lambda: os.utime(f))
    r["omit_atime"] = [E(utimensat, f, (100, 1), UTIME_OMIT), E(utimensat, f, UTIME_OMIT, (200, 2)), times(f)]
    r["omit_both"] = times_changed({"f": f}, lambda: utimensat(f, UTIME_OMIT, UTIME_OMIT))
    r["now_mtime_only"] = [E(utimensat, f, (300, 3), UTIME_NOW), E(lambda: os.lstat(f).st_atime_ns)]
    r["pre_epoch"] = [E(os.utime, f, ns=(-10**9, -5 * 10**8)), times(f)]
    r["symlink_nofollow"] = [E(os.utime, f"{d}/l", ns=(7 * 10**17, 8 * 10**17), follow_symlinks=False),
                             times(f"{d}/l"), times(f)]
    r["through_symlink"] = [E(os.utime, f"{d}/l", ns=(9 * 10**17, 10**18)), times(f)]
    os.mkdir(f"{d}/dir")
    r["dir"] = [E(os.utime, f"{d}/dir", ns=(10**15, 2 * 10**15)), times(f"{d}/dir")]
    r["missing"] = E(os.utime, f"{d}/none")
    r["write_changes_mtime"] = times_changed({"f": f}, lambda: write_file(f, b"new"))
    r["read_keeps_mtime"] = times_changed({"f": f}, lambda: read_file(f))
    return r


@case
def access_root(d):
    write_file(f"{d}/f", b"x", 0o644)
    write_file(f"{d}/x", b"x", 0o755)
    write_file(f"{d}/z", b"x", 0o000)
    return {p: [os.access(f"{d}/{p}", m) for m in (os.R_OK, os.W_OK, os.X_OK, os.F_OK)]
            for p in ("f", "x", "z", "missing")}


# directories ------------------------------------------------------------------------------

@case
def readdir(d):
    r = {"empty": listing(d)}
    for n in ("a", "b", "c.txt", ".hidden", "with space"):
        write_file(f"{d}/{n}", b"")
    os.mkdir(f"{d}/sub")
    os.symlink("a", f"{d}/lnk")
    os.symlink("missing", f"{d}/dangling")
    r["mixed"] = listing(d)
    r["stat_dir"] = st(d)
    r["file"] = listing(f"{d}/a")
    r["missing"] = listing(f"{d}/none")
    os.mkdir(f"{d}/many")
    names = sorted("%04d-" % i + "n" * 120 for i in range(600))   # ~75 KB of names
    for n in names:
        os.close(os.open(f"{d}/many/{n}", os.O_WRONLY | os.O_CREAT, 0o644))
    got = listing(f"{d}/many")
    r["many"] = got if isinstance(got, str) else [len(got), [e[0] for e in got] == names, {e[1] for e in got} == {"reg"}]
    r["many_stat"] = st(f"{d}/many")
    for n in names[::2]:
        os.unlink(f"{d}/many/{n}")
    got = listing(f"{d}/many")
    r["many_after_unlink"] = got if isinstance(got, str) else [len(got), [e[0] for e in got] == names[1::2]]
    # entries changed while a directory stream is open: what was there at the start is seen
    fdir = os.open(f"{d}/sub", os.O_RDONLY | os.O_DIRECTORY)
    try:
        write_file(f"{d}/sub/new", b"")
        r["listdir_fd"] = E(lambda: sorted(os.listdir(fdir)))
    finally:
        os.close(fdir)
    return r


@case
def dir_nlink_and_size(d):
    r = {"empty": st(d)}
    for i in range(3):
        os.mkdir(f"{d}/s{i}")
    write_file(f"{d}/f", b"")
    r["three_subdirs"] = st(d)
    os.rmdir(f"{d}/s0")
    r["two_subdirs"] = st(d)
    os.rename(f"{d}/s1", f"{d}/s2/s1")
    r["after_move"] = [st(d), st(f"{d}/s2")]
    return r


@case
def file_stat_fields(d):
    f = f"{d}/f"
    r = {"new": [opened(f, os.O_WRONLY | os.O_CREAT, 0o600), st(f)]}
    write_file(f, b"x" * 12345)
    r["written"] = st(f)
    r["blocks_nonzero"] = E(lambda: os.lstat(f).st_blocks > 0)
    r["blksize_positive"] = E(lambda: os.lstat(f).st_blksize > 0)
    r["times_ordered"] = E(lambda: (lambda s: s.st_mtime_ns <= s.st_ctime_ns)(os.lstat(f)))
    r["times_recent"] = E(lambda: abs(os.lstat(f).st_mtime - time.time()) < 60)
    r["same_file_same_ino"] = E(lambda: os.lstat(f).st_ino == os.lstat(f"{d}/./f").st_ino)
    return r


# unprivileged: nobody ------------------------------------------------------------------------

def _root_tree(d):
    os.mkdir(f"{d}/rootdir", 0o755)
    write_file(f"{d}/rootdir/pub", b"public", 0o644)
    write_file(f"{d}/rootdir/secret", b"secret", 0o600)
    os.chmod(f"{d}/rootdir/secret", 0o600)
    os.mkdir(f"{d}/rootdir/emptydir", 0o755)
    os.symlink("pub", f"{d}/rootdir/lnk")
    os.mkdir(f"{d}/private", 0o700)
    write_file(f"{d}/private/f", b"p", 0o644)


@as_nobody(_root_tree)
def nobody_root_owned_dir(d):
    rd = f"{d}/rootdir"
    return {
        "create": opened(f"{rd}/new", os.O_WRONLY | os.O_CREAT, 0o644),
        "create_excl": opened(f"{rd}/new", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644),
        "create_excl_existing": opened(f"{rd}/pub", os.O_RDONLY | os.O_CREAT | os.O_EXCL),
        "creat_existing_rdonly": opened(f"{rd}/pub", os.O_RDONLY | os.O_CREAT),
        "mkdir": E(os.mkdir, f"{rd}/newdir"),
        "symlink": E(os.symlink, "pub", f"{rd}/newlink"),
        "link": E(os.link, f"{rd}/pub", f"{rd}/newhard"),
        "unlink": E(os.unlink, f"{rd}/pub"),
        "rmdir": E(os.rmdir, f"{rd}/emptydir"),
        "rename": E(os.rename, f"{rd}/pub", f"{rd}/moved"),
        "rename_out": E(os.rename, f"{rd}/pub", f"{d}/moved"),
        "listing": listing(rd),
        "stat_secret": st(f"{rd}/secret"),
        "readlink": E(os.readlink, f"{rd}/lnk"),
        "access_dir": [os.access(rd, m) for m in (os.R_OK, os.W_OK, os.X_OK)],
        "private_listing": listing(f"{d}/private"),
        "private_stat": st(f"{d}/private/f"),
        "private_open": opened(f"{d}/private/f", os.O_RDONLY),
        "private_access": os.access(f"{d}/private/f", os.F_OK),
        "after": listing(rd),
    }


@as_nobody(_root_tree)
def nobody_root_owned_files(d):
    rd = f"{d}/rootdir"
    return {
        "read_pub": E(read_file, f"{rd}/pub"),
        "read_via_symlink": E(read_file, f"{rd}/lnk"),
        "read_secret": opened(f"{rd}/secret", os.O_RDONLY),
        "write_pub": opened(f"{rd}/pub", os.O_WRONLY),
        "rdwr_pub": opened(f"{rd}/pub", os.O_RDWR),
        "trunc_pub": opened(f"{rd}/pub", os.O_RDONLY | os.O_TRUNC),
        "append_pub": opened(f"{rd}/pub", os.O_WRONLY | os.O_APPEND),
        "truncate_pub": E(os.truncate, f"{rd}/pub", 0),
        "chmod_pub": E(os.chmod, f"{rd}/pub", 0o666),
        "chown_pub_to_self": E(os.chown, f"{rd}/pub", NOBODY, NOBODY),
        "chown_pub_noop": E(os.chown, f"{rd}/pub", -1, -1),
        "lchown_symlink": E(os.lchown, f"{rd}/lnk", NOBODY, -1),
        "utime_explicit": E(os.utime, f"{rd}/pub", ns=(10**9, 10**9)),
        "utime_now": E(os.utime, f"{rd}/pub"),
        "access_pub": [os.access(f"{rd}/pub", m) for m in (os.R_OK, os.W_OK, os.X_OK)],
        "access_secret": [os.access(f"{rd}/secret", m) for m in (os.R_OK, os.W_OK, os.F_OK)],
        "unchanged": [st(f"{rd}/pub"), E(read_file, f"{rd}/pub")],
    }


def _shared_dirs(d):
    os.mkdir(f"{d}/open", 0o777)
    os.chmod(f"{d}/open", 0o777)
    write_file(f"{d}/open/rootfile", b"r", 0o644)
    write_file(f"{d}/open/rootrw", b"rw", 0o666)
    os.chmod(f"{d}/open/rootrw", 0o666)
    write_file(f"{d}/open/suid", b"s", 0o777)
    os.chmod(f"{d}/open/suid", 0o6777)
    os.mkdir(f"{d}/sticky")
    os.chmod(f"{d}/sticky", 0o1777)
    write_file(f"{d}/sticky/rootfile", b"r", 0o666)
    os.chmod(f"{d}/sticky/rootfile", 0o666)
    os.mkdir(f"{d}/mine", 0o755)
    os.chown(f"{d}/mine", NOBODY, NOBODY)
    write_file(f"{d}/mine/f", b"mine", 0o644)
    os.chown(f"{d}/mine/f", NOBODY, NOBODY)
    os.mkdir(f"{d}/mine/rootsub", 0o755)


@as_nobody(_shared_dirs)
def nobody_shared_dirs(d):
    o, s, m = f"{d}/open", f"{d}/sticky", f"{d}/mine"
    r = {}
    r["create_in_open"] = [opened(f"{o}/new", os.O_WRONLY | os.O_CREAT, 0o640), st(f"{o}/new")]
    r["mkdir_in_open"] = [E(os.mkdir, f"{o}/newdir"), st(f"{o}/newdir")]
    r["symlink_in_open"] = [E(os.symlink, "new", f"{o}/newlink"), st(f"{o}/newlink")]
    r["hardlink_root_file"] = E(os.link, f"{o}/rootfile", f"{o}/hard")   # fs.protected_hardlinks
    r["hardlink_own_file"] = [E(os.link, f"{o}/new", f"{o}/hard2"), st(f"{o}/new")]
    r["rename_root_file_in_open"] = E(os.rename, f"{o}/rootfile", f"{o}/renamed")
    r["unlink_root_file_in_open"] = [E(os.unlink, f"{o}/renamed"), st(f"{o}/renamed")]
    r["write_root_rw_file"] = [E(write_file, f"{o}/rootrw", b"by nobody"), E(read_file, f"{o}/rootrw"), st(f"{o}/rootrw")]
    r["utime_now_writable"] = E(os.utime, f"{o}/rootrw")
    r["utime_explicit_writable"] = E(os.utime, f"{o}/rootrw", ns=(10**9, 10**9))
    r["chmod_writable_not_owner"] = E(os.chmod, f"{o}/rootrw", 0o600)
    r["write_clears_suid"] = [st(f"{o}/suid"), E(lambda: (lambda fd: (os.write(fd, b"x"), os.close(fd)))(
        os.open(f"{o}/suid", os.O_WRONLY | os.O_APPEND)) and None), st(f"{o}/suid")]
    r["sticky_create"] = [opened(f"{s}/mine", os.O_WRONLY | os.O_CREAT, 0o644), st(f"{s}/mine")]
    r["sticky_unlink_root_file"] = E(os.unlink, f"{s}/rootfile")
    r["sticky_rename_root_file"] = E(os.rename, f"{s}/rootfile", f"{s}/x")
    r["sticky_rename_over_root_file"] = E(os.rename, f"{s}/mine", f"{s}/rootfile")
    r["sticky_write_root_file"] = E(write_file, f"{s}/rootfile", b"w")
    r["sticky_unlink_own"] = E(os.unlink, f"{s}/mine")
    r["own_chmod"] = [E(os.chmod, f"{m}/f", 0o600), st(f"{m}/f")]
    r["own_chmod_setgid"] = [E(os.chmod, f"{m}/f", 0o2640), st(f"{m}/f")]
    r["own_chown_to_root"] = E(os.chown, f"{m}/f", 0, -1)
    r["own_chgrp_to_root"] = E(os.chown, f"{m}/f", -1, 0)
    r["own_chown_to_self"] = [E(os.chown, f"{m}/f", NOBODY, NOBODY), st(f"{m}/f")]
    r["own_utime_explicit"] = [E(os.utime, f"{m}/f", ns=(2 * 10**9, 3 * 10**9)),
                               E(lambda: os.lstat(f"{m}/f").st_mtime_ns)]
    r["own_0000_file"] = [E(os.chmod, f"{m}/f", 0), opened(f"{m}/f", os.O_RDONLY), opened(f"{m}/f", os.O_WRONLY),
                          [os.access(f"{m}/f", k) for k in (os.R_OK, os.W_OK, os.F_OK)]]
    r["own_create_0444_rdwr"] = [E(lambda: (lambda fd: (os.write(fd, b"ok"), os.close(fd)))(
        os.open(f"{m}/ro", os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o444)) and None), st(f"{m}/ro"),
        opened(f"{m}/ro", os.O_WRONLY)]
    r["rmdir_root_dir_in_own_dir"] = E(os.rmdir, f"{m}/rootsub")
    r["own_dir_listing"] = listing(m)
    return r


# -- running ----------------------------------------------------------------------------------

def fresh(path):
    os.mkdir(path, 0o755)
    os.chmod(path, 0o755)
    return path


def run_root(base, wanted):
    out = []
    for name, fn in ROOT_CASES:
        if wanted and name not in wanted:
            continue
        try:
            out.append([name, fn(fresh(f"{base}/{name}"))])
        except Exception as e:   # a case that cannot even run is an outcome too
            out.append([name, f"exception {type(e).__name__}: {e}"])
    return out


def run_nobody(base, wanted):
    cases = [(n, s, f) for n, s, f in NOBODY_CASES if not wanted or n in wanted]
    dirs = {}
    for name, setup, _ in cases:
        dirs[name] = fresh(f"{base}/{name}")
        setup(dirs[name])
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(rfd)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            out = []
            for name, _, fn in cases:
                try:
                    out.append([name, fn(dirs[name])])
                except Exception as e:
                    out.append([name, f"exception {type(e).__name__}: {e}"])
            data = json.dumps(out).encode()
            while data:
                data = data[os.write(wfd, data):]
        finally:
            os._exit(0)
    os.close(wfd)
    data = b""
    while True:
        b = os.read(rfd, 1 << 16)
        if not b:
            break
        data += b
    os.close(rfd)
    os.waitpid(pid, 0)
    return json.loads(data)


def main():
    base, wanted = sys.argv[1], set(sys.argv[2:])
    os.umask(0o022)
    shutil.rmtree(base, ignore_errors=True)
    fresh(base)
    out = run_root(fresh(f"{base}/root"), wanted) + run_nobody(fresh(f"{base}/nobody"), wanted)
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
