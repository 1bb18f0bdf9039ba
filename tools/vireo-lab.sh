#!/usr/bin/env bash
# Builds vireo-lab (the nested lab, its boot benchmark and the default guest; not part of the
# shipped vireo) into artifacts/vireo-lab when sources changed, then runs it:
#   tools/vireo-lab.sh run [vireo run options] [--input TEXT]   # vireo run inside the lab
#   tools/vireo-lab.sh run --l1-devices edu --l1 'CMD' ...     # L1 with an IOMMU and edu on vfio-pci
#   tools/vireo-lab.sh guest [--json]                          # fetch the default guest
#   tools/vireo-lab.sh bench boot [--rounds N]                 # Vireo vs QEMU boot ratio
#   tools/vireo-lab.sh bench devices [--rounds N]              # Vireo vs QEMU virtio-blk/net
# The lab ships the NativeAOT vireo into its L1 and builds it with tools/vireo.sh. Build
# progress goes to stderr. VIREO_ARTIFACTS moves artifacts/ elsewhere.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="${VIREO_ARTIFACTS:-$root/artifacts}/vireo-lab"
dll="$out/vireo-lab.dll"

# Any source under src/ (the lab uses the loader), never what builds write to bin/ and obj/.
stale() {
    [ -f "$dll" ] || return 0
    [ -n "$(find "$root/src" \( -name bin -o -name obj \) -prune \
        -o \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' \) -newer "$dll" -print -quit)" ] && return 0
    [ -n "$(find "$root" -maxdepth 1 -name 'Directory.*.props' -newer "$dll" -print -quit)" ]
}

if stale; then
    echo "vireo-lab: building $out (dotnet build)..." >&2
    start=$SECONDS
    dotnet build "$root/src/Vireo.LabTool" -c Release -o "$out" -nologo -v minimal -clp:NoSummary 2>&1 \
        | sed -u 's/^ */  /' >&2
    touch "$dll"
    echo "vireo-lab: built in $((SECONDS - start)) s" >&2
fi
# Through the dotnet host: the apphost would need DOTNET_ROOT where .NET is not in a default place.
exec dotnet "$dll" "$@"
