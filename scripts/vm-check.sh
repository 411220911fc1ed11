#!/bin/bash
# `make vm-check`: the real arm64 package on an emulated Raspberry Pi-like
# Debian bookworm machine (QEMU, TCG), from install to purge:
#   1. the guest image, built or taken from its cache (scripts/vm-image.sh)
#   2. boot; install dist/thermogate_<v>_arm64.deb with deploy/pi-setup.sh;
#      simulated sensor, a guard, today's bookings
#   3. reboot: the kiosk comes up by itself on tty1 (READY=1, system
#      running), its screen is the start screen of docs/screenshots
#   4. a visit tapped through QMP: Start, code, No, the simulated forehead:
#      ADMIT on the screen, the screening in `thermogate screenings`
#   5. SIGSTOP: the watchdog restarts the kiosk; Xorg killed: the session
#      returns; the data partition full: out of service, nothing admitted,
#      back by itself once there is room
#   6. the clock past export.time: the nightly files, mode 0600
#   7. reboot on the 720x1280 panel: its start screen; apt-get remove, purge
# The guest side is scripts/vm-guest.sh; taps are in scripts/vm-taps.txt.
# Screendumps, serial logs and the guest's journals go to VM_RESULTS
# (default dist/vm-check). Each step prints its time. Everything it starts or
# registers (QEMU, the HTTP server, binfmt_misc) is undone on exit, also on
# failure. Needs root (it installs packages; building the image needs
# mmdebstrap as root). make passes DEB_VERSION.
#
# VM_CACHE    where guest images are kept (default /var/cache/thermogate-vm)
# VM_RESULTS  where screendumps and logs go (default dist/vm-check)
# VM_KEEP=1   keep the run's directory (overlay disk, sockets) for a look
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

: "${DEB_VERSION:?DEB_VERSION is not set: run this through make vm-check}"
deb=dist/thermogate_${DEB_VERSION}_arm64.deb
cache=${VM_CACHE:-/var/cache/thermogate-vm}
results=${VM_RESULTS:-$repo/dist/vm-check}
lang=lt # the configuration's default [ui] lang

t_start=$(date +%s)
t_step=$t_start
step_name=""
# step NAME: ends the previous step (printing its time) and starts NAME.
step() {
	now=$(date +%s)
	[ -z "$step_name" ] || printf '   %-34s %4d s\n' "$step_name" $((now - t_step))
	step_name=$1
	t_step=$now
	[ -z "$1" ] || echo "== vm-check: $1"
}
fail() {
	echo "vm-check: FAIL: $*" >&2
	abort_guest
	exit 1
}
# abort_guest: a guest waiting for the host (go/NAME) uploads its journal,
# Xorg log and X screen and says "VMCHECK uploaded"; wait for that a while.
abort_guest() {
	[ -n "${qemu_pid:-}" ] && [ -n "${serial:-}" ] && kill -0 "$qemu_pid" 2>/dev/null || return 0
	touch "$run/srv/go/abort" # a guest that failed itself uploads anyway
	echo "vm-check: waiting for the guest's logs" >&2
	local i=0
	until grep -aq "^VMCHECK uploaded" "$serial" 2>/dev/null || [ $i -ge 90 ]; do
		i=$((i + 1))
		sleep 1
	done
}

[ "$(id -u)" -eq 0 ] || fail "needs root: it installs QEMU and builds the guest image with mmdebstrap (run it as root, or sudo make vm-check)"
[ -f "$deb" ] || fail "$deb is missing: run make deb-arm64"
[ "$(dpkg-deb -f "$deb" Architecture)" = arm64 ] || fail "$deb is not the arm64 package"

step "host packages"
# The Makefile's VM_DEPS (make vm-check exports them as DEPS_EXTRA): QEMU
# for arm64 and qemu-img; mmdebstrap for the guest image. The guest's network
# card runs without its iPXE ROM (romfile=), so ipxe-qemu is not needed.
DEPS_EXTRA=${DEPS_EXTRA:-qemu-system-arm qemu-utils mmdebstrap e2fsprogs shellcheck} ./scripts/deps.sh
shellcheck scripts/vm-check.sh scripts/vm-image.sh scripts/vm-image-setup.sh scripts/vm-guest.sh || fail "shellcheck found problems in the check's own scripts (above)"

