#!/bin/sh
# The init of a vcluster VM node (installed as bin/vcluster-node-init), UML and QEMU alike.
# The root is a directory of the host: through hostfs (UML), read-only, or through virtio-9p
# below a writable overlay (QEMU; vm-images/boot's initramfs made it). This script gives the
# node what must be its own — /etc (hostname, hosts, openmosix.map, cluster key), /tmp, /run,
# /dev/shm, /var/lib/omxd — mounts the host directories the node writes to at their host
# paths (the cluster's state dir for logs, the build tree for reports), brings up eth0 and
# hands PID 1 to vcluster-guestd, which the host asks to start omxd and everything else.
# Its parameters come from the kernel command line as environment: VC_NODE, VC_ADDR,
# VC_PREFIX, VC_GATEWAY, VC_DIR (state dir), VC_BIN (our binaries), VC_RW (dirs,
# ':'-separated), VC_SHARE (hostfs | 9p: how host directories reach the node; with 9p the
# state dir is tag rw0 and the VC_RW dirs rw1, rw2, … in order).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
fail() { echo "vcluster-node-init: $*" >&2; exec sleep 1000000000; }

mount -t proc proc /proc || fail "cannot mount /proc"
mount -t sysfs sysfs /sys
mount -t tmpfs -o mode=755 tmpfs /run || fail "cannot mount /run"
mkdir -p /dev/pts /dev/shm && mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=1777 tmpfs /tmp
mkdir -p /var/lib/omxd 2>/dev/null
mount -t tmpfs -o mode=755 tmpfs /var/lib/omxd 2>/dev/null || true
mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null || true

# UML's modules live on the host; a QEMU node's initramfs loaded its own already.
modules=/usr/lib/uml/modules/$(uname -r)
if [ -d "$modules" ]; then
    for m in fs/overlayfs/overlay fs/fuse/fuse drivers/net/tun; do
        insmod "$modules/kernel/$m.ko" 2>/dev/null
    done
fi

# Host dirs the node writes to, at their own paths.
mount_host_dir() {   # $1 = host path, $2 = its 9p tag
    mkdir -p "$1" 2>/dev/null
    case "${VC_SHARE:-hostfs}" in
        hostfs) mount -t hostfs -o "$1" none "$1" ;;
        # cache=mmap: no stale pages when the host rewrites a file; programs still mmap.
        9p) mount -t 9p -o trans=virtio,version=9p2000.L,cache=mmap,msize=262144 "$2" "$1" ;;
        *) false ;;
    esac || fail "cannot mount host dir $1 (${VC_SHARE:-hostfs})"
}
n=0
IFS=:
for d in $VC_DIR $VC_RW; do
    [ -n "$d" ] || continue
    unset IFS
    mount_host_dir "$d" "rw$n"
    n=$((n + 1))
    IFS=:
done
unset IFS

# The node's own /etc: an overlay where the root is read-only (UML), in place otherwise.
node_files="$VC_DIR/node$VC_NODE/etc"
if ! touch /etc/.vcluster-rw 2>/dev/null; then
    mkdir -p /run/vc/etc.upper /run/vc/etc.work
    mount -t overlay overlay -o lowerdir=/etc,upperdir=/run/vc/etc.upper,workdir=/run/vc/etc.work /etc ||
        fail "cannot put an overlay on /etc (no overlay module?)"
fi
rm -f /etc/.vcluster-rw /etc/openmosix.map /etc/mosix.map /etc/hpc.map
cp -a "$node_files/." /etc/ || fail "cannot copy the node's files from $node_files"
hostname "$(cat /etc/hostname)"

ip link set lo up
ip addr add "$VC_ADDR/$VC_PREFIX" dev eth0 || fail "no eth0"
ip link set eth0 up
ip route add default via "$VC_GATEWAY"
# Multicast (autodiscovery) leaves by eth0.
ip route add 224.0.0.0/4 dev eth0 2>/dev/null

echo "vcluster-node-init: node $VC_NODE up at $VC_ADDR"
exec "$VC_BIN/vcluster-guestd" --listen "$VC_ADDR" --key /etc/openmosix/cluster.key
