#!/usr/bin/env bash
# The VMM's own footprint (issue #10): CPU time from process start to the first guest
# instruction and resident memory net of guest RAM, for the NativeAOT `vireo bench exits
# --count 1`, against the same one-exit guest run by the minimal C loop (tools/bench/exit-loop.c)
# in this script: the C loop is the floor (libc, a KVM VM, one vCPU, the guest's pages).
# Usage: tools/bench/footprint.sh [ROUNDS] (default 7); prints medians.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-7}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -O2 -o "$work/exit-loop" tools/bench/exit-loop.c
vireo=$(tools/vireo.sh --build-only)
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

for _ in $(seq "$rounds"); do
    "$vireo" bench exits --count 1 --json >>"$work/v.json"
    # %M: max RSS in KiB; %U %S: user and system CPU seconds (the whole process).
    /usr/bin/time -f '%M %U %S' -o "$work/c.time" -a "$work/exit-loop" 1 >/dev/null
done
v_cpu=$(grep -o '"firstInstruction":{"cpuMs":[0-9.]*' "$work/v.json" | sed 's/.*://' | median)
v_own=$(grep -o '"firstInstruction":{[^}]*' "$work/v.json" | grep -o '"ownRssBytes":[0-9]*' | sed 's/.*://' | median)
v_end=$(grep -o '"end":{[^}]*' "$work/v.json" | grep -o '"ownRssBytes":[0-9]*' | sed 's/.*://' | median)
v_peak=$(grep -o '"end":{[^}]*' "$work/v.json" | grep -o '"peakRssBytes":[0-9]*' | sed 's/.*://' | median)
c_rss=$(awk '{ print $1 * 1024 }' "$work/c.time" | median)
c_cpu=$(awk '{ print ($2 + $3) * 1000 }' "$work/c.time" | median)
size=$(stat -c %s "$vireo")
hydrated=$(printf "%d" "0x$(readelf -SW "$vireo" 2>/dev/null | awk '$2 == ".hydrated" { print $6 }')" 2>/dev/null || echo 0)
awk -v cpu="$v_cpu" -v own="$v_own" -v endown="$v_end" -v peak="$v_peak" -v crss="$c_rss" -v ccpu="$c_cpu" -v size="$size" -v hyd="${hydrated:-0}" 'BEGIN {
    mib = 1048576
    printf "vireo bench exits --count 1 (NativeAOT, %.1f MiB binary, %.1f MiB of it rehydrated at start-up)\n", size / mib, hyd / mib
    printf "  CPU to the first guest instruction: %.1f ms\n", cpu
    printf "  own RSS at the first instruction:   %.1f MiB (at the end %.1f MiB; peak RSS with guest RAM %.1f MiB)\n", own / mib, endown / mib, peak / mib
    printf "C exit loop, same guest: max RSS %.1f MiB (guest RAM included), CPU %.0f ms (whole process; time(1) counts in 10 ms steps)\n", crss / mib, ccpu
    printf "ratio own RSS vireo/C: %.2f\n", own / crss
}'
