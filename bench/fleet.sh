#!/bin/sh
# Fleet figures against a real PostgreSQL server (Debian's postgresql
# package; the test harness starts a throwaway one on a Unix socket):
#   - pushing a backlog of N screenings (default 10,000) through the kiosk's
#     agent, outbox reads and marks included, next to a bare batched insert
#     of the same rows over the same connection (target: ≤ 2×);
#   - a central booking change until it is in a kiosk's bbolt copy, with the
#     poll at 30 s so that LISTEN/NOTIFY does it (target: ≤ 2 s);
#   - the CPU an idle, synced kiosk's sync takes, over IDLE (default 60s)
#     (target: ≤ 1 % of a core).
#   bench/fleet.sh [N] [IDLE]
set -eu
cd "$(dirname "$0")/.."
n=${1:-10000}
idle=${2:-60s}

echo "push a backlog of $n screenings (storing them first takes a while), 5 runs:"
THERMOGATE_BENCH_BACKLOG=$n go test -run '^$' -bench 'BenchmarkPushBacklog$' -benchtime 2x -count 5 -timeout 60m ./internal/fleet/ |
	grep Benchmark | awk '
		{print; r[NR] = $9}
		END {
			for (i = 1; i <= NR; i++) for (j = i + 1; j <= NR; j++) if (r[j] < r[i]) {t = r[i]; r[i] = r[j]; r[j] = t}
			printf "push / bare batched insert of the same rows: median %.2f× (runs %.2f–%.2f×; the machine is shared, so the spread is noise)\n", r[int((NR + 1) / 2)], r[1], r[NR]
		}'

echo
echo "booking change → visible at the kiosk, 50 changes:"
go test -run '^$' -bench 'BenchmarkBookingChangeVisible$' -benchtime 50x ./internal/fleet/ | grep Benchmark |
	awk '{printf "mean %.1f ms, worst %s ms\n", $3/1e6, $5}'

echo
echo "idle synced kiosk, $idle:"
THERMOGATE_BENCH_IDLE=$idle go test -run '^$' -bench 'BenchmarkIdleKiosk$' -benchtime 1x -timeout 30m ./internal/fleet/ | grep Benchmark |
	awk '{printf "sync CPU %.3f %% of one core\n", $5}'
