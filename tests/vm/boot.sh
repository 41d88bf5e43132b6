#!/usr/bin/env bash
# Boots the Debian kernel under QEMU (TCG: nested KVM hangs on these
# machines) into a pure cgroup-v2 hierarchy and runs one script there as
# root. The guest's root is the host's / over 9p, read-only, under a tmpfs
# overlay, so the nucleus binary just built runs unchanged. Adapted from the
# verified recipe in ../shared/notes/machine.md.
#
#   tests/vm/boot.sh SCRIPT [ARG...]    prints the script's stdout and stderr,
#                                       exits with its status (125: no status)
#
# VM_APPEND adds kernel arguments (tests/vm/run.sh boots with lockdown=integrity).
# Needs (Debian 12, root): qemu-system-x86 linux-image-amd64 busybox-static
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 script [arg...]" >&2; exit 2; }
KERNEL=$(ls -v /boot/vmlinuz-* | tail -1)
VERSION=${KERNEL##*/vmlinuz-}
CACHE=${VM_CACHE:-/var/tmp/nucleus-vm}
mkdir -p "$CACHE"

# The uncompressed kernel boots through its PVH entry point: no firmware, no
# in-guest decompression, about half the boot time.
VMLINUX=$CACHE/vmlinux-$VERSION
if [ ! -s "$VMLINUX" ]; then
    offset=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$KERNEL" | head -1 | cut -d: -f1)
    tail -c +$((offset + 1)) "$KERNEL" | xz -dc --single-stream > "$VMLINUX.part" 2>/dev/null || true
    mv "$VMLINUX.part" "$VMLINUX"
fi

INITRD=$CACHE/initrd-$VERSION.gz
if [ ! -s "$INITRD" ] || [ "$INITRD" -ot "$0" ]; then
    build=$(mktemp -d "$CACHE/build.XXXXXX")
    mkdir -p "$build"/{bin,lib/modules,proc,sys,dev,lower,upper,newroot,io}
    cp /bin/busybox "$build/bin/"
    modprobe -S "$VERSION" -D -a virtio_pci 9pnet_virtio 9p overlay |
        awk '$1 == "insmod" && !seen[$2]++ { print $2 }' | while read -r module; do
        cp "$module" "$build/lib/modules/"
        basename "$module" >> "$build/modules"
    done
    cat > "$build/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
for module in $(cat /modules); do insmod /lib/modules/$module; done
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 host /lower
mount -t tmpfs -o mode=755 tmpfs /upper; mkdir /upper/u /upper/w
mount -t overlay overlay -o lowerdir=/lower,upperdir=/upper/u,workdir=/upper/w /newroot
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 io /io
R=/newroot
mount --move /proc $R/proc; mount --move /sys $R/sys; mount --move /dev $R/dev
mount -t cgroup2 -o nosuid,nodev,noexec,nsdelegate,memory_recursiveprot cgroup2 $R/sys/fs/cgroup
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts $R/dev/pts
mount -t tmpfs -o nosuid,nodev tmpfs $R/dev/shm
mount -t tmpfs -o mode=755 tmpfs $R/run
mkdir -p $R/vmio; mount --move /io $R/vmio
rm -f $R/.dockerenv
mkdir -p $R/run/vm; cp /bin/busybox /stage2 $R/run/vm/
exec switch_root $R /run/vm/busybox sh /run/vm/stage2
INIT
    cat > "$build/stage2" <<'STAGE2'
/run/vm/busybox ip link set lo up
/usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root /bin/bash /vmio/cmd </dev/null >/vmio/stdout 2>/vmio/stderr
echo $? > /vmio/rc
/run/vm/busybox sync
/run/vm/busybox poweroff -f
STAGE2
    chmod 755 "$build/init"
    (cd "$build" && find . | cpio -o -H newc --quiet) | gzip -1 > "$INITRD"
    rm -rf "$build"
fi

IO=$(mktemp -d "$CACHE/run.XXXXXX")
trap 'rm -rf "$IO"' EXIT
{ printf 'exec'; printf ' %q' "$@"; printf '\n'; } > "$IO/cmd"
set +e
timeout -k 5 "${VM_TIMEOUT:-900}" qemu-system-x86_64 -accel tcg -cpu max -m 1G -smp 1 \
    -nodefaults -no-user-config -display none -no-reboot -serial "file:$IO/console.log" \
    -kernel "$VMLINUX" -initrd "$INITRD" -append "console=ttyS0 quiet panic=-1 ${VM_APPEND:-}" \
    -virtfs local,path=/,mount_tag=host,security_model=passthrough,readonly=on,multidevs=remap \
    -virtfs "local,path=$IO,mount_tag=io,security_model=passthrough" </dev/null >"$IO/qemu.log" 2>&1
set -e
cat "$IO/stdout" 2>/dev/null || true
cat "$IO/stderr" >&2 2>/dev/null || true
if [ ! -s "$IO/rc" ]; then
    echo "vm: the guest reported no status; its console:" >&2
    cat "$IO/console.log" "$IO/qemu.log" >&2 || true
    exit 125
fi
exit "$(cat "$IO/rc")"
