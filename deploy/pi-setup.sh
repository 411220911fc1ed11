#!/bin/sh
# Prepares a Raspberry Pi (Raspberry Pi OS Lite 64-bit, bookworm) for
# thermogate: I²C at 100 kHz for the MLX90614, the thermogate package, no
# screen blanking, time synchronisation, and the kiosk on tty1 at boot.
# Run it again at any time: it changes only what is not yet as it should be,
# and says what it changed and what it left as it was.
#
#   sudo deploy/pi-setup.sh thermogate_1.0.0_arm64.deb
#   deploy/pi-setup.sh --dry-run thermogate_1.0.0_arm64.deb   # only says what it would do
#
# PI_SETUP_ROOT=DIR makes it look for the boot files under DIR instead of /
# (for its tests).
set -eu

prog=pi-setup
usage() {
	cat <<EOF
usage: $0 [--dry-run] [PACKAGE.deb]

Prepares this Raspberry Pi for the thermogate kiosk:
  - I²C on at 100 kHz in the boot configuration (config.txt)
  - installs PACKAGE.deb (thermogate and the X server it needs)
  - no console blanking (cmdline.txt); the kiosk's X server never blanks
  - time synchronisation with systemd-timesyncd
  - the kiosk (thermogate-kiosk.service) on tty1 at every boot
Without PACKAGE.deb, thermogate must already be installed.

  --dry-run   print what would change, change nothing
EOF
}

args="$*"
dry_run=false
deb=""
while [ $# -gt 0 ]; do
	case "$1" in
	-n | --dry-run) dry_run=true ;;
	-h | --help)
		usage
		exit 0
		;;
	-*)
		echo "$prog: unknown option '$1'" >&2
		usage >&2
		exit 2
		;;
	*)
		if [ -n "$deb" ]; then
			echo "$prog: one package only, got '$deb' and '$1'" >&2
			exit 2
		fi
		deb=$1
		;;
	esac
	shift
done

root=${PI_SETUP_ROOT:-}
changed=""
kept=""
reboot=false

