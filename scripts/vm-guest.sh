#!/bin/sh
# The guest side of `make vm-check` (scripts/vm-check.sh). It runs inside the
# arm64 Debian virtual machine at every boot (vmcheck.service, as root), is
# fetched from the host's HTTP server (URL as $1, the host's 10.0.2.2), and
# reports on the serial console with lines the host waits for:
#   VMCHECK ok NAME [detail]      a step passed
#   VMCHECK fail NAME detail      a step failed; the check stops
# Where the host must act on the screen (screendumps, taps through QMP), the
# guest waits for the host to create go/NAME on its HTTP server.
# Which boot this is lives in /root/vmcheck-stage (the disk is the run's
# own overlay).
set -u
url=$1
stagefile=/root/vmcheck-stage
stage=$(cat "$stagefile" 2>/dev/null || echo 0)
tz=Europe/Vilnius # the configuration's timezone (deploy/config.example.toml)
state=/var/lib/thermogate
export LANG=C.UTF-8

ok() { echo "VMCHECK ok $*"; }
fail() {
	systemctl status --no-pager -n 30 thermogate-kiosk.service 2>&1 | sed 's/^/  | /'
	echo "VMCHECK fail $*"
	upload_logs
	echo "VMCHECK uploaded"
	exit 1
}
# upload_logs: what tells a failure's cause, to the host's results: this
# boot's journal, the X server's log, the kiosk unit's state and processes,
# and the X screen as the X server itself holds it (vmtool xshot, fetched
# from the host into /root, as /run is noexec: the image has no X clients),
# which tells "Xorg draws nothing" apart from "QEMU's screendump sees nothing".
upload_logs() {
	journalctl -b --no-pager >/run/journal.txt 2>&1
	up /run/journal.txt "journal-boot$stage.txt"
	for f in $state/.local/share/xorg/Xorg.0.log /var/log/Xorg.0.log; do
		[ -f "$f" ] && up "$f" "Xorg-boot$stage.log"
	done
	{
		systemctl status --no-pager -n 0 thermogate-kiosk.service
		echo
		ps -eo pid,user,stat,etime,time,rss,args
		echo
		cat /sys/class/drm/card*/card*-*/modes 2>/dev/null
		ls -l /dev/dri /dev/fb* 2>/dev/null
	} >/run/state.txt 2>&1
	up /run/state.txt "state-boot$stage.txt"
	take_xshot "boot$stage"
}
# take_xshot NAME: the X server's own picture of the screen, uploaded as
# xshot-NAME.png (and what vmtool said, as xshot-NAME.txt).
take_xshot() {
	[ -x /root/vmtool ] || curl -fsS -o /root/vmtool "$url/vmtool-arm64" 2>/dev/null || return 1
	chmod 0755 /root/vmtool
	xorg=$(pgrep -x Xorg | head -n 1)
	# The socket in the kiosk's private /tmp, or else the abstract one.
	xsock=/proc/$xorg/root/tmp/.X11-unix/X0
	[ -S "$xsock" ] || xsock=@/tmp/.X11-unix/X0
	rm -f /run/xshot.png
	if [ -n "$xorg" ]; then
		/root/vmtool xshot "$xsock" "$state/.Xauthority" /run/xshot.png >/run/xshot.txt 2>&1
	else
		echo "no Xorg process" >/run/xshot.txt
	fi
	[ -f /run/xshot.png ] && up /run/xshot.png "xshot-$1.png"
	up /run/xshot.txt "xshot-$1.txt"
	[ -f /run/xshot.png ]
}
up() { curl -fsS -T "$1" "$url/upload/$2" >/dev/null 2>&1 || true; }
# wait_host NAME: until the host has done its part (go/NAME exists).
wait_host() {
	i=0
	until curl -fsS -o /dev/null "$url/go/$1" 2>/dev/null; do
		# The host stopped on a failure of its own: say why it might be.
		if curl -fsS -o /dev/null "$url/go/abort" 2>/dev/null; then
			upload_logs
			echo "VMCHECK uploaded"
			exit 1
		fi
		i=$((i + 1))
		[ $i -lt 900 ] || fail "wait-$1" "the host did not answer in 15 minutes"
		sleep 1
	done
}
tg() { runuser -u thermogate -- thermogate "$@"; }
unit() { systemctl show -p "$1" --value thermogate-kiosk.service; }
# kiosk_up WHAT SECONDS: the kiosk unit is active (READY=1 given) with an
# invocation other than $old_inv, within SECONDS.
kiosk_up() {
	i=0
	while [ $i -lt "$2" ]; do
		if [ "$(unit ActiveState)" = active ] && [ "$(unit InvocationID)" != "${old_inv:-}" ]; then
			return 0
		fi
		i=$((i + 1))
		sleep 1
	done
	fail "$1" "thermogate-kiosk is $(unit ActiveState)/$(unit SubState) after $2 s (invocation $(unit InvocationID))"
}
daemon_pid() { pgrep -u thermogate -x thermogate | head -n 1; }
# system_running: systemd finished booting and no unit failed.
system_running() {
	s=$(timeout 300 systemctl is-system-running --wait 2>/dev/null)
	[ "$s" = running ] || fail system "is-system-running says '$s'; failed units: $(systemctl --failed --no-legend --plain | tr '\n' ' ')"
	ok system "is-system-running: running"
}

