#!/usr/bin/env bash
# Builds the NativeAOT `vireo` into artifacts/vireo when the sources changed, then runs it with
# the given arguments: `tools/vireo.sh run`, `tools/vireo.sh lab run`, `tools/vireo.sh --help`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/artifacts/vireo"
bin="$out/vireo"
if [ ! -x "$bin" ] || [ -n "$(find "$root/src" -newer "$bin" \( -name '*.cs' -o -name '*.csproj' \) -print -quit)" ]; then
    echo "vireo: building the NativeAOT binary (dotnet publish, about a minute)..." >&2
    dotnet publish "$root/src/Vireo.Cli" -c Release -r linux-x64 -p:PublishAot=true -o "$out" -nologo -v quiet >&2
fi
exec "$bin" "$@"
