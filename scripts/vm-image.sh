#!/bin/bash
# Builds, or finds in its cache, the arm64 Debian bookworm guest that
# `make vm-check` boots (scripts/vm-check.sh): a raw ext4 root file system
# with the kernel and a small initrd beside it.
#
#   scripts/vm-image.sh PACKAGE_arm64.deb            prints the image's directory
#   scripts/vm-image.sh --cached PACKAGE_arm64.deb   the same, or exits 1 if not built
#
# The guest has systemd, udev, dbus, networkd, the kernel, and every
# package the thermogate package depends on or recommends (read from the
# .deb itself), so installing the .deb in the guest downloads nothing. The
# image directory is keyed on that package list, the mirror and this
# script: a new dependency or a change here builds a new image; anything
# else reuses it.
#
# VM_CACHE      cache directory (default /var/cache/thermogate-vm), outside
#               the repository; only the newest image is kept
# VM_MIRROR     Debian mirror (default: the one this machine's apt uses)
# VM_QEMU_USER  qemu-aarch64-static to run the guest's package scripts
#               (scripts/vm-check.sh passes it; see there for binfmt_misc)
#
# How: mmdebstrap --architectures=arm64 runs the packages' maintainer
# scripts under qemu-user. Building an initramfs there is what takes long,
# so update-initramfs is held off while the packages install, and one small
# initrd with only the modules the virtual machine needs is made at the end.
# The image is made with mkfs.ext4 -d (no loop mounts).
set -euo pipefail
cd "$(dirname "$0")/.."

cached_only=false
if [ "${1:-}" = --cached ]; then
	cached_only=true
	shift
fi
[ $# -eq 1 ] || {
	echo "usage: $0 [--cached] PACKAGE_arm64.deb" >&2
	exit 2
}
deb=$1
cache=${VM_CACHE:-/var/cache/thermogate-vm}
say() { echo "vm-image: $*" >&2; }
die() {
	echo "vm-image: FAIL: $*" >&2
	exit 1
}
[ -f "$deb" ] || die "no such package: $deb"

mirror=${VM_MIRROR:-}
if [ -z "$mirror" ]; then
	# The first Debian (not security) archive this machine's apt uses.
	mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -n 's|^URIs:[[:space:]]*\([^[:space:]]*/debian\)/\{0,1\}$|\1|p' | head -n 1)
	[ -n "$mirror" ] || mirror=$(sed -n 's|^deb[[:space:]]\+\(http[^[:space:]]*/debian\)/\{0,1\}[[:space:]]\+bookworm[[:space:]].*|\1|p' /etc/apt/sources.list 2>/dev/null | head -n 1)
	[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
fi

# What the guest has: a booting systemd machine with networking, curl for
# the check's downloads, and the thermogate package's Depends and Recommends
# (the first of each set of alternatives, without versions).
base="linux-image-arm64 initramfs-tools systemd-sysv udev dbus kmod iproute2 curl tzdata util-linux"
deps=$(dpkg-deb -f "$deb" Depends Recommends | sed 's/^[A-Za-z-]*://' | tr ',' '\n' |
	sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' | grep -v '^$' || true)
[ -n "$deps" ] || die "$deb names no dependencies"
# shellcheck disable=SC2086 # one word a package
packages=$(printf '%s\n' $base $deps | sort -u | tr '\n' ' ')
packages=${packages% }

key=$( (
	echo "bookworm arm64 $mirror"
	echo "$packages"
	cat "$0" scripts/vm-image-setup.sh
) | sha256sum | cut -c1-16)
dir=$cache/bookworm-arm64-$key
if [ -f "$dir/root.img" ] && [ -f "$dir/vmlinuz" ] && [ -f "$dir/initrd.img" ]; then
	say "cached image $dir"
	echo "$dir"
	exit 0
fi
if $cached_only; then
	say "no cached image for this package list (key $key) in $cache"
	exit 1
fi

[ "$(id -u)" -eq 0 ] || die "building the guest image needs root (mmdebstrap, mkfs.ext4 -d with owners)"
: "${VM_QEMU_USER:?VM_QEMU_USER is not set: run this through scripts/vm-check.sh}"
[ -x "$VM_QEMU_USER" ] || die "no qemu-user at $VM_QEMU_USER"
[ -e /proc/sys/fs/binfmt_misc/register ] || die "binfmt_misc is not mounted (scripts/vm-check.sh sets it up)"

say "building the guest image (cache key $key) from $mirror: $packages"
mkdir -p "$cache"
tmp=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root

# The modules the initrd needs to find and mount the root file system.
modules="virtio_pci virtio_blk virtio_net ext4"
# The downloaded packages are kept in $cache/debs for the next build.
mkdir -p "$cache/debs"
# The hooks run in the host shell with the guest root as $1.
# shellcheck disable=SC2016
mmdebstrap --mode=root --variant=apt --architectures=arm64 --skip=essential/unlink \
	--setup-hook="mkdir -p \"\$1/var/cache/apt/archives\" && find \"$cache/debs\" -name '*.deb' -exec cp -l {} \"\$1/var/cache/apt/archives/\" ';'" \
	--include="$(echo "$packages" | tr ' ' ',')" \
	--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
	--essential-hook='chroot "$1" dpkg-divert --quiet --local --rename --add /usr/sbin/update-initramfs && ln -s /bin/true "$1/usr/sbin/update-initramfs"' \
	--customize-hook='rm "$1/usr/sbin/update-initramfs" && chroot "$1" dpkg-divert --quiet --local --rename --remove /usr/sbin/update-initramfs' \
	--customize-hook="printf '%s\n' $modules >>\"\$1/etc/initramfs-tools/modules\" && sed -i 's/^MODULES=.*/MODULES=list/' \"\$1/etc/initramfs-tools/initramfs.conf\"" \
	--customize-hook='for k in "$1"/boot/vmlinuz-*; do v=${k##*/vmlinuz-}; chroot "$1" mkinitramfs -o "/boot/initrd.img-$v" "$v"; done' \
	--customize-hook="sh scripts/vm-image-setup.sh \"\$1\"" \
	--customize-hook="rm -rf \"$cache/debs\" && mkdir \"$cache/debs\" && mv \"\$1\"/var/cache/apt/archives/*.deb \"$cache/debs/\"" \
	bookworm "$root" "$mirror" >"$tmp/mmdebstrap.log" 2>&1 || {
	tail -n 40 "$tmp/mmdebstrap.log" >&2
	die "mmdebstrap failed (last lines above)"
}

mkdir -p "$tmp/out"
cp "$root"/boot/vmlinuz-* "$tmp/out/vmlinuz"
cp "$root"/boot/initrd.img-* "$tmp/out/initrd.img"
echo "$packages" >"$tmp/out/packages.txt"
chroot "$root" dpkg-query -W >"$tmp/out/versions.txt"
# Room for the thermogate package and the test's files; sparse on disk.
# (mkfs.ext4 -d talks on stdout even with -q: stdout is this script's answer)
mkfs.ext4 -q -F -L thermogate-vm -d "$root" "$tmp/out/root.img" 3G >&2 || die "mkfs.ext4 -d failed"
rm -rf "$root"
# Only the newest image is kept.
for old in "$cache"/bookworm-arm64-*; do
	[ -e "$old" ] && rm -rf "$old"
done
mv "$tmp/out" "$dir"
say "built $dir ($(du -sh --apparent-size "$dir/root.img" | cut -f1) image, $(du -sh "$dir/root.img" | cut -f1) on disk)"
echo "$dir"
