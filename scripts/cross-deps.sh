#!/bin/sh
# Installs what cross-building thermogate for the Raspberry Pi (linux/arm64)
# needs on Debian amd64, when it is missing, without Docker:
#   - the arm64 architecture in dpkg (multiarch), so apt can install arm64
#     libraries beside the amd64 ones;
#   - Debian's cross compiler and the arm64 C library for it;
#   - the arm64 -dev packages of the X11/OpenGL libraries Fyne links against
#     (their .pc files land in /usr/lib/aarch64-linux-gnu/pkgconfig);
#   - qemu-user, to run the arm64 binary on this machine in the checks.
# With --check it only says what is missing and exits 1 if anything is.
# It changes nothing when everything is there. Uses sudo only when not root.
set -eu

arch=arm64
packages="gcc-aarch64-linux-gnu pkg-config qemu-user libc6-dev:$arch
libgl1-mesa-dev:$arch libx11-dev:$arch libxcursor-dev:$arch libxrandr-dev:$arch
libxinerama-dev:$arch libxi-dev:$arch libxxf86vm-dev:$arch"

check=false
case "${1:-}" in
--check) check=true ;;
"") ;;
*)
	echo "cross-deps: unknown argument '$1' (usage: scripts/cross-deps.sh [--check])" >&2
	exit 2
	;;
esac

if ! command -v dpkg >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
	echo "cross-deps: this is not a Debian system (no dpkg/apt-get): cross-building needs Debian's multiarch" >&2
	exit 1
fi
host=$(dpkg --print-architecture)
if [ "$host" != amd64 ]; then
	echo "cross-deps: this script sets up cross-building on Debian amd64, but this machine is $host" >&2
	if [ "$host" = arm64 ]; then
		echo "cross-deps: on arm64, 'make build' already builds the Pi's binary" >&2
	fi
	exit 1
fi

foreign=true
dpkg --print-foreign-architectures | grep -qx "$arch" || foreign=false

missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done

if $check; then
	$foreign || echo "cross-deps: dpkg does not know the $arch architecture (dpkg --add-architecture $arch)"
	[ -z "$missing" ] || echo "cross-deps: missing packages:$missing"
	if $foreign && [ -z "$missing" ]; then exit 0; fi
	exit 1
fi

if $foreign && [ -z "$missing" ]; then
	exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	if ! command -v sudo >/dev/null 2>&1; then
		echo "cross-deps: needs root for apt-get; run as root: $0" >&2
		exit 1
	fi
	sudo="sudo"
fi

if ! $foreign; then
	echo "cross-deps: adding the $arch architecture to dpkg (multiarch)"
	$sudo dpkg --add-architecture "$arch"
fi
echo "cross-deps: installing$missing"
# Update even if lists exist: they predate the new architecture, and arm64
# libraries must match the installed amd64 ones version for version.
$sudo apt-get update -qq
# shellcheck disable=SC2086 # word splitting of the package list is intended
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
