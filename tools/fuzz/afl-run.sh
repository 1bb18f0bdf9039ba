#!/usr/bin/env bash
# Coverage-guided fuzzing of one harness with afl-fuzz through SharpFuzz: each TARGET for
# SECONDS / (number of targets), from the committed corpus (tests/HARNESS/corpus/TARGET/).
# tools/fuzz/{vfio-user,virtio,devices,loader,api}.sh call it. Installs afl++ (apt-get) and the
# sharpfuzz tool (dotnet tool) on first use. Exits 1 and lists the inputs (path and base64, so a
# CI log alone reproduces them) when afl-fuzz saved a crash or a hang; findings stay in OUT. Any
# other failure (build, afl-fuzz not starting) is also exit 1: a fuzz run that did not run is
# not a pass.
# Usage: tools/fuzz/afl-run.sh HARNESS INSTRUMENTED-ASSEMBLY SECONDS TARGET...
#   e.g. tools/fuzz/afl-run.sh Vireo.VfioUser.Fuzz Vireo.VfioUser 120 server client
#   INSTRUMENTED-ASSEMBLY may be a comma-separated list (Vireo.Devices,Vireo.Pci): each is instrumented.
# Env:   VIREO_FUZZ_OUT (default artifacts/fuzz/HARNESS), VIREO_CACHE (default ~/.cache/vireo)
#        VIREO_FUZZ_RESUME=1: continue the campaigns already in OUT (afl-fuzz -i -) instead of
#        starting over; afl carries execs_done, the queue and the findings from run to run, so a
#        campaign longer than one sitting adds up (each run prints the total so far).
#        VIREO_FUZZ_JOBS=N (default 1): N afl-fuzz instances per target, side by side on one
#        campaign (the first is afl's "default", the others -S jobK); they share what they find
#        through the campaign directory, and a campaign's executions are their sum.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 4 ] || { echo "usage: $0 HARNESS INSTRUMENTED-ASSEMBLY SECONDS TARGET..." >&2; exit 2; }
harness=$1 instrumented=$2 seconds=$3
shift 3
targets=("$@")
[[ "$seconds" =~ ^[0-9]+$ ]] && [ "$seconds" -ge ${#targets[@]} ] || { echo "usage: SECONDS must be a number, at least one per target" >&2; exit 2; }
out=${VIREO_FUZZ_OUT:-artifacts/fuzz/$harness}
cache=${VIREO_CACHE:-$HOME/.cache/vireo}
sharpfuzz_version=2.3.0
say() { echo "fuzz: $*" >&2; }

if ! command -v afl-fuzz >/dev/null; then
    say "installing afl++ (apt-get)..."
    if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq afl++ >/dev/null
fi
tools="$cache/sharpfuzz-$sharpfuzz_version"
if [ ! -x "$tools/sharpfuzz" ]; then
    say "installing SharpFuzz.CommandLine $sharpfuzz_version (dotnet tool) into $tools..."
    dotnet tool install SharpFuzz.CommandLine --version "$sharpfuzz_version" --tool-path "$tools" >/dev/null
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
resume=${VIREO_FUZZ_RESUME:-0}
jobs=${VIREO_FUZZ_JOBS:-1}
[[ "$jobs" =~ ^[1-9][0-9]?$ ]] || { echo "usage: VIREO_FUZZ_JOBS must be a number from 1 to 99" >&2; exit 2; }
bin="$out/bin"
replay="$out/replay"
if [ "$resume" = 1 ]; then
    # Only the builds go: the campaigns (OUT/TARGET) stay, and the harness is built afresh from
    # this checkout (afl re-runs the saved queue through it before it goes on).
    rm -rf "$bin" "$replay"
else
    rm -rf "$out"
fi
mkdir -p "$out"
say "building the harness (tests/$harness, Release)..."
dotnet publish "tests/$harness" -c Release -o "$replay" -v quiet -nologo >"$out/build.log" 2>&1 \
    || { cat "$out/build.log" >&2; say "build FAILED"; exit 1; }
# Instrument a copy: the library under test gets afl's edge counters, which only work under
# afl-fuzz; the plain build replays findings.
cp -r "$replay" "$bin"
IFS=, read -r -a assemblies <<<"$instrumented"
for assembly in "${assemblies[@]}"; do
    say "instrumenting $assembly.dll..."
    "$tools/sharpfuzz" "$bin/$assembly.dll" >>"$out/instrument.log" 2>&1 \
        || { cat "$out/instrument.log" >&2; say "instrumentation of $assembly.dll FAILED"; exit 1; }
done

# dotnet itself carries no afl instrumentation (SharpFuzz speaks the fork-server protocol from
# managed code); CI and containers have no say over core_pattern or CPU frequency; 2-core
# hosts are shared, so no CPU binding.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1 \
    AFL_NO_AFFINITY=1 AFL_FORKSRV_INIT_TMOUT=60000
per_target=$((seconds / ${#targets[@]}))
fuzzing_since=$SECONDS
found=()
# Instance K of a campaign: afl's "default" for the first (so a campaign begun with one job
# resumes with more), -S jobK beside it.
instance_name() { if [ "$1" = 1 ]; then echo default; else echo "job$1"; fi; }
instance_log() { if [ "$2" = 1 ]; then echo "$out/$1.log"; else echo "$out/$1-job$2.log"; fi; }
campaign_execs() { cat "$out/$1"/*/fuzzer_stats 2>/dev/null | awk -F' *: ' '/^execs_done/ { n += $2 } END { print n + 0 }'; }
for target in "${targets[@]}"; do
    say "afl-fuzz, $target side, ${per_target} s, $jobs instance(s) (log: $out/$target.log)..."
    if [ "$resume" = 1 ] && ls "$out/$target"/*/fuzzer_stats >/dev/null 2>&1; then
        say "resuming the $target campaign in $out/$target ($(campaign_execs "$target") executions so far)"
    fi
    # -t: one input may take 20 s before it counts as a hang (the harness itself fails an
    # input after 10 s, with a message); -m none: the .NET runtime reserves far more address
    # space than afl's default limit.
    pids=()
    for k in $(seq 1 "$jobs"); do
        name=$(instance_name "$k")
        input="tests/$harness/corpus/$target"
        if [ "$resume" = 1 ] && [ -f "$out/$target/$name/fuzzer_stats" ]; then
            input=-
        fi
        role=()
        if [ "$k" -gt 1 ]; then
            role=(-S "$name")
        fi
        timeout -k 10 $((per_target + 120)) afl-fuzz -i "$input" -o "$out/$target" "${role[@]}" \
            -t 20000 -m none -V "$per_target" -- dotnet "$bin/$harness.dll" "$target" \
            >"$(instance_log "$target" "$k")" 2>&1 &
        pids+=($!)
    done
    for k in "${!pids[@]}"; do
        status=0
        wait "${pids[$k]}" || status=$?
        name=$(instance_name $((k + 1)))
        stats="$out/$target/$name/fuzzer_stats"
        if [ ! -f "$stats" ]; then
            tail -n 30 "$(instance_log "$target" $((k + 1)))" >&2
            say "afl-fuzz did not start on the $target side, instance $name (status $status)"
            exit 1
        fi
        if [ "$jobs" -gt 1 ]; then say "  instance $name:"; fi
        awk -F' *: ' '/^(execs_done|execs_per_sec|corpus_count|saved_crashes|saved_hangs|bitmap_cvg)/ { printf "fuzz:   %s %s\n", $1, $2 }' "$stats" >&2
    done
    if [ "$jobs" -gt 1 ]; then say "  the $target campaign: $(campaign_execs "$target") executions in all"; fi
    for kind in crashes hangs; do
        for f in "$out/$target"/*/"$kind"/id:*; do
            [ -e "$f" ] && found+=("$target $kind: $f")
        done
    done
done

if [ ${#found[@]} -gt 0 ]; then
    say "afl-fuzz found ${#found[@]} failing input(s); each is replayed once below with"
    say "  dotnet $replay/$harness.dll replay TARGET FILE"
    say "(one that passes alone failed only after earlier inputs in the same process: a race or leaked state)"
    for entry in "${found[@]}"; do
        echo "$entry"
        f=${entry#*: }
        echo "  base64: $(head -c 4096 "$f" | base64 -w0)"
        timeout -k 5 60 dotnet "$replay/$harness.dll" replay "${entry%% *}" "$f" 2>&1 | head -n 30 | sed 's/^/  /' || true
    done
    exit 1
fi
# The time afl-fuzz really ran: a campaign ended early (SIGINT) is not reported as SECONDS.
say "no crash or hang in $((SECONDS - fuzzing_since)) s"
