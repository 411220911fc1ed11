#!/usr/bin/env bash
# Crash loop: SIGKILL thermogate N times (default 200) while it writes, then
# check that the database is whole and that nothing acknowledged was lost or
# stored twice.
#
# Each round:
#   1. starts `thermogate run --headless` on the simulated sensor, waits for
#      its admin socket, and keeps admin writes going through the socket
#      (`bookings import` of one new booking, `guard add`); after a random
#      0–MAX_MS ms it SIGKILLs the kiosk in the middle of them;
#   2. runs `thermogate simulate --db` on the same file (the path that stores
#      screenings headless: the real flow, driver and simulated sensor) with
#      VISITORS booked visitors (about 0.15 s of work), and SIGKILLs it after
#      a random 0–SIM_MAX_MS ms.
# A write counts as acknowledged when its command exited 0; a screening when
# simulate printed its JSON line. Afterwards `db check` and `audit verify`
# must pass and every acknowledged booking, guard and screening must be
# there, once. Exits non-zero otherwise.
#   bench/crashloop.sh [N]        (env: MAX_MS=1000 SIM_MAX_MS=150 VISITORS=40 KEEP=1)
# VISITORS × N × 10 s must fit in a day: the visitors are booked today.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200}
max_ms=${MAX_MS:-1000}
sim_ms=${SIM_MAX_MS:-150}
per=${VISITORS:-40}
if ((n < 1 || per < 1 || n * per * 10 >= 86400)); then
	echo "crashloop: N=$n × VISITORS=$per visitors 10 s apart must fit in one day (at most 8,639 visitors)" >&2
	exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/thermogate-crashloop.XXXXXX")
cleanup() {
	if [ -n "${daemon:-}" ]; then kill -9 "$daemon" 2>/dev/null || true; fi
	if [ -z "${KEEP:-}" ]; then rm -rf "$tmp"; else echo "kept $tmp"; fi
}
trap cleanup EXIT

echo "building thermogate..."
go build -tags migrated_fynedo -o "$tmp/thermogate" ./cmd/thermogate
tg=$tmp/thermogate
db=$tmp/kiosk.db
sock=$tmp/kiosk.sock
# The kiosk's configuration, and simulate's: simulate refuses the kiosk's
# own store.path, so its configuration names another one, and --db this one.
cat >"$tmp/kiosk.toml" <<EOF
kiosk_id = "crashloop"
timezone = "Europe/Vilnius"
[sensor]
driver = "sim"
[store]
path = "$db"
[export]
dir = "$tmp/export"
backups = 0
EOF
sed "s|^path = .*|path = \"$tmp/elsewhere.db\"|" "$tmp/kiosk.toml" >"$tmp/simulate.toml"
cfg=(--config "$tmp/kiosk.toml")

day=$(TZ=Europe/Vilnius date +%F)
tomorrow=$(TZ=Europe/Vilnius date -d tomorrow +%F)

# The bookings of every visitor simulate will play, today, 10 s apart.
total=$((n * per))
{
	echo "code,start,minutes"
	for ((v = 0; v < total; v++)); do
		s=$((v * 10))
		printf 'V%05d,%s %02d:%02d,5\n' "$v" "$day" $((s / 3600)) $((s / 60 % 60))
	done
} >"$tmp/visitors-bookings.csv"
"$tg" bookings import "${cfg[@]}" "$tmp/visitors-bookings.csv" >/dev/null

# ms_sleep sleeps a random 0 to $1-1 ms (at most 999).
ms_sleep() { sleep "$(printf '0.%03d' $((RANDOM % $1)))"; }

# admin_writes runs admin commands one after another until the kiosk is
# gone, logging every acknowledged one.
admin_writes() {
	local round=$1 j=0 code
	while kill -0 "$daemon" 2>/dev/null; do
		j=$((j + 1))
		code=$(printf 'R%03dW%03d' "$round" "$j")
		printf 'code,start,minutes\n%s,%s 09:00,15\n' "$code" "$tomorrow" >"$tmp/b.csv"
		if "$tg" bookings import "${cfg[@]}" --wait 1s "$tmp/b.csv" >/dev/null 2>&1; then
			echo "$code" >>"$tmp/acked-bookings"
		fi
		if echo 739154 | "$tg" guard add "${cfg[@]}" --wait 1s "g$code" >/dev/null 2>&1; then
			echo "g$code" >>"$tmp/acked-guards"
		fi
	done
}

