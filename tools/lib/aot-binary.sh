# Sourced by tools/vireo.sh and tools/vireo-device.sh: builds one of the repository's NativeAOT
# programs into artifacts/NAME when its sources changed. Progress goes to stderr.
#   aot_binary NAME PROJECT_DIR   sets $aot_bin to the binary's path, building it if stale
# Needs $root (the checkout). VIREO_ARTIFACTS moves artifacts/ elsewhere. VIREO_RID=linux-arm64
# cross-compiles for arm64 (clang links against Debian's libc6-dev-arm64-cross) into
# artifacts/NAME-linux-arm64 instead.

aot_binary() {
    local name=$1 project=$2
    local rid="${VIREO_RID:-linux-x64}"
    local out="${VIREO_ARTIFACTS:-$root/artifacts}/$name"
    [ "$rid" = linux-x64 ] || out="$out-$rid"
    aot_bin="$out/$name"
    # The binary's sources: C# and project files under src/ and the shared props. Not bin/ or
    # obj/, where every build (tools/test.sh's too) rewrites generated .cs files without any
    # source changing, and not the lab, which is linked into neither program.
    if [ -x "$aot_bin" ] \
        && [ -z "$(find "$root/src" \( -name bin -o -name obj -o -name Vireo.Lab -o -name Vireo.LabTool \) -prune \
            -o \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' \) -newer "$aot_bin" -print -quit)" ] \
        && [ -z "$(find "$root" -maxdepth 1 -name 'Directory.*.props' -newer "$aot_bin" -print -quit)" ]; then
        return 0
    fi
    # A cross build links with clang and lld; without them ILC falls back to gcc, which fails
    # minutes later with "unrecognized command-line option '--target=...'".
    if [ "$rid" != linux-x64 ] && ! { command -v clang && command -v ld.lld; } >/dev/null; then
        echo "$name: cross-building for $rid needs clang and lld (apt-get install clang lld libc6-dev-arm64-cross)" >&2
        return 1
    fi
    echo "$name: building the NativeAOT binary ($rid) into $out (dotnet publish: a few minutes the first time)..." >&2
    local start=$SECONDS ticker
    # The NativeAOT step ("Generating native code") is minutes of silence on a small machine.
    ( while sleep 30; do echo "$name: still building ($((SECONDS - start)) s)..." >&2; done ) &
    ticker=$!
    # Expanded now: a failed publish exits the script, where the function's locals are gone
    # and the ticker would print "still building" for ever.
    trap "kill $ticker 2>/dev/null" EXIT
    # minimal: one line per project as it is built, so a first run visibly moves.
    dotnet publish "$root/$project" -c Release -r "$rid" -p:PublishAot=true -o "$out" \
        -nologo -v minimal -clp:NoSummary 2>&1 | sed -u 's/^ */  /' >&2
    kill $ticker 2>/dev/null
    trap - EXIT
    # An up-to-date publish may leave the old file (and its old time) in place.
    touch "$aot_bin"
    echo "$name: built $aot_bin in $((SECONDS - start)) s" >&2
}
