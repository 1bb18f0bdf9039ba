#!/usr/bin/env bash
# Exit-path benchmark as a ratio: the same guest (N port writes, then HLT) run by the minimal
# C loop in exit-loop.c and by `vireo bench exits`, on this machine, in this script.
# It also times the same writes to a coalesced port (KVM_CAP_COALESCED_PIO), as a ratio to an exit.
# Usage: tools/bench/exits.sh [N] (default 200000)
set -euo pipefail
cd "$(dirname "$0")/../.."
count=${1:-200000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -O2 -o "$work/exit-loop" tools/bench/exit-loop.c
echo "building vireo (Release, NativeAOT)..." >&2
dotnet publish src/Vireo.Cli -c Release -r linux-x64 -p:PublishAot=true -o "$work/vireo" -v quiet -nologo >/dev/null
"$work/exit-loop" "$count" >/dev/null            # warm-up
c=$("$work/exit-loop" "$count")
v=$("$work/vireo/vireo" bench exits --count "$count" --json)
k=$("$work/vireo/vireo" bench exits --count "$count" --coalesced --json)
c_us=$(sed -E 's/.*"usPerExit":([0-9.]+).*/\1/' <<<"$c")
v_us=$(sed -E 's/.*"usPerExit":([0-9.]+).*/\1/' <<<"$v")
k_us=$(sed -E 's/.*"usPerExit":([0-9.]+).*/\1/' <<<"$k")
echo "C loop:        $c_us us/exit"
echo "vireo (AOT):   $v_us us/exit"
awk -v a="$v_us" -v b="$c_us" 'BEGIN { printf "ratio vireo/C: %.3f\n", a / b }'
# A write to a coalesced port (the console's transmit register) queues in KVM's ring instead.
echo "vireo, coalesced write: $k_us us/write"
awk -v a="$k_us" -v b="$v_us" 'BEGIN { printf "ratio coalesced/exit: %.3f\n", a / b }'