say() { echo "$prog: $*"; }
die() {
	echo "$prog: $*" >&2
	exit 1
}
did() { changed="$changed
  - $*"; }
left() { kept="$kept
  - $*"; }
# run CMD...: runs it, or with --dry-run prints it.
run() {
	if $dry_run; then
		echo "  would run: $*"
	else
		"$@"
	fi
}

if ! $dry_run && [ "$(id -u)" -ne 0 ]; then
	die "must run as root: sudo $0 $args"
fi
if $dry_run; then
	say "dry run: nothing will be changed"
fi

# --- boot configuration: I²C at 100 kHz --------------------------------------
bootdir=""
for d in "$root/boot/firmware" "$root/boot"; do
	if [ -f "$d/config.txt" ]; then
		bootdir=$d
		break
	fi
done
[ -n "$bootdir" ] || die "no config.txt in $root/boot/firmware (bookworm) or $root/boot (older): is this Raspberry Pi OS?"
config=$bootdir/config.txt

# backup FILE: keeps the file as it was before this script first changed it.
backup() {
	if [ ! -e "$1.thermogate-orig" ] && ! $dry_run; then
		cp -p "$1" "$1.thermogate-orig"
		say "kept the original as $1.thermogate-orig"
	fi
}

append=""
# want_dtparam NAME VALUE: the boot configuration should say dtparam=NAME=VALUE.
want_dtparam() {
	name=$1 value=$2
	if grep -Eq "^[[:space:]]*dtparam=([^#]*,)?$name=$value([,[:space:]#]|$)" "$config"; then
		left "$config: dtparam=$name=$value was already set"
	elif grep -Eq "^[[:space:]]*dtparam=$name=[^,[:space:]#]*[[:space:]]*$" "$config"; then
		old=$(grep -E "^[[:space:]]*dtparam=$name=[^,[:space:]#]*[[:space:]]*$" "$config" | head -n 1)
		if $dry_run; then
			echo "  would replace '$old' with 'dtparam=$name=$value' in $config"
		else
			backup "$config"
			sed -i -E "s/^[[:space:]]*dtparam=$name=[^,[:space:]#]*[[:space:]]*$/dtparam=$name=$value/" "$config"
		fi
		did "$config: '$old' is now dtparam=$name=$value"
		reboot=true
	else
		append="${append}dtparam=$name=$value
"
		did "$config: added dtparam=$name=$value"
		reboot=true
	fi
}
want_dtparam i2c_arm on
want_dtparam i2c_arm_baudrate 100000
if [ -n "$append" ]; then
	if $dry_run; then
		printf '  would append to %s:\n[all]\n%s' "$config" "$append"
	else
		backup "$config"
		# [all]: lines after a [pi4] or [cm4] filter would apply to that model only.
		printf '\n[all]\n# thermogate: I2C for the MLX90614 thermometer at 100 kHz, its SMBus limit\n%s' "$append" >>"$config"
	fi
fi

# --- console blanking ----------------------------------------------------------
cmdline=$bootdir/cmdline.txt
if [ ! -f "$cmdline" ]; then
	left "no $cmdline: console blanking left as it is"
elif grep -Eq "(^|[[:space:]])consoleblank=0([[:space:]]|$)" "$cmdline"; then
	left "$cmdline: consoleblank=0 was already set"
else
	if grep -Eq "(^|[[:space:]])consoleblank=[0-9]+" "$cmdline"; then
		expr='1 s/consoleblank=[0-9]+/consoleblank=0/'
	else
		expr='1 s/[[:space:]]*$/ consoleblank=0/'
	fi
	if $dry_run; then
		echo "  would set consoleblank=0 on the kernel command line in $cmdline"
	else
		backup "$cmdline"
		sed -i -E "$expr" "$cmdline"
	fi
	did "$cmdline: consoleblank=0, the text console never blanks"
	reboot=true
fi

# --- the thermogate package ------------------------------------------------------
installed=$(dpkg-query -W -f='${Status} ${Version}' thermogate 2>/dev/null || true)
case "$installed" in
"install ok installed "*) installed=${installed#install ok installed } ;;
*) installed="" ;;
esac
if [ -n "$deb" ]; then
	[ -f "$deb" ] || die "no such package file: $deb"
	pkg=$(dpkg-deb -f "$deb" Package 2>/dev/null) || die "$deb is not a Debian package"
	[ "$pkg" = thermogate ] || die "$deb is the package '$pkg', not thermogate"
	version=$(dpkg-deb -f "$deb" Version)
	arch=$(dpkg-deb -f "$deb" Architecture)
	host=$(dpkg --print-architecture)
	if [ "$arch" != "$host" ] && [ "$arch" != all ]; then
		die "$deb is for $arch, this system is $host: use thermogate_${version}_$host.deb (64-bit Raspberry Pi OS is arm64)"
	fi
	if [ "$installed" = "$version" ]; then
		left "thermogate $version was already installed"
	else
		case "$deb" in
		/*) path=$deb ;;
		*) path=./$deb ;; # apt-get installs a file only when given as a path
		esac
		run apt-get update -qq
		run env DEBIAN_FRONTEND=noninteractive apt-get install -y "$path"
		if [ -n "$installed" ]; then
			did "thermogate $installed updated to $version (configuration kept)"
		else
			did "installed thermogate $version with the X server it needs"
		fi
	fi
elif [ -n "$installed" ]; then
	left "thermogate $installed was already installed (no package given)"
elif $dry_run; then
	left "thermogate is not installed and no package was given"
else
	die "thermogate is not installed: give the package, e.g. sudo $0 thermogate_1.0.0_arm64.deb"
fi

# --- time synchronisation ------------------------------------------------------------
other=""
for s in chrony.service ntpsec.service ntp.service openntpd.service; do
	if systemctl is-active --quiet "$s" 2>/dev/null; then
		other=$s
		break
	fi
done
if [ -n "$other" ]; then
	left "time synchronisation: $other is running, systemd-timesyncd left alone"
else
	if ! dpkg-query -W -f='${Status}' systemd-timesyncd 2>/dev/null | grep -q "install ok installed"; then
		run env DEBIAN_FRONTEND=noninteractive apt-get install -y systemd-timesyncd
		did "installed systemd-timesyncd"
	fi
	if systemctl is-enabled --quiet systemd-timesyncd.service 2>/dev/null && systemctl is-active --quiet systemd-timesyncd.service 2>/dev/null; then
		left "time synchronisation: systemd-timesyncd was already enabled and running"
	else
		run systemctl enable --now systemd-timesyncd.service
		did "time synchronisation: systemd-timesyncd enabled and started"
	fi
	if [ "$(timedatectl show -p NTP --value 2>/dev/null || true)" = yes ]; then
		left "time synchronisation: NTP was already on (timedatectl)"
	else
		run timedatectl set-ntp true
		did "time synchronisation: NTP switched on (timedatectl set-ntp true)"
	fi
fi

# --- the kiosk at boot -------------------------------------------------------------------
# is_enabled UNIT: true for enabled units (is-enabled prints "enabled", "alias", ...).
is_enabled() { [ "$(systemctl is-enabled "$1" 2>/dev/null || true)" = enabled ]; }
if is_enabled thermogate-headless.service; then
	run systemctl disable thermogate-headless.service
	did "thermogate-headless disabled: the kiosk replaces it"
fi
if is_enabled getty@tty1.service; then
	run systemctl disable getty@tty1.service
	did "no login prompt on tty1 at boot: the kiosk's screen is there (log in over SSH, or on tty2 with Ctrl+Alt+F2)"
else
	left "getty@tty1 was already disabled"
fi
if is_enabled thermogate-kiosk.service; then
	left "thermogate-kiosk was already enabled"
else
	run systemctl enable thermogate-kiosk.service
	did "thermogate-kiosk enabled: the kiosk starts on tty1 at every boot"
fi

# --- what happened -------------------------------------------------------------------------
echo
if $dry_run; then
	echo "Would change:${changed:-
  (nothing)}"
else
	echo "Changed:${changed:-
  (nothing)}"
fi
echo "Left as it was:${kept:-
  (nothing)}"
echo
if $reboot; then
	echo "Next: reboot to apply the boot configuration (sudo reboot); the kiosk starts by itself."
elif ! systemctl is-active --quiet thermogate-kiosk.service 2>/dev/null; then
	echo "Next: start the kiosk (sudo systemctl start thermogate-kiosk); it takes over tty1's screen."
fi
cat <<'EOF'
Check:
  i2cdetect -y 1                 the thermometer answers at 5a
  thermogate sensor info         its ID, emissivity and a reading
  timedatectl                    "System clock synchronized: yes", "NTP service: active"
  systemctl status thermogate-kiosk
EOF
