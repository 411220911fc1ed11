#!/bin/sh
# Installs the Debian packages thermogate's build and tests need, when they
# are missing, on Debian 12 or Raspberry Pi OS (bookworm), a bare one
# included: the C compiler with the C library's headers (cgo), pkg-config and
# the X11/OpenGL headers Fyne's cgo build links against.
#
# A target that needs more names it in DEPS_EXTRA, e.g.
#   DEPS_EXTRA="xvfb xdotool" scripts/deps.sh
# (the Makefile sets DEPS_EXTRA per target: see TEST_DEPS and DEPLOY_DEPS
# there). It changes nothing when everything is there. Uses sudo only when
# not root. Quiet: one line naming what it installs; apt's own output is
# shown only when apt fails.
set -eu

# libc6-dev: gcc --no-install-recommends brings no C library headers
# (pthread.h, stdint.h), and every cgo build needs them.
packages="gcc libc6-dev pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev"
packages="$packages ${DEPS_EXTRA:-}"

missing=""
if command -v dpkg-query >/dev/null 2>&1; then
	# Only this machine's own architecture (or "all") counts: the arm64
	# -dev packages of make cross-deps do not build the native binary.
	arch=$(dpkg --print-architecture)
	for p in $packages; do
		dpkg-query -W -f='${Status} ${Architecture}\n' "$p" 2>/dev/null |
			grep -Eq "^install ok installed ($arch|all)\$" || missing="$missing $p"
	done
else
	# Not Debian: check what the build itself needs and say what is missing.
	command -v gcc >/dev/null 2>&1 || missing="$missing gcc"
	if ! pkg-config --exists gl x11 xcursor xrandr xinerama xi xxf86vm 2>/dev/null; then
		missing="$missing (OpenGL and X11 development headers: gl x11 xcursor xrandr xinerama xi xxf86vm)"
	fi
	if [ -n "$missing" ]; then
		echo "deps: this is not a Debian system; install by hand:$missing" >&2
		exit 1
	fi
	exit 0
fi

[ -z "$missing" ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	if ! command -v sudo >/dev/null 2>&1; then
		echo "deps: missing packages:$missing; run as root: apt-get install --no-install-recommends$missing" >&2
		exit 1
	fi
	sudo="sudo"
fi
echo "deps: installing$missing"
log=$(mktemp "${TMPDIR:-/tmp}/thermogate-deps.XXXXXX")
# Wait for another apt (unattended-upgrades, a second make) rather than fail.
apt="apt-get -o DPkg::Lock::Timeout=600"
# shellcheck disable=SC2086 # one word a package; $sudo and $apt split on purpose
if ! { $sudo $apt update &&
	$sudo env DEBIAN_FRONTEND=noninteractive $apt install -y --no-install-recommends $missing; } >"$log" 2>&1 </dev/null; then
	cat "$log" >&2
	rm -f "$log"
	echo "deps: FAIL: apt-get could not install$missing (its output above)" >&2
	exit 1
fi
rm -f "$log"
