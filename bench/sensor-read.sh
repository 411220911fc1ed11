#!/bin/sh
# Software cost of one MLX90614 object read (driver + simulated bus) next to
# the time the same SMBus read-word takes on the wire at 100 kHz.
set -eu
cd "$(dirname "$0")/.."
out=$(go test -run '^$' -bench 'BenchmarkObjectRead$' -benchmem -count 5 ./sensor/mlxsim/)
echo "$out" | grep Benchmark
ns=$(echo "$out" | awk '/BenchmarkObjectRead/ {s+=$3; n++} END {printf "%.0f", s/n}')
# Read word on the wire: START, address+W, command, repeated START, address+R,
# LSB, MSB, PEC, STOP: six 9-bit bytes (8 bits and ACK/NACK) and about three
# bit times for the START, repeated START and STOP conditions.
bits=$((6 * 9 + 3))
wire_us=$((bits * 10))
echo "driver + simulator: ${ns} ns a read (mean of 5 runs)"
echo "the same read on a 100 kHz bus: ${bits} bit times = ${wire_us} µs"
echo "software overhead is $(awk -v ns="$ns" -v us="$wire_us" 'BEGIN {printf "%.3f%%", ns / (us * 1000) * 100}') of the bus time"