touch "$tmp/acked-bookings" "$tmp/acked-guards" "$tmp/acked-screenings"
kills=0 sim_kills=0 v=0
t0=$(date +%s.%N)
for ((r = 1; r <= n; r++)); do
	# 1. the kiosk, killed during admin writes through its socket
	THERMOGATE_SIM_FOREHEAD=36.6 "$tg" run --headless "${cfg[@]}" 2>>"$tmp/daemon.log" &
	daemon=$!
	for ((w = 0; w < 500; w++)); do
		[ -S "$sock" ] && "$tg" status "${cfg[@]}" >/dev/null 2>&1 && break
		kill -0 "$daemon" 2>/dev/null || { echo "round $r: the kiosk did not start (see below)"; tail -5 "$tmp/daemon.log"; exit 1; }
		sleep 0.01
	done
	admin_writes "$r" &
	writer=$!
	ms_sleep "$max_ms"
	kill -9 "$daemon"
	wait "$daemon" 2>/dev/null || true
	daemon=
	kills=$((kills + 1))
	wait "$writer"

	# 2. simulate storing screenings into the same file, killed mid-run
	{
		echo "at,code,symptoms,forehead"
		for ((k = 0; k < per; k++, v++)); do
			s=$((v * 10))
			printf '%s %02d:%02d:%02d,V%05d,no,35.0\n' "$day" $((s / 3600)) $((s / 60 % 60)) $((s % 60)) "$v"
		done
	} >"$tmp/v.csv"
	"$tg" simulate --config "$tmp/simulate.toml" --db "$db" --visitors "$tmp/v.csv" >"$tmp/sim.out" 2>"$tmp/sim.err" &
	sim=$!
	ms_sleep "$sim_ms"
	kill -9 "$sim" 2>/dev/null || true
	wait "$sim" 2>/dev/null || true
	if ! grep -q ' visitors in ' "$tmp/sim.err"; then
		sim_kills=$((sim_kills + 1)) # it had not finished: the kill landed
	fi
	# a JSON line printed whole is an acknowledged screening
	grep '}$' "$tmp/sim.out" | sed -n 's/.*"code":"\([^"]*\)".*/\1/p' >>"$tmp/acked-screenings" || true
done
t1=$(date +%s.%N)

fail=0
echo
"$tg" db check "${cfg[@]}" || fail=1
"$tg" audit verify "${cfg[@]}" || fail=1

# compare counts what a listing holds of each acknowledged write: none is
# lost, two is doubled.
compare() {
	local what=$1 acked=$2 listed=$3 lost doubled
	lost=$(sort -u "$acked" | comm -23 - <(sort -u "$listed") | wc -l)
	doubled=$(sort "$listed" | uniq -d | wc -l)
	printf '%-11s acknowledged %6d  listed %6d  lost %d  doubled %d\n' "$what" "$(wc -l <"$acked")" "$(wc -l <"$listed")" "$lost" "$doubled"
	if [ "$lost" -ne 0 ] || [ "$doubled" -ne 0 ]; then fail=1; fi
}
"$tg" screenings "${cfg[@]}" --day "$day" | awk 'NR > 1 {print $3}' >"$tmp/listed-screenings"
"$tg" bookings list "${cfg[@]}" --day "$tomorrow" | awk 'NR > 1 {print $1}' >"$tmp/listed-bookings"
"$tg" guard list "${cfg[@]}" | awk 'NR > 1 {print $1}' >"$tmp/listed-guards"
echo
compare screenings "$tmp/acked-screenings" "$tmp/listed-screenings"
compare bookings "$tmp/acked-bookings" "$tmp/listed-bookings"
compare guards "$tmp/acked-guards" "$tmp/listed-guards"
printf 'SIGKILLs: %d of the kiosk during admin writes, %d of simulate mid-run (of %d sent); %.0f s wall\n' \
	"$kills" "$sim_kills" "$n" "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')"
if [ "$fail" -ne 0 ]; then
	echo "FAIL"
	exit 1
fi
echo "ok: the database is whole and every acknowledged write is there once"