run=$(mktemp -d /tmp/thermogate-vm.XXXXXX)
qemu_pid=""
http_pid=""
binfmt_registered=false
binfmt_saved=""
binfmt_mounted=false
cleanup() {
	rc=$?
	set +e # clean up everything, whatever fails on the way
	[ -z "$step_name" ] || step ""
	if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
		kill "$qemu_pid" 2>/dev/null || true
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$qemu_pid" 2>/dev/null || break; sleep 0.5; done
		kill -KILL "$qemu_pid" 2>/dev/null || true
	fi
	if [ -n "$http_pid" ]; then kill "$http_pid" 2>/dev/null || true; fi
	unregister_binfmt
	# mmdebstrap unmounts what it mounted, unless it was killed.
	grep -o " $cache/build\.[^ ]*" /proc/mounts 2>/dev/null | sort -r | while read -r m; do umount -l "$m" || true; done
	rm -rf "$cache"/build.* 2>/dev/null || true
	if [ -d "$run/srv/upload" ]; then cp -r "$run/srv/upload/." "$results/" 2>/dev/null || true; fi
	cp "$run"/serial-*.log "$results/" 2>/dev/null || true
	if [ "${VM_KEEP:-0}" = 1 ]; then echo "vm-check: kept $run"; else rm -rf "$run"; fi
	if [ $rc -eq 0 ]; then
		echo "vm-check: passed in $(($(date +%s) - t_start)) s; screendumps and logs in $results"
	else
		echo "vm-check: FAILED after $(($(date +%s) - t_start)) s; screendumps, serial logs and the guest's journal in $results" >&2
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# binfmt_line: the register line of the binfmt_misc entry on stdin.
binfmt_line() {
	awk '/^interpreter/ {i=$2} /^flags:/ {f=$2} /^offset/ {o=$2} /^magic/ {m=$2} /^mask/ {k=$2}
		function esc(h,  r, j) { r=""; for (j=1; j<=length(h); j+=2) r=r "\\x" substr(h,j,2); return r }
		END { printf ":qemu-aarch64:M:%s:%s:%s:%s:%s\n", o, esc(m), esc(k), i, f }'
}
unregister_binfmt() {
	if $binfmt_registered && [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
		echo -1 >/proc/sys/fs/binfmt_misc/qemu-aarch64 || true
	fi
	binfmt_registered=false
	if [ -n "$binfmt_saved" ]; then
		echo "$binfmt_saved" >/proc/sys/fs/binfmt_misc/register || echo "vm-check: could not restore binfmt_misc's qemu-aarch64: $binfmt_saved" >&2
		binfmt_saved=""
	fi
	if $binfmt_mounted; then umount /proc/sys/fs/binfmt_misc || true; fi
	binfmt_mounted=false
}

rm -rf "$results"
mkdir -p "$results" "$run/srv/go"

step "guest image"
# Building the image runs arm64 package scripts under qemu-user, through
# binfmt_misc with the static qemu-aarch64 (from Debian's qemu-user-static,
# unpacked into the cache: installing that package would remove qemu-user,
# which the cross-build uses). Where the host does not run systemd nothing
# mounts binfmt_misc or registers qemu: this does both, and undoes both
# once the image is built.
if ! ./scripts/vm-image.sh --cached "$deb" >"$run/image-dir" 2>"$run/image.log"; then
	sed 's/^/   /' "$run/image.log"
	tools=$cache/tools
	qemu_user=$tools/usr/bin/qemu-aarch64-static
	if [ ! -x "$qemu_user" ]; then
		mkdir -p "$tools"
		(cd "$tools" && apt-get download -q qemu-user-static >/dev/null 2>&1) || {
			apt-get update -qq
			(cd "$tools" && apt-get download -q qemu-user-static)
		}
		dpkg-deb -x "$tools"/qemu-user-static_*.deb "$tools"
		rm -f "$tools"/qemu-user-static_*.deb
	fi
	if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
		mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
		binfmt_mounted=true
	fi
	# mmdebstrap looks for the entry qemu-aarch64 with the F flag (the
	# interpreter is opened at registration, so it works inside the chroot).
	# One without F (e.g. qemu-user's, on a systemd host) is set aside and
	# put back afterwards.
	entry=/proc/sys/fs/binfmt_misc/qemu-aarch64
	if [ -e "$entry" ] && ! grep -q '^flags:.*F' "$entry"; then
		binfmt_saved=$(binfmt_line <"$entry")
		echo -1 >"$entry"
	fi
	if [ ! -e "$entry" ]; then
		# ELF, 64-bit, little-endian, machine aarch64
		magic='\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00'
		mask='\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'
		printf ':qemu-aarch64:M::%s:%s:%s:F\n' "$magic" "$mask" "$qemu_user" >/proc/sys/fs/binfmt_misc/register
		binfmt_registered=true
	fi
	VM_QEMU_USER=$qemu_user ./scripts/vm-image.sh "$deb" >"$run/image-dir" || fail "building the guest image failed (above)"
	unregister_binfmt
else
	sed 's/^/   /' "$run/image.log"
fi
img=$(tail -n 1 "$run/image-dir")

step "host side: overlay, data disk, HTTP server"
qemu-img create -q -f qcow2 -F raw -b "$img/root.img" "$run/root.qcow2"
# The kiosk's data partition, small so the check can fill it (-m 0: no
# blocks reserved for root, so it is full for everyone).
truncate -s 256M "$run/data.img"
mkfs.ext4 -q -m 0 -L thermogate-data "$run/data.img"
export PATH="$PATH:/usr/local/go/bin"
go build -o "$run/vmtool" ./scripts/vmtool
# The same tool for the guest, where it takes the X server's own picture
# of the screen on a failure (vm-guest.sh, upload_logs).
CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build -o "$run/srv/vmtool-arm64" ./scripts/vmtool
cp "$deb" deploy/pi-setup.sh scripts/vm-guest.sh "$run/srv/"
basename "$deb" >"$run/srv/deb-name"
"$run/vmtool" serve "$run/srv" "$run/port" &
http_pid=$!
for _ in $(seq 50); do [ -s "$run/port" ] && break; sleep 0.1; done
[ -s "$run/port" ] || fail "the HTTP server did not start"
port=$(cat "$run/port")

qmp=$run/qmp.sock
boot_n=0
# boot XRES YRES: starts QEMU on the run's disks with a virtio GPU of that size.
boot() {
	boot_n=$((boot_n + 1))
	# The host's go-aheads are per boot: a guest waiting for go/xshot must
	# not take the previous boot's.
	rm -f "$run/srv/go/"*
	serial=$run/serial-$boot_n.log
	: >"$serial"
	qemu-system-aarch64 -M virt -cpu cortex-a72 -smp 2 -m 2048 -accel tcg,thread=multi \
		-kernel "$img/vmlinuz" -initrd "$img/initrd.img" \
		-append "root=/dev/vda rw console=ttyAMA0 quiet loglevel=3 systemd.show_status=0 vmcheck.url=http://10.0.2.2:$port" \
		-drive if=none,id=root,file="$run/root.qcow2",format=qcow2 -device virtio-blk-pci,drive=root \
		-drive if=none,id=data,file="$run/data.img",format=raw -device virtio-blk-pci,drive=data \
		-netdev user,id=net -device virtio-net-pci,netdev=net,romfile= \
		-device "virtio-gpu-pci,xres=$1,yres=$2" -device virtio-keyboard-pci -device virtio-tablet-pci \
		-display none -qmp "unix:$qmp,server=on,wait=off" \
		-chardev "socket,id=ser,path=$run/serial.sock,server=on,wait=off,logfile=$serial" -serial chardev:ser \
		-monitor none >"$run/qemu-$boot_n.log" 2>&1 &
	qemu_pid=$!
}
# marker NAME SECONDS: waits for the guest's "VMCHECK ok NAME" on the serial
# console; stops on "VMCHECK fail", on QEMU's end, or after SECONDS.
marker() {
	local i=0 line
	while [ $i -lt "$2" ]; do
		line=$(grep -a -m 1 "^VMCHECK ok $1\b" "$serial" 2>/dev/null | tr -d '\r' || true)
		if [ -n "$line" ]; then
			echo "   guest (+$(($(date +%s) - t_step)) s): ${line#VMCHECK ok }"
			return 0
		fi
		line=$(grep -a -m 1 "^VMCHECK fail" "$serial" 2>/dev/null | tr -d '\r' || true)
		[ -z "$line" ] || fail "guest: ${line#VMCHECK fail }"
		kill -0 "$qemu_pid" 2>/dev/null || fail "QEMU stopped while waiting for '$1': $(tail -n 5 "$run/qemu-$boot_n.log")"
		i=$((i + 1))
		sleep 1
	done
	fail "no '$1' from the guest in $2 s (serial log: $serial)"
}
go_on() { touch "$run/srv/go/$1"; }
# halted SECONDS: QEMU exits (the guest powered off).
halted() {
	local i=0
	while kill -0 "$qemu_pid" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt "$1" ] || fail "the guest did not power off in $1 s"
		sleep 1
	done
	wait "$qemu_pid" 2>/dev/null || true
	qemu_pid=""
}

declare -A tapx tapy
while read -r name x y _; do
	case "$name" in '' | '#'*) continue ;; esac
	tapx[$name]=$x
	tapy[$name]=$y
