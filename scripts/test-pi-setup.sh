#!/bin/sh
# Tests deploy/pi-setup.sh without a Raspberry Pi: the boot partition is a
# directory (PI_SETUP_ROOT), and systemctl, apt-get, dpkg, dpkg-query,
# timedatectl and id are stand-ins on PATH that keep their state in files.
#   scripts/test-pi-setup.sh dist/thermogate_<version>_arm64.deb WORKDIR
set -eu
[ $# -eq 2 ] || {
	echo "usage: $0 PACKAGE_arm64.deb WORKDIR" >&2
	exit 2
}
deb=$(realpath "$1")
work=$2
setup=$(realpath deploy/pi-setup.sh)
rm -rf "$work"
mkdir -p "$work/stubs" "$work/state" "$work/root/boot/firmware"
state=$(realpath "$work/state")

fail() {
	echo "test-pi-setup: FAIL: $*" >&2
	exit 1
}

# --- stand-ins -----------------------------------------------------------------------
# Each logs its arguments to state/calls.
cat >"$work/stubs/systemctl" <<EOF
#!/bin/sh
echo "systemctl \$*" >>"$state/calls"
cmd=\$1
shift
quiet=""
if [ "\$1" = --quiet ]; then quiet=1; shift; fi
now=""
if [ "\$1" = --now ]; then now=1; shift; fi
unit=\$1
case "\$cmd" in
is-enabled)
	if [ -e "$state/enabled-\$unit" ]; then [ -n "\$quiet" ] || echo enabled; exit 0; fi
	[ -n "\$quiet" ] || echo disabled
	exit 1 ;;
is-active) [ -e "$state/active-\$unit" ] ;;
enable)
	[ -z "\$now" ] || touch "$state/active-\$unit"
	touch "$state/enabled-\$unit" ;;
disable) rm -f "$state/enabled-\$unit" ;;
*) echo "systemctl stand-in: unexpected \$cmd \$*" >&2; exit 1 ;;
esac
EOF
cat >"$work/stubs/apt-get" <<EOF
#!/bin/sh
echo "apt-get \$*" >>"$state/calls"
for a; do
	case "\$a" in
	*.deb) dpkg-deb -f "\$a" Version >"$state/thermogate" ;;
	systemd-timesyncd) touch "$state/timesyncd" ;;
	esac
done
EOF
cat >"$work/stubs/dpkg-query" <<EOF
#!/bin/sh
for a; do pkg=\$a; done
case "\$pkg" in
thermogate) [ -e "$state/thermogate" ] || exit 1; printf 'install ok installed %s' "\$(cat "$state/thermogate")" ;;
systemd-timesyncd) [ -e "$state/timesyncd" ] || exit 1; printf 'install ok installed 252' ;;
*) exit 1 ;;
esac
EOF
cat >"$work/stubs/dpkg" <<'EOF'
#!/bin/sh
[ "$1" = --print-architecture ] && { echo arm64; exit 0; }
echo "dpkg stand-in: unexpected $*" >&2; exit 1
EOF
cat >"$work/stubs/timedatectl" <<EOF
#!/bin/sh
echo "timedatectl \$*" >>"$state/calls"
case "\$1" in
show) cat "$state/ntp" 2>/dev/null || echo no ;;
set-ntp) echo yes >"$state/ntp" ;;
esac
EOF
printf '#!/bin/sh\necho 0\n' >"$work/stubs/id"
chmod +x "$work/stubs/"*

# A stock bookworm boot partition, as far as pi-setup.sh reads it.
config=$work/root/boot/firmware/config.txt
cmdline=$work/root/boot/firmware/cmdline.txt
cat >"$config" <<'EOF'
# For more options and information see
# http://rptl.io/configtxt
# Some settings may impact device functionality. See link above for details

# Uncomment some or all of these to enable the optional hardware interfaces
#dtparam=i2c_arm=on
#dtparam=i2s=on
#dtparam=spi=on

# Enable audio (loads snd_bcm2835)
dtparam=audio=on

# Enable DRM VC4 V3D driver
dtoverlay=vc4-kms-v3d
max_framebuffers=2

[cm4]
# Enable host mode on the 2711 built-in XHCI USB controller.
otg_mode=1

[pi4]
# Run as fast as firmware / board allows
arm_boost=1
EOF
echo "console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 fsck.repair=yes rootwait" >"$cmdline"
touch "$state/enabled-getty@tty1.service" "$state/timesyncd"
cp "$config" "$work/config.orig"
cp "$cmdline" "$work/cmdline.orig"

# pisetup LOG ARGS...: runs pi-setup.sh with the stand-ins, output to LOG.
pisetup() {
	log=$1
	shift
	PATH="$(realpath "$work/stubs"):$PATH" PI_SETUP_ROOT="$(realpath "$work/root")" sh "$setup" "$@" >"$log" 2>&1
}

