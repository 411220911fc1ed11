#!/bin/sh
# Sound figures: how soon a sound reaches ALSA after Play (target ≤ 100 ms),
# and how long espeak-ng takes to render every prompt (a kiosk's first start).
# Needs espeak-ng and alsa-utils. Usage: bench/sound.sh [runs]
set -eu
cd "$(dirname "$0")/.."
runs=${1:-50}
go=${GO:-go}
command -v "$go" >/dev/null || go=/usr/local/go/bin/go

echo "== Play -> first samples at ALSA (aplay, file device), $runs runs each"
"$go" test -run '^$' -bench BenchmarkSoundStart -benchtime "${runs}x" ./internal/sound |
	awk '/^BenchmarkSoundStart/ {
		sub(/-[0-9]+$/, "", $1)
		for (i = 2; i < NF; i++) v[$(i+1)] = $i
		printf "%-30s median %s ms  p95 %s ms  max %s ms\n", $1, v["ms-median"], v["ms-p95"], v["ms-max"]
	}'

echo "== one bare aplay start on the null device (the floor)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
head -c 4410 /dev/zero >"$tmp/z.raw"
i=0; start=$(date +%s%N)
while [ $i -lt "$runs" ]; do aplay -q -D null -t raw -f S16_LE -c 1 -r 22050 "$tmp/z.raw"; i=$((i+1)); done
end=$(date +%s%N)
echo "aplay start-to-exit: $(( (end-start)/runs/1000 )) µs mean over $runs"

echo "== rendering every prompt in four languages with espeak-ng (cold cache)"
"$go" build -tags migrated_fynedo -o "$tmp/thermogate" ./cmd/thermogate
start=$(date +%s%N)
LANG=C.UTF-8 "$tmp/thermogate" sound render --config deploy/config.example.toml --dir "$tmp/render"
end=$(date +%s%N)
echo "render: $(( (end-start)/1000000 )) ms"
echo "longest prompts:"
for f in "$tmp"/render/*/*.wav; do
	# 22050 Hz mono 16-bit after a 44-byte header
	printf '%s s %s\n' "$(awk -v n="$(stat -c %s "$f")" 'BEGIN { printf "%.2f", (n-44)/44100 }')" "${f#"$tmp"/render/}"
done | sort -rn | head -5