done <scripts/vm-taps.txt
tap() {
	for n; do
		[ -n "${tapx[$n]:-}" ] || fail "no tap position '$n' in scripts/vm-taps.txt"
		"$run/vmtool" tap "$qmp" "${tapx[$n]}" "${tapy[$n]}" || fail "tap $n failed"
		sleep 1
	done
}
# fix: -fix-channels once calibrate found that QEMU's screendump shows the
# X server's colours in another channel order (vmtool fixChannels).
fix=""
# shot NAME: a screendump into the results.
shot() { "$run/vmtool" screendump ${fix:+"$fix"} "$qmp" "$results/$1.png" || fail "screendump $1 failed"; }
# calibrate NAME REFERENCE SECONDS XSHOT: the first screen of a boot. Waits
# until the screendump is REFERENCE's screen, as it is or with its channels
# fixed, and keeps to that for the rest of the boot; then the X server's own
# picture, taken in the guest (vmtool xshot, uploaded as XSHOT), must be
# REFERENCE's screen as it is: the kiosk draws the right colours, and only
# QEMU's view of the virtual GPU moves them.
calibrate() {
	local i=0 out
	fix=""
	while :; do
		shot "$1"
		# As QEMU gave it (the test data of vmtool's TestFixChannels...).
		cp "$results/$1.png" "$results/$1-raw.png"
		if out=$("$run/vmtool" compare "$results/$1.png" "docs/screenshots/$2" 2>&1); then
			break
		fi
		if out=$("$run/vmtool" compare -fix-channels "$results/$1.png" "docs/screenshots/$2" 2>&1); then
			fix=-fix-channels
			shot "$1"
			break
		fi
		i=$((i + 2))
		[ $i -lt "$3" ] || fail "$1.png is not the screen of docs/screenshots/$2 after $3 s: $out"
		sleep 2
	done
	echo "   $1.png is $2${fix:+ (channels fixed)}: $out"
	go_on xshot
	marker xshot 120
	cp "$run/srv/upload/$4" "$results/$4" || fail "no $4 from the guest"
	out=$("$run/vmtool" compare "$results/$4" "docs/screenshots/$2" 2>&1) || fail "the X server's own picture $4 is not the screen of $2: $out"
	echo "   the X server's own picture $4 is $2: $out"
}
# screen NAME REFERENCE SECONDS [COMPARE-FLAG]: screendumps until one is
# REFERENCE's screen (vmtool compare, with COMPARE-FLAG), keeping the last as
# NAME.png and every one that was not under tries/ (what was on the screen
# instead, when it fails).
screen() {
	local i=0 out n=0
	while :; do
		shot "$1"
		if out=$("$run/vmtool" compare ${4:+"$4"} "$results/$1.png" "docs/screenshots/$2" 2>&1); then
			echo "   $1.png is $2${4:+ ($4)}: $out"
			return 0
		fi
		n=$((n + 1))
		mkdir -p "$results/tries"
		cp "$results/$1.png" "$results/tries/$1-$n.png"
		i=$((i + 2))
		[ $i -lt "$3" ] || fail "$1.png is not the screen of docs/screenshots/$2 after $3 s: $out (every screendump in tries/)"
		sleep 2
	done
}
# is NAME REFERENCE [COMPARE-FLAG]: the screendump NAME.png is REFERENCE's screen.
is() { shot "$1" && "$run/vmtool" compare ${3:+"$3"} "$results/$1.png" "docs/screenshots/$2" >/dev/null 2>&1; }
# A decision screen's countdown bar (its bottom rows) shrinks while it
# stays: left out of the comparison with the reference's full bar.
bar=-ignore-bottom=32
# tap_to BUTTON NAME REFERENCE: taps BUTTON until the screen is REFERENCE's
# (kept as NAME.png): a loaded emulated machine now and then loses a tap
# (libinput: "your system is too slow"); at most 3 taps, 40 s each.
tap_to() {
	local n i
	for n in 1 2 3; do
		tap "$1"
		for i in $(seq 20); do
			is "$2" "$3" && return 0
			sleep 2
		done
		echo "   no $3 after tap $n on $1"
	done
	fail "tapping $1 three times did not bring the screen of $3 (last: $2.png)"
}
# visit CODE: Start, the code on the keypad, OK, No to the symptoms question;
# the simulated sensor's forehead does the rest.
visit() {
	tap_to start "visit-$1-code" "code-$lang-800x480.png"
	local d
	for d in $(echo "$1" | grep -o .); do tap "key-$d"; done
	tap_to code-ok "visit-$1-symptoms" "symptoms-$lang-800x480.png"
	local n i
	for n in 1 2 3; do
		tap no
		for i in $(seq 20); do
			is "visit-$1-after-no" "symptoms-$lang-800x480.png" || return 0
			sleep 2
		done
	done
	fail "tapping No three times did not leave the symptoms question"
}

