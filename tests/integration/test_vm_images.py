"""The root file systems QEMU (and UML) nodes boot (`vm-images/build ARCH`, docs/vm-images.md):
Debian from debootstrap for the node's architecture, our product installed in /usr/local with
every library it links present in the image, and the product layer rebuilt alone when the
product changes. Slow the first time (debootstrap: minutes per architecture) and it writes
/var/cache/openmosix/vm-images: run with OMX_VM_IMAGE_TESTS=1, not by `make test`."""
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from vc import BUILD, REPO

BUILD_SCRIPT = REPO / "vm-images" / "build"
CACHE = Path(os.environ.get("OMX_VM_CACHE", "/var/cache/openmosix/vm-images"))
# What each image's product layer comes from: a CMake build dir or a DESTDIR tree.
PRODUCT = {"amd64": BUILD, "i386": Path(os.environ.get("OMX_BUILD_I386", REPO / "build-i386"))}
# ELF identification of each architecture: EI_CLASS (1 = 32-bit, 2 = 64-bit) and e_machine.
ELF_ID = {"amd64": (2, 62), "i386": (1, 3)}
LIB_DIRS = {"amd64": ["lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib64", "lib", "usr/lib"],
            "i386": ["lib/i386-linux-gnu", "usr/lib/i386-linux-gnu", "lib", "usr/lib"]}

pytestmark = [
    pytest.mark.skipif(os.environ.get("OMX_VM_IMAGE_TESTS") != "1",
                       reason="builds Debian root file systems with debootstrap (minutes, network): "
                              "run with OMX_VM_IMAGE_TESTS=1 (docs/vm-images.md)"),
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root (debootstrap, chroot)"),
    pytest.mark.skipif(not shutil.which("debootstrap"), reason="no debootstrap: sudo bash ci/install-deps"),
]


