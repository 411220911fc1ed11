#!/bin/sh
# Installs the thermogate package on this machine and checks what its
# maintainer scripts did, then removes and purges it. It changes this machine
# (packages, the thermogate user): CI runs it through
# `DEB_INSTALL_TEST=1 make deploy-check`. It refuses to run where
# /var/lib/thermogate already exists, so it never touches a kiosk's data.
#   scripts/test-deb-install.sh dist/thermogate_<version>_amd64.deb
set -eu
[ $# -eq 1 ] || {
	echo "usage: $0 PACKAGE.deb" >&2
	exit 2
}
deb=$(realpath "$1")
state=/var/lib/thermogate

fail() {
	echo "test-deb-install: FAIL: $*" >&2
	exit 1
}
[ "$(id -u)" -eq 0 ] || fail "needs root: it installs the package"
if [ -e "$state" ]; then
	fail "$state exists on this machine: refusing to install over what may be a kiosk's data"
fi
user_existed=false
getent passwd thermogate >/dev/null && user_existed=true

tmp=$(mktemp -d)
cleanup() {
	rm -rf "$tmp"
	# Leave the machine as it was, but for the packages apt pulled in.
	dpkg -P thermogate >/dev/null 2>&1 || true
	rm -rf "$state"
	if ! $user_existed; then
		deluser --system thermogate >/dev/null 2>&1 || true
		delgroup --system thermogate >/dev/null 2>&1 || true
	fi
}
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
export LANG=en_GB.UTF-8 # Fyne complains about the C locale
apt-get update -qq
apt-get install -y -qq "$deb" >"$tmp/install.log" 2>&1 || fail "apt-get install failed: $(tail -n 20 "$tmp/install.log")"

# The user, its groups and its state directory.
pw=$(getent passwd thermogate) || fail "no thermogate user after install"
uid=$(echo "$pw" | cut -d: -f3)
[ "$uid" -lt 1000 ] || fail "thermogate is not a system user: $pw"
[ "$(echo "$pw" | cut -d: -f6)" = "$state" ] || fail "thermogate's home is not $state: $pw"
[ "$(echo "$pw" | cut -d: -f7)" = /usr/sbin/nologin ] || fail "thermogate can log in: $pw"
for g in i2c video render input; do
	id -nG thermogate | tr ' ' '\n' | grep -qx "$g" || fail "thermogate is not in group $g: $(id thermogate)"
done
[ "$(stat -c '%a %U:%G' "$state")" = "700 thermogate:thermogate" ] || fail "$state is $(stat -c '%a %U:%G' "$state")"

# The installed units, with the real xinit and thermogate in place.
for unit in thermogate-kiosk.service thermogate-headless.service; do
	out=$(systemd-analyze verify "/usr/lib/systemd/system/$unit" 2>&1) || fail "$unit: $out"
	[ -z "$out" ] || fail "$unit: $out"
done
[ -x /usr/lib/xorg/Xorg ] || fail "the X server the kiosk unit starts (/usr/lib/xorg/Xorg) was not installed with the package"

# The configuration as installed is valid, and the daemon runs as thermogate
# in its state directory (with the simulated sensor: no I²C here).
thermogate config check /etc/thermogate/config.toml >/dev/null || fail "the packaged configuration does not pass config check"
sed -e 's/^driver = "mlx90614"/driver = "sim"/' /etc/thermogate/config.toml >"$tmp/sim.toml"
chmod 0644 "$tmp/sim.toml"
chmod 0755 "$tmp"
LANG=en_GB.UTF-8 timeout -s TERM 5 runuser -u thermogate -- thermogate run --headless --config "$tmp/sim.toml" \
	>"$tmp/run.log" 2>&1 || [ $? -eq 124 ] || fail "thermogate run --headless as thermogate failed: $(cat "$tmp/run.log")"
grep -q "kiosk running" "$tmp/run.log" || fail "the daemon did not start: $(cat "$tmp/run.log")"
[ "$(stat -c '%a %U' "$state/thermogate.db")" = "600 thermogate" ] || fail "the database is $(stat -c '%a %U' "$state/thermogate.db")"

# A changed configuration survives reinstalling (a conffile).
echo "# changed by the installer" >>/etc/thermogate/config.toml
dpkg -i "$deb" >"$tmp/reinstall.log" 2>&1 || fail "reinstall failed: $(cat "$tmp/reinstall.log")"
grep -q "changed by the installer" /etc/thermogate/config.toml || fail "reinstalling overwrote the changed configuration"

# Remove: the program goes, the data, the user and the configuration stay.
dpkg -r thermogate >"$tmp/remove.log" 2>&1 || fail "dpkg -r failed: $(cat "$tmp/remove.log")"
[ ! -e /usr/bin/thermogate ] || fail "/usr/bin/thermogate is still there after remove"
[ -f "$state/thermogate.db" ] || fail "remove deleted the database"
getent passwd thermogate >/dev/null || fail "remove deleted the thermogate user"
[ -f /etc/thermogate/config.toml ] || fail "remove deleted the configuration"
# Purge: the configuration goes, the data still stays.
dpkg -P thermogate >"$tmp/purge.log" 2>&1 || fail "dpkg -P failed: $(cat "$tmp/purge.log")"
[ ! -e /etc/thermogate/config.toml ] || fail "purge left /etc/thermogate/config.toml"
[ -f "$state/thermogate.db" ] || fail "purge deleted the database"
grep -q "stays in $state" "$tmp/purge.log" || fail "purge did not say where the data stays: $(cat "$tmp/purge.log")"