ok booted "stage $stage, $(uname -m), kernel $(uname -r)"
case "$stage" in
0)
	# --- install as the installer's guide says --------------------------------------
	cd /root || fail install "no /root"
	# The data partition (a disk of its own, /dev/vdb) on /var/lib/thermogate.
	# Under a loaded TCG host udev may take longer than the image's 20 s to
	# announce the disk; the kiosk unit needs the mount (WorkingDirectory).
	sed -i 's/x-systemd.device-timeout=[0-9]*s/x-systemd.device-timeout=300s/' /etc/fstab
	systemctl daemon-reload
	udevadm settle -t 180 || true
	mkdir -p $state
	mountpoint -q $state || mount $state || fail datadisk "cannot mount /dev/vdb on $state"
	deb=$(curl -fsS "$url/deb-name") || fail install "cannot fetch the package's name"
	curl -fsS -o "$deb" "$url/$deb" || fail install "cannot fetch $deb"
	curl -fsS -o pi-setup.sh "$url/pi-setup.sh" || fail install "cannot fetch pi-setup.sh"
	# Stand-in for the Raspberry Pi's firmware partition: a virtual machine
	# boots without one (QEMU loads the kernel), so pi-setup.sh edits a copy
	# of a stock bookworm config.txt and cmdline.txt that nothing reads.
	mkdir -p /boot/firmware
	printf '# stand-in for the Pi firmware partition (vm-check)\ndtparam=audio=on\ndtoverlay=vc4-kms-v3d\n' >/boot/firmware/config.txt
	echo "console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 fsck.repair=yes rootwait" >/boot/firmware/cmdline.txt
	sh pi-setup.sh "./$deb" >/run/pi-setup.log 2>&1 || {
		cat /run/pi-setup.log
		fail install "pi-setup.sh failed"
	}
	cat /run/pi-setup.log
	grep -q "installed thermogate" /run/pi-setup.log || fail install "pi-setup.sh did not install the package"
	grep -q "thermogate-kiosk enabled" /run/pi-setup.log || fail install "pi-setup.sh did not enable the kiosk"
	grep -q "^dtparam=i2c_arm=on" /boot/firmware/config.txt || fail install "pi-setup.sh did not turn I2C on"
	[ "$(systemctl is-enabled getty@tty1.service)" != enabled ] || fail install "getty@tty1 is still enabled"
	[ "$(stat -c '%a %U' $state)" = "700 thermogate" ] || fail install "$state is $(stat -c '%a %U' $state)"
	ok install "$(dpkg-query -W -f='${Package} ${Version} ${Architecture}' thermogate), data partition: $(findmnt -n -o SOURCE,FSTYPE $state || echo not mounted)"

	# --- configure: simulated sensor, a guard, today's bookings --------------------------
	sed -i 's/^driver = "mlx90614"/driver = "sim"/' /etc/thermogate/config.toml
	grep -q '^driver = "sim"' /etc/thermogate/config.toml || fail configure "could not set sensor.driver = sim"
	# A visitor may come up to late_min after the slot's start: the visits
	# come minutes after this (two boots on a slow emulated machine).
	sed -i 's/^late_min = 15 /late_min = 120 /' /etc/thermogate/config.toml
	grep -q '^late_min = 120 ' /etc/thermogate/config.toml || fail configure "could not set late_min = 120"
	# ADMIT stays 2 minutes (the most allowed) instead of 10 s: time for the
	# host's screendumps on a loaded machine (one screendump and comparison
	# can take seconds); the host then ends it with the Done button.
	sed -i 's/^decision_time = "10s" /decision_time = "120s" /' /etc/thermogate/config.toml
	grep -q '^decision_time = "120s" ' /etc/thermogate/config.toml || fail configure "could not set decision_time = 120s"
	thermogate config check /etc/thermogate/config.toml >/dev/null || fail configure "config check failed"
	# The simulated sensor holds a healthy forehead in front of it: 37.0 °C
	# shown, below the 37.3 threshold and the temperature on the reference
	# screenshot of ADMIT (docs/screenshots/decision-admit-ok-*), so the
	# screendump differs from it in rendering only.
	echo "THERMOGATE_SIM_FOREHEAD=37.0" >>/etc/default/thermogate
	echo 4826 | tg guard add "Vm Guard" >/dev/null || fail configure "guard add failed"
	tg guard list | grep -q "Vm Guard" || fail configure "the guard is not listed"
	# The longest slots (120 min) from half an hour ago, so the visits fall inside them however
	# slow the run is (the emulated machine reboots twice before the visits).
	start=$(TZ=$tz date -d '-30 min' '+%F %H:%M')
	{
		echo "code,start,minutes,service,lang"
		for c in 4711 5826; do echo "$c,$start,120,Passports,lt"; done
	} >/run/bookings.csv
	day=${start% *}
	tg bookings import - </run/bookings.csv >/dev/null || fail configure "bookings import failed"
	[ "$(tg bookings list --day "$day" | grep -c -e 4711 -e 5826)" = 2 ] || fail configure "bookings not listed: $(tg bookings list --day "$day")"
	ok configure "sensor.driver = sim, late_min = 120, decision_time = 120s, guard 'Vm Guard', bookings 4711 and 5826 from $start for 120 minutes"
	echo 1 >"$stagefile"
	sync
	ok reboot
	systemctl reboot
	;;