def build(arch, *args, timeout=3600):
    t0 = time.monotonic()
    r = subprocess.run([str(BUILD_SCRIPT), arch, *args], capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, f"vm-images/build {arch} {' '.join(args)} failed:\n{r.stdout}\n{r.stderr}"
    return r.stdout, time.monotonic() - t0


def elf_id(path):
    """(EI_CLASS, e_machine) from the ELF header, or None for a file that is not ELF."""
    with open(path, "rb") as f:
        head = f.read(20)
    if len(head) < 20 or head[:4] != b"\x7fELF":
        return None
    return head[4], int.from_bytes(head[18:20], "little" if head[5] == 1 else "big")


def needed(path):
    """The DT_NEEDED entries of an ELF file of any architecture (binutils reads them all)."""
    out = subprocess.run(["readelf", "-d", "--wide", str(path)], capture_output=True, text=True, check=True).stdout
    return [line.split("[", 1)[1].rstrip("]") for line in out.splitlines() if "(NEEDED)" in line]


def find_in_image(rootfs, arch, soname):
    for d in LIB_DIRS[arch]:
        p = rootfs / d / soname
        if os.path.lexists(p):
            return resolve_in(rootfs, p)
    return None


def resolve_in(rootfs, p):
    """Follows symlinks the way the guest will, with rootfs as /."""
    for _ in range(40):
        if not p.is_symlink():
            return p if p.exists() else None
        target = os.readlink(p)
        p = rootfs / target.lstrip("/") if target.startswith("/") else p.parent / target
    return None


def product_binaries(rootfs):
    return sorted(p for d in ("usr/local/bin", "usr/local/sbin") for p in (rootfs / d).glob("*")
                  if p.is_file() and not p.is_symlink() and elf_id(p))


@pytest.fixture(scope="module", params=["amd64", "i386"])
def image(request):
    arch = request.param
    product = ("--product", str(PRODUCT[arch])) if PRODUCT[arch].is_dir() else ()
    out, seconds = build(arch, *product)
    print(f"\nvm-images/build {arch}: {seconds:.1f} s\n{out}")
    return arch, CACHE / arch


def test_the_root_file_system_of_the_architecture_exists(image):
    arch, d = image
    rootfs = d / "rootfs"
    for f in ("usr/bin/sh", "usr/bin/python3", "usr/sbin/sshd", "usr/bin/busybox", "usr/sbin/ip", "usr/bin/ping"):
        assert os.path.lexists(rootfs / f), f"{arch} image has no /{f}"
    status = (rootfs / "var/lib/dpkg/status").read_text()
    assert f"Package: libc6\nStatus: install ok installed" in status
    assert f"Architecture: {arch}" in status
    assert (rootfs / "var/lib/omxd").is_dir(), "no mount point for the node's /var/lib/omxd"
    assert not list((rootfs / "etc/ssh").glob("ssh_host_*")), "host keys shared by every node"


def test_its_binaries_are_of_that_architecture(image):
    arch, d = image
    rootfs = d / "rootfs"
    for f in ("usr/bin/bash", "usr/bin/python3.11", "usr/sbin/sshd", "usr/bin/busybox", "usr/bin/ls"):
        assert elf_id(rootfs / f) == ELF_ID[arch], f"/{f} in the {arch} image is {elf_id(rootfs / f)}"


def test_the_product_is_installed_and_its_libraries_resolve_in_the_image(image):
    arch, d = image
    rootfs = d / "rootfs"
    if not (d / "product.stamp").exists():
        pytest.skip(f"{arch} image has no product layer: {PRODUCT[arch]} is not built")
    for f in ("usr/local/sbin/omxd", "usr/local/sbin/omdiscd", "usr/local/bin/mosctl", "usr/local/bin/mps",
              "usr/local/bin/vcluster-guestd", "etc/init.d/openmosix"):
        assert os.path.lexists(rootfs / f), f"/{f} is not in the {arch} image"
    binaries = product_binaries(rootfs)
    assert len(binaries) >= 10
    missing = []
    for b in binaries:
        assert elf_id(b) == ELF_ID[arch], f"{b} is not an {arch} binary"
        todo, seen = list(needed(b)), set()
        while todo:
            so = todo.pop()
            if so in seen:
                continue
            seen.add(so)
            lib = find_in_image(rootfs, arch, so)
            if lib is None:
                missing.append(f"{b.name}: {so}")
            else:
                todo.extend(needed(lib))
    assert not missing, f"libraries missing from the {arch} image: {missing}"
    if arch == "amd64":   # the image's own loader agrees (omx-restorer is static: no loader)
        for b in (b for b in binaries if needed(b)):
            r = subprocess.run(["chroot", str(rootfs), "ldd", "/" + str(b.relative_to(rootfs))],
                               capture_output=True, text=True)
            assert r.returncode == 0 and "not found" not in r.stdout, f"ldd {b.name} in the image:\n{r.stdout}{r.stderr}"


def test_a_second_run_with_nothing_changed_takes_seconds(image):
    arch, _ = image
    product = ("--product", str(PRODUCT[arch])) if PRODUCT[arch].is_dir() else ()
    out, seconds = build(arch, *product)
    assert "base layer up to date" in out
    assert "debootstrap" not in out
    assert seconds < 30, f"a cached run took {seconds:.1f} s"


def test_a_product_change_rebuilds_the_product_layer_only(image, tmp_path):
    """On a hard-linked copy of the image, so the real one (which clusters may be using)
    stays as it was: that also checks that a new product never writes through old inodes.
    The product is a DESTDIR tree made from the image's own product layer, which the test
    changes (a CMake build dir cannot be copied: its install script names the original's files)."""
    arch, d = image
    if not (d / "product.stamp").exists():
        pytest.skip(f"{arch} image has no product layer: {PRODUCT[arch]} is not built")
    cache = tmp_path / "cache"
    copy = cache / arch
    copy.mkdir(parents=True)
    try:
        subprocess.run(["cp", "-al", str(d / "rootfs"), str(copy / "rootfs")], check=True)
        for f in ("base.stamp", "product.stamp", "product.manifest"):
            shutil.copy2(d / f, copy / f)
        root = tmp_path / "destdir"
        for rel in (d / "product.manifest").read_text().splitlines():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(d / "rootfs" / rel, root / rel, follow_symlinks=False)
        args = ("--cache", str(cache), "--product", str(root))
        base_stamp = (copy / "base.stamp").stat()

        out, _ = build(arch, *args)   # the layer from this tree: same files, maybe fewer empty dirs
        assert "debootstrap" not in out, out
        omxd = root / "usr/local/sbin/omxd"
        os.utime(omxd)   # a touch changes nothing the image holds
        out, _ = build(arch, *args)
        assert "product layer up to date" in out, out

        original = (d / "rootfs/usr/local/sbin/omxd").read_bytes()
        omxd.write_bytes(original + b"changed by test_vm_images")
        (root / "usr/local/bin/omx-vm-image-marker").write_text("marker\n")
        out, seconds = build(arch, *args)
        assert "product layer from" in out and "debootstrap" not in out, out
        assert (copy / "base.stamp").stat().st_mtime == base_stamp.st_mtime, "the base layer was rebuilt"
        assert (copy / "rootfs/usr/local/sbin/omxd").read_bytes().endswith(b"changed by test_vm_images")
        assert (copy / "rootfs/usr/local/bin/omx-vm-image-marker").exists()
        assert (d / "rootfs/usr/local/sbin/omxd").read_bytes() == original, \
            "the product step wrote through a hard link into the original image"
        print(f"\nproduct layer rebuilt in {seconds:.1f} s")

        (root / "usr/local/bin/omx-vm-image-marker").unlink()
        build(arch, *args)
        assert not (copy / "rootfs/usr/local/bin/omx-vm-image-marker").exists(), \
            "a file the product no longer installs stayed in the image"
    finally:
        shutil.rmtree(tmp_path, ignore_errors=True)
