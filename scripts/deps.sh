#!/bin/sh
# Installs the Debian packages thermogate's build needs, when they are missing:
# a C compiler and the X11/OpenGL headers Fyne's cgo build links against.
# It changes nothing when everything is there. Uses sudo only when not root.
set -eu

packages="gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev"
# Extra packages for a group of targets, e.g. DEPS_EXTRA="xvfb xdotool".
packages="$packages ${DEPS_EXTRA:-}"

missing=""
if command -v dpkg-query >/dev/null 2>&1; then
	for p in $packages; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
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
		echo "deps: missing packages:$missing; run as root: apt-get install$missing" >&2
		exit 1
	fi
	sudo="sudo"
fi
echo "deps: installing$missing"
$sudo apt-get update -qq
# shellcheck disable=SC2086 # one word a package
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
