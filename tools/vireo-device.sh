#!/usr/bin/env bash
# Builds the NativeAOT `vireo-device` (the sample vfio-user device server, src/Vireo.SampleDevice)
# into artifacts/vireo-device when its sources changed, then runs it with
# the given arguments: `tools/vireo-device.sh --socket S`, `tools/vireo-device.sh --help`.
#   tools/vireo-device.sh --build-only   builds if needed and prints the binary's path
# The build's progress goes to stderr. VIREO_ARTIFACTS moves artifacts/ elsewhere.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="${VIREO_ARTIFACTS:-$root/artifacts}/vireo-device"
bin="$out/vireo-device"

# The binary's sources: C# and project files under src/ and the shared props. Not bin/ or obj/,
# where every build (tools/test.sh's too) rewrites generated .cs files without any source
# changing, and not the lab, which is not linked into vireo-device.
stale() {
    [ -x "$bin" ] || return 0
    [ -n "$(find "$root/src" \( -name bin -o -name obj -o -name Vireo.Lab -o -name Vireo.LabTool \) -prune \
        -o \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' \) -newer "$bin" -print -quit)" ] && return 0
    [ -n "$(find "$root" -maxdepth 1 -name 'Directory.*.props' -newer "$bin" -print -quit)" ]
}

if stale; then
    echo "vireo-device: building the NativeAOT binary into $out (dotnet publish: a few minutes the first time)..." >&2
    start=$SECONDS
    # The NativeAOT step ("Generating native code") is minutes of silence on a small machine.
    ( while sleep 30; do echo "vireo-device: still building ($((SECONDS - start)) s)..." >&2; done ) &
    ticker=$!
    trap 'kill $ticker 2>/dev/null' EXIT
    # minimal: one line per project as it is built, so a first run visibly moves.
    dotnet publish "$root/src/Vireo.SampleDevice" -c Release -r linux-x64 -p:PublishAot=true -o "$out" \
        -nologo -v minimal -clp:NoSummary 2>&1 | sed -u 's/^ */  /' >&2
    kill $ticker 2>/dev/null
    trap - EXIT
    # An up-to-date publish may leave the old file (and its old time) in place.
    touch "$bin"
    echo "vireo-device: built $bin in $((SECONDS - start)) s" >&2
fi
if [ "${1:-}" = --build-only ]; then
    echo "$bin"
    exit 0
fi
exec "$bin" "$@"