# --- dry run: says everything, changes nothing ----------------------------------------------
pisetup "$work/dry.log" --dry-run "$deb" || fail "dry run failed: $(cat "$work/dry.log")"
cmp -s "$config" "$work/config.orig" || fail "the dry run changed config.txt"
cmp -s "$cmdline" "$work/cmdline.orig" || fail "the dry run changed cmdline.txt"
if grep -Ev "^systemctl is-|^timedatectl show" "$state/calls" 2>/dev/null; then
	fail "the dry run changed the system (calls above)"
fi
for w in "dtparam=i2c_arm=on" "dtparam=i2c_arm_baudrate=100000" "would run: apt-get" "consoleblank=0" \
	"would run: systemctl enable thermogate-kiosk.service" "would run: systemctl disable getty@tty1.service" "Would change:"; do
	grep -qF "$w" "$work/dry.log" || fail "the dry run does not mention '$w': $(cat "$work/dry.log")"
done

# --- first run: changes what is needed ---------------------------------------------------------
pisetup "$work/run1.log" "$deb" || fail "first run failed: $(cat "$work/run1.log")"
[ "$(grep -c '^dtparam=i2c_arm=on$' "$config")" = 1 ] || fail "config.txt: want dtparam=i2c_arm=on once: $(cat "$config")"
[ "$(grep -c '^dtparam=i2c_arm_baudrate=100000$' "$config")" = 1 ] || fail "config.txt: want the baud rate once"
# The lines must apply to every model: after an [all] section, not inside [pi4].
tail -n 4 "$config" | head -n 1 | grep -qx '\[all\]' || fail "config.txt: the I2C lines are not in an [all] section: $(cat "$config")"
grep -q "rootwait consoleblank=0$" "$cmdline" || fail "cmdline.txt: $(cat "$cmdline")"
[ "$(wc -l <"$cmdline")" = 1 ] || fail "cmdline.txt is no longer one line"
cmp -s "$work/root/boot/firmware/config.txt.thermogate-orig" "$work/config.orig" || fail "no backup of config.txt"
[ "$(cat "$state/thermogate")" = "$(dpkg-deb -f "$deb" Version)" ] || fail "the package was not installed"
[ -e "$state/enabled-thermogate-kiosk.service" ] || fail "the kiosk was not enabled"
[ ! -e "$state/enabled-getty@tty1.service" ] || fail "getty@tty1 is still enabled"
[ "$(cat "$state/ntp")" = yes ] || fail "NTP was not switched on"
[ -e "$state/active-systemd-timesyncd.service" ] || fail "timesyncd was not started"
grep -q "reboot" "$work/run1.log" || fail "the first run does not ask for a reboot"

# --- second run: changes nothing --------------------------------------------------------------
cp "$config" "$work/config.1"
: >"$state/calls"
pisetup "$work/run2.log" "$deb" || fail "second run failed: $(cat "$work/run2.log")"
cmp -s "$config" "$work/config.1" || fail "the second run changed config.txt"
grep -A1 "^Changed:" "$work/run2.log" | grep -q "(nothing)" || fail "the second run changed something: $(cat "$work/run2.log")"
if grep -Ev "^systemctl is-|^timedatectl show" "$state/calls"; then
	fail "the second run changed the system (calls above)"
fi
grep -q "thermogate-kiosk was already enabled" "$work/run2.log" || fail "the second run does not say what it left"

# --- settings that were there but wrong are replaced, not doubled ---------------------------------
sed -i 's/^dtparam=i2c_arm=on$/dtparam=i2c_arm=off/; s/^dtparam=i2c_arm_baudrate=100000$/dtparam=i2c_arm_baudrate=400000/' "$config"
sed -i 's/consoleblank=0/consoleblank=600/' "$cmdline"
pisetup "$work/run3.log" "$deb" || fail "third run failed: $(cat "$work/run3.log")"
cmp -s "$config" "$work/config.1" || fail "wrong values were not replaced in place: $(diff "$work/config.1" "$config")"
grep -q "rootwait consoleblank=0$" "$cmdline" || fail "consoleblank=600 was not replaced: $(cat "$cmdline")"

# --- refusals name the problem ---------------------------------------------------------------------
if pisetup "$work/missing.log" "$work/no-such.deb"; then fail "a missing package file was accepted"; fi
grep -q "no such package file" "$work/missing.log" || fail "missing file: $(cat "$work/missing.log")"
amd64=$(dirname "$deb")/$(basename "$deb" _arm64.deb)_amd64.deb
if [ -f "$amd64" ]; then
	if pisetup "$work/arch.log" "$amd64"; then fail "an amd64 package was accepted on an arm64 Pi"; fi
	grep -q "is for amd64, this system is arm64" "$work/arch.log" || fail "wrong architecture: $(cat "$work/arch.log")"
fi
rm "$config"
if pisetup "$work/noboot.log" "$deb"; then fail "a system without config.txt was accepted"; fi
grep -q "no config.txt" "$work/noboot.log" || fail "no config.txt: $(cat "$work/noboot.log")"
