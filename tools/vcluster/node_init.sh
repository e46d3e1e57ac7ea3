#!/bin/sh
# PID 1 of a vcluster UML node (installed as bin/vcluster-uml-init). The root is the host's
# file system through hostfs, read-only; this script gives the node what must be its own —
# /etc (an overlay: hostname, hosts, openmosix.map, cluster key), /tmp, /run, /dev/shm,
# /var/lib/omxd — makes the host directories the node writes to writable (the cluster's
# state dir for logs, the build tree for reports), brings up eth0 and hands PID 1 to
# vcluster-guestd, which the host asks to start omxd and everything else.
# Its parameters come from the kernel command line as environment: VC_NODE, VC_ADDR,
# VC_PREFIX, VC_GATEWAY, VC_DIR (state dir), VC_BIN (our binaries), VC_RW (dirs, ':'-separated).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
fail() { echo "vcluster-uml-init: $*" >&2; exec sleep 1000000000; }

mount -t proc proc /proc || fail "cannot mount /proc"
mount -t sysfs sysfs /sys
mount -t tmpfs -o mode=755 tmpfs /run || fail "cannot mount /run"
mkdir -p /dev/pts /dev/shm && mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=755 tmpfs /var/lib/omxd 2>/dev/null || true
mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null || true

modules=/usr/lib/uml/modules/$(uname -r)
for m in fs/overlayfs/overlay fs/fuse/fuse drivers/net/tun; do
    insmod "$modules/kernel/$m.ko" 2>/dev/null
done

# Host dirs the node writes to, at their own paths (hostfs mounts of the host's tree).
IFS=:
for d in $VC_DIR $VC_RW; do
    [ -n "$d" ] || continue
    mkdir -p "$d" 2>/dev/null
    mount -t hostfs -o "$d" none "$d" || fail "cannot mount host dir $d"
done
unset IFS

node_files="$VC_DIR/node$VC_NODE/etc"
mkdir -p /run/vc/etc.upper /run/vc/etc.work
mount -t overlay overlay -o lowerdir=/etc,upperdir=/run/vc/etc.upper,workdir=/run/vc/etc.work /etc ||
    fail "cannot put an overlay on /etc (no overlay module in $modules?)"
rm -f /etc/openmosix.map /etc/mosix.map /etc/hpc.map
cp -a "$node_files/." /etc/ || fail "cannot copy the node's files from $node_files"
hostname "$(cat /etc/hostname)"

ip link set lo up
ip addr add "$VC_ADDR/$VC_PREFIX" dev eth0 || fail "no eth0"
ip link set eth0 up
ip route add default via "$VC_GATEWAY"
# Multicast (autodiscovery) leaves by eth0.
ip route add 224.0.0.0/4 dev eth0 2>/dev/null

echo "vcluster-uml-init: node $VC_NODE up at $VC_ADDR"
exec "$VC_BIN/vcluster-guestd" --listen "$VC_ADDR" --key /etc/openmosix/cluster.key