1)
	# --- after the reboot: the kiosk came up by itself -----------------------------------
	system_running
	kiosk_up ready 60
	[ "$(systemctl is-enabled thermogate-kiosk.service)" = enabled ] || fail ready "the kiosk is not enabled"
	ok ready "thermogate-kiosk active (Type=notify: READY=1 given), pid $(daemon_pid), $(unit NRestarts) restarts"
	wait_host xshot
	take_xshot idle-stage1 || fail xshot "vmtool xshot: $(cat /run/xshot.txt)"
	ok xshot
	wait_host idle

	# --- a visit tapped on the screen -------------------------------------------------------
	wait_host visit
	out=$(tg screenings --day "$(TZ=$tz date +%F)") || fail screening "thermogate screenings failed: $out"
	echo "$out"
	echo "$out" | grep 4711 | grep -q admit || fail screening "no admitted screening for 4711"
	ok screening "$(echo "$out" | grep 4711 | tr -s ' ')"

	# --- the watchdog restarts a hung kiosk ----------------------------------------------------
	old_inv=$(unit InvocationID)
	wd=$(unit WatchdogUSec)
	pid=$(daemon_pid)
	[ -n "$pid" ] || fail watchdog "no thermogate process"
	t0=$(date +%s)
	kill -STOP "$pid"
	kiosk_up watchdog 150
	t1=$(date +%s)
	journalctl -b -u thermogate-kiosk.service --no-pager | grep -q "Watchdog timeout" || fail watchdog "restarted, but not by the watchdog"
	ok watchdog "SIGSTOP at +0 s, watchdog ($wd) restarted it, active again at +$((t1 - t0)) s"
	wait_host after-watchdog

	# --- Xorg killed: the session comes back ----------------------------------------------------
	old_inv=$(unit InvocationID)
	pkill -KILL -x Xorg || fail xorg "no Xorg process to kill"
	t0=$(date +%s)
	kiosk_up xorg 120
	ok xorg "Xorg killed, kiosk session active again at +$(($(date +%s) - t0)) s"
	wait_host after-xorg

	# --- the data partition full: out of service, nothing admitted ------------------------
	# The kiosk's idle probe compares the free space of the database's file
	# system with store.min_free: full, it goes out of service (disk_full)
	# before a screening could fail to be stored, and comes back by itself.
	before=$(tg screenings --day "$(TZ=$tz date +%F)" | grep -c admit)
	fallocate -l "$(df --output=avail -B1 $state | tail -n 1)" $state/filler 2>/dev/null || true
	dd if=/dev/zero of=$state/filler2 bs=4k 2>/dev/null || true
	sync
	i=0
	until tg status >/run/status.txt 2>&1; grep -q "out of service: disk_full" /run/status.txt; do
		i=$((i + 1))
		[ $i -lt 60 ] || fail full "the partition is full ($(df -h --output=avail $state | tail -n 1 | tr -d ' ') left) but after 60 s thermogate status says: $(tail -n 3 /run/status.txt)"
		sleep 1
	done
	ok full "$(df -h --output=target,size,used,avail $state | tail -n 1 | tr -s ' '); after $i s: $(grep -m 1 disk_full /run/status.txt)"
	wait_host full-oos
	after=$(tg screenings --day "$(TZ=$tz date +%F)" 2>&1 | grep -c admit)
	[ "$after" = "$before" ] || fail full-checked "admitted screenings went from $before to $after with the partition full"
	rm -f $state/filler $state/filler2
	sync
	i=0
	until tg status >/run/status.txt 2>&1; do
		i=$((i + 1))
		[ $i -lt 60 ] || fail full-checked "room again, but after 60 s thermogate status says: $(tail -n 3 /run/status.txt)"
		sleep 1
	done
	ok full-checked "nothing admitted ($after admitted before and after); room again, in service after $i s"
	wait_host after-full

	# --- the nightly export: the clock past export.time ----------------------------------------
	today=$(TZ=$tz date +%F)
	timedatectl set-ntp false
	date -s "$(TZ=$tz date -d "tomorrow 02:05" --rfc-3339=seconds)" >/dev/null || fail nightly "cannot set the clock"
	# The kiosk exports missed days at start and then at export.time (its timer
	# sleeps at most an hour): restarted, as after a power cut over the night.
	old_inv=$(unit InvocationID)
	systemctl restart thermogate-kiosk.service
	kiosk_up nightly 120
	i=0
	until [ -f "$state/export/manifest-$today.json" ] || [ $i -ge 60 ]; do
		i=$((i + 1))
		sleep 1
	done
	ls -l "$state/export"
	files=$(find "$state/export" -type f -name "*$today*" | wc -l)
	[ "$files" -ge 3 ] || fail nightly "no export for $today in $state/export"
	bad=$(find "$state/export" -type f ! -perm 0600)
	[ -z "$bad" ] || fail nightly "files not mode 0600: $bad"
	ok nightly "$files files for $today, all mode 0600"

	# --- next boot: the tall panel (Touch Display 2) --------------------------------------------
	sed -i 's/^FYNE_SCALE=.*/FYNE_SCALE=1.7/' /etc/default/thermogate
	echo 2 >"$stagefile"
	upload_logs
	sync
	ok poweroff
	systemctl poweroff
	;;
