#!/usr/bin/env bash
# Builds the NativeAOT `vireo-device` (the sample vfio-user device server, src/Vireo.SampleDevice)
# into artifacts/vireo-device when its sources changed, then runs it with
# the given arguments: `tools/vireo-device.sh --socket S`, `tools/vireo-device.sh --help`.
#   tools/vireo-device.sh --build-only   builds if needed and prints the binary's path
# The build's progress goes to stderr. VIREO_ARTIFACTS moves artifacts/ elsewhere.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/tools/lib/aot-binary.sh"
aot_binary vireo-device src/Vireo.SampleDevice
bin=$aot_bin
if [ "${1:-}" = --build-only ]; then
    echo "$bin"
    exit 0
fi
exec "$bin" "$@"
