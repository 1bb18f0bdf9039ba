#!/usr/bin/env bash
# Builds the NativeAOT `vireo` into artifacts/vireo when its sources changed, then runs it with
# the given arguments: `tools/vireo.sh run --kernel K ...`, `tools/vireo.sh --help`.
#   tools/vireo.sh --build-only   builds if needed and prints the binary's path
#   tools/vireo.sh lab ARGS       runs the lab tool instead (tools/vireo-lab.sh ARGS)
# The build's progress goes to stderr. VIREO_ARTIFACTS moves artifacts/ elsewhere.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ "${1:-}" = lab ]; then
    shift
    exec "$root/tools/vireo-lab.sh" "$@"
fi
. "$root/tools/lib/aot-binary.sh"
aot_binary vireo src/Vireo.Cli
bin=$aot_bin
if [ "${1:-}" = --build-only ]; then
    echo "$bin"
    exit 0
fi
exec "$bin" "$@"
