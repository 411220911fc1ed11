#!/bin/sh
# The touchscreen under Xvfb: resident memory and CPU of `thermogate demo`
# idle for 60 s, next to a one-label Fyne window (the floor); then how long
# after a screening is stored the ADMIT screen is on the display.
set -eu
cd "$(dirname "$0")/.."
TAGS=migrated_fynedo
for tool in Xvfb xdotool; do command -v $tool >/dev/null || { echo "bench/ui.sh needs $tool (make deps DEPS_EXTRA='xvfb xdotool')" >&2; exit 1; }; done
tmp=$(mktemp -d)
display=:77
Xvfb $display -screen 0 1400x900x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null; rm -rf "$tmp"' EXIT
sleep 1
go build -tags $TAGS -o "$tmp/thermogate" ./cmd/thermogate
go build -tags $TAGS -o "$tmp/floor" bench/fyne-floor/main.go
hz=$(getconf CLK_TCK)

# idle PROGRAM...: start it, let it settle 5 s, then RSS and CPU over 60 s.
idle() {
	DISPLAY=$display FYNE_SCALE=1 LANG=C.UTF-8 "$@" >/dev/null 2>&1 &
	pid=$!
	sleep 5
	t0=$(awk '{print $14+$15}' /proc/$pid/stat)
	sleep 60
	t1=$(awk '{print $14+$15}' /proc/$pid/stat)
	rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
	hwm=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
	kill $pid; wait $pid 2>/dev/null || true
	awk -v a="$t0" -v b="$t1" -v hz="$hz" -v rss="$rss" -v hwm="$hwm" -v what="$1" \
		'BEGIN {printf "%-28s RSS %6.1f MiB (peak %6.1f)   CPU %5.2f %% of one core over 60 s\n", what, rss/1024, hwm/1024, (b-a)/hz/60*100}'
}
echo "== idle under Xvfb, 60 s =="
idle "$tmp/floor"
idle "$tmp/thermogate" demo

echo "== a screening stored -> the ADMIT screen on the display (3 runs) =="
for i in 1 2 3; do
	THERMOGATE_E2E_NORACE=1 go test -tags $TAGS -run TestRealWindowDemo -count 1 -v ./kiosk/ui/ 2>&1 | grep -o 'from the screening stored.*'
done