step "boot 1 (800x480): install with pi-setup.sh"
boot 800 480
marker booted 300
marker install 600
marker configure 300
step "reboot: the kiosk comes up by itself"
marker reboot 60
marker system 400
marker ready 120
calibrate "idle-$lang-800x480" "idle-$lang-800x480.png" 120 xshot-idle-stage1.png
go_on idle

step "a visit tapped on the screen"
visit 4711
screen "admit-$lang-800x480" "decision-admit-ok-$lang-800x480.png" 90 "$bar"
# ADMIT stays 2 minutes here (decision_time, vm-guest.sh): the visitor's
# Done ends it, back to the start screen.
tap_to decision-done "after-done-$lang-800x480" "idle-$lang-800x480.png"
go_on visit
marker screening 120

step "SIGSTOP: the watchdog restarts the kiosk"
marker watchdog 200
screen "after-watchdog-$lang-800x480" "idle-$lang-800x480.png" 90
go_on after-watchdog

step "Xorg killed: the session comes back"
marker xorg 150
screen "after-xorg-$lang-800x480" "idle-$lang-800x480.png" 90
go_on after-xorg

step "data partition full: out of service, nothing admitted"
# The guest fills the kiosk's data partition; the kiosk's idle probe finds
# less free space than store.min_free and goes out of service (cause
# disk_full, checked by the guest through thermogate status) before any
# screening could fail to be stored. A tap where Start was changes nothing:
# the screen has no buttons. The space given back, it returns by itself.
marker full 180
screen "full-disk-$lang-800x480" "out-of-service-disk_full-$lang-800x480.png" 90
tap start
sleep 5
is "full-disk-tapped-$lang-800x480" "out-of-service-disk_full-$lang-800x480.png" ||
	fail "after a tap on the out-of-service screen it is no longer that screen (full-disk-tapped-$lang-800x480.png)"
go_on full-oos
marker full-checked 120
screen "after-full-disk-$lang-800x480" "idle-$lang-800x480.png" 90
go_on after-full

step "nightly export after export.time"
marker nightly 300
marker poweroff 120
halted 180

step "boot on the 720x1280 panel"
boot 720 1280
marker booted 300
marker system 400
marker ready 120
calibrate "idle-$lang-720x1280" "idle-$lang-720x1280.png" 120 xshot-idle-stage2.png
go_on idle

step "apt-get remove, then purge"
marker remove 300
marker purge 300
marker finished 120
halted 180
