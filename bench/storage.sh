#!/bin/sh
# Storage figures: Append next to a bare bbolt put (the floor), a booking
# lookup among 100,000, a guard PIN check, and the export of one day of
# N screenings (default 1,000,000) with its peak heap next to a bare
# cursor scan of the same bucket. Runs on the disk under TMPDIR.
#   bench/storage.sh [N]
set -eu
cd "$(dirname "$0")/.."
n=${1:-1000000}

out=$(go test -run '^$' -bench 'BenchmarkAppend$|BenchmarkBoltPut$' -benchtime 2s -count 5 ./storage/)
echo "$out" | grep Benchmark
echo "$out" | awk '
	/BenchmarkAppend-/  {a+=$3; na++}
	/BenchmarkBoltPut-/ {p+=$3; np++}
	END {printf "Append %.0f µs, bare bbolt put %.0f µs (means of %d runs): Append costs %.2f× the floor\n", a/na/1000, p/np/1000, na, (a/na)/(p/np)}'

echo
echo "without fsync, the CPU cost of Append (JSON, hash chain, index, day count) over a bare put:"
out=$(go test -run '^$' -bench 'BenchmarkAppendNoSync$|BenchmarkBoltPutNoSync$' -benchtime 2s -count 5 ./storage/)
echo "$out" | grep Benchmark
echo "$out" | awk '
	/BenchmarkAppendNoSync-/  {a+=$3; na++}
	/BenchmarkBoltPutNoSync-/ {p+=$3; np++}
	END {printf "Append %.1f µs, bare put %.1f µs without fsync (means of %d runs): %.1f µs of CPU more\n", a/na/1000, p/np/1000, na, (a/na-p/np)/1000}'

echo
go test -run '^$' -bench 'BenchmarkBookingLookup$' -benchtime 2s ./storage/ | grep Benchmark

echo
echo "guard PIN verify at the default cost (amd64 assembly, then Go's portable code as on an arm64 Pi):"
go test -run '^$' -bench 'BenchmarkPINVerify$' -benchtime 10x ./storage/ | grep Benchmark
go test -tags purego -run '^$' -bench 'BenchmarkPINVerify$' -benchtime 10x ./storage/ | grep Benchmark

echo
echo "export of one day of $n screenings (filling the database first takes a while):"
THERMOGATE_BENCH_EXPORT=$n go test -run '^$' -bench 'BenchmarkExportDay$' -benchtime 1x -timeout 60m ./storage/ | grep Benchmark |
	tr '\t' '\n' | sed -e 's/^ *//' -e '/^$/d'