2)
	# --- on the 720x1280 panel ----------------------------------------------------------------------
	system_running
	kiosk_up ready 60
	ok ready "thermogate-kiosk active on the tall panel"
	wait_host xshot
	take_xshot idle-stage2 || fail xshot "vmtool xshot: $(cat /run/xshot.txt)"
	ok xshot
	wait_host idle

	# --- remove, then purge -----------------------------------------------------------------------------
	DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq thermogate >/run/remove.log 2>&1 || fail remove "$(tail -n 5 /run/remove.log)"
	[ ! -e /usr/lib/systemd/system/thermogate-kiosk.service ] || fail remove "the kiosk unit is still there"
	# As debhelper's units do, remove masks them (an enablement left
	# behind starts nothing) and purge takes that away too.
	left=$(systemctl list-unit-files --no-legend 'thermogate*' | awk '$2 != "masked"')
	[ -z "$left" ] || fail remove "systemd still knows, unmasked: $left"
	[ "$(systemctl is-active thermogate-kiosk.service)" != active ] || fail remove "the kiosk unit is still active"
	! pgrep -x thermogate >/dev/null || fail remove "thermogate still runs"
	[ -f $state/thermogate.db ] || fail remove "the database went with the package"
	[ -f /etc/thermogate/config.toml ] || fail remove "remove deleted the configuration"
	ok remove "units gone (masked, as debhelper does), kiosk stopped, data and configuration kept"
	DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq thermogate >/run/purge.log 2>&1 || fail purge "$(tail -n 5 /run/purge.log)"
	[ ! -e /etc/thermogate/config.toml ] || fail purge "the configuration is still there"
	[ -z "$(systemctl list-unit-files --no-legend 'thermogate*')" ] || fail purge "systemd still knows: $(systemctl list-unit-files --no-legend 'thermogate*' | tr '\n' ' ')"
	[ -z "$(find /etc/systemd/system -name 'thermogate*')" ] || fail purge "left in /etc/systemd/system: $(find /etc/systemd/system -name 'thermogate*')"
	[ -f $state/thermogate.db ] || fail purge "purge deleted the database"
	[ -n "$(ls $state/export)" ] || fail purge "purge deleted the exports"
	grep "stays in" /run/purge.log
	ok purge "configuration and the units' masks gone, data in $state kept"
	echo 3 >"$stagefile"
	upload_logs
	ok finished
	systemctl poweroff
	;;
*)
	ok idle "stage $stage: nothing to do"
	;;
esac
