#!/bin/sh
# The screening flow's figures: a stable reading to the decision stored
# (fsync) and published, next to storage's Append and a bare bbolt put
# (target: within 1.5x the bare put); the touchscreen's calls while the
# store is slow (target: under 50 ms); the
# same through the touchscreen's rebuild; and `thermogate simulate` wall
# time for 1,000 visitors.
set -eu
cd "$(dirname "$0")/.."
TAGS=migrated_fynedo
mean() { awk '/^Benchmark/ {s+=$3; n++} END {printf "%.0f", s/n/1000}'; }

echo "== decision path (go test -bench, 5 runs of 300, means in µs) =="
d=$(go test -tags $TAGS -run '^$' -bench 'BenchmarkStableReadingToDecision$' -benchtime 300x -count 5 ./kiosk/ | mean)
a=$(go test -tags $TAGS -run '^$' -bench 'BenchmarkAppend$' -benchtime 300x -count 5 ./storage/ | mean)
p=$(go test -tags $TAGS -run '^$' -bench 'BenchmarkBoltPut$' -benchtime 300x -count 5 ./storage/ | mean)
u=$(go test -tags $TAGS -run '^$' -bench 'BenchmarkReadingToDecisionScreen$' -benchtime 100x -count 5 ./kiosk/ui/ | mean)
echo "stable reading -> decision stored and published:   ${d} µs"
echo "storage.Append (fsync):                             ${a} µs"
echo "bare bbolt Update putting one key (the floor):      ${p} µs"
echo "stable reading -> Decision screen built (test driver): ${u} µs"
awk -v d="$d" -v p="$p" 'BEGIN {printf "decision path / bare put: %.2f (target: at most 1.5)\n", d/p}'

echo "== the touchscreen's thread while the store takes 2 s an Append =="
go test -tags $TAGS -run '^$' -bench 'BenchmarkUIThreadWithSlowStore$' -benchtime 2000x ./kiosk/ |
	awk '/^Benchmark/ {printf "slowest Start+SetLang+Touch: %d µs (target: under 50,000 µs)\n", $5}'

echo "== thermogate simulate, 1,000 visitors =="
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -tags $TAGS -o "$tmp/thermogate" ./cmd/thermogate
awk 'BEGIN {
	print "code,start" > "'"$tmp"'/b.csv"
	print "at,code,symptoms,forehead,retest" > "'"$tmp"'/v.csv"
	for (i = 0; i < 1000; i++) {
		m = 8*60 + int(i/2); code = sprintf("V%05d", i)
		at = sprintf("2026-11-24 %02d:%02d:%02d", int(m/60), m%60, (i%2)*30)
		printf "%s,2026-11-24 %02d:%02d\n", code, int(m/60), m%60 > "'"$tmp"'/b.csv"
		f = "35.2"; s = "no"
		if (i%10 == 3) f = "36.5"; if (i%10 == 7) s = "yes"; if (i%10 == 9) code = "NOPE" code
		printf "%s,%s,%s,%s,\n", at, code, s, f > "'"$tmp"'/v.csv"
	}}'
start=$(date +%s.%N)
"$tmp/thermogate" simulate --bookings "$tmp/b.csv" --visitors "$tmp/v.csv" --db "$tmp/s.db" >/dev/null 2>"$tmp/err"
end=$(date +%s.%N)
grep visitors "$tmp/err"
awk -v s="$start" -v e="$end" 'BEGIN {printf "wall time, with the binary starting and every screening fsynced: %.2f s\n", e-s}'
