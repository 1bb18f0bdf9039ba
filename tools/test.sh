#!/usr/bin/env bash
# Vireo's test command (README): installs what the tests need, builds, runs every test
# project, and ends with one summary line "tests: N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v gcc >/dev/null || need+=(gcc libc6-dev)
[ -f /usr/include/linux/kvm.h ] || need+=(linux-libc-dev)
command -v iasl >/dev/null || need+=(acpica-tools)
# The nested lab: QEMU (TCG, emulated AMD SVM) boots busybox-based L1 images.
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
command -v cpio >/dev/null || need+=(cpio)
command -v xz >/dev/null || need+=(xz-utils)
# The sample device's guest driver (tools/guest-driver/build.sh, run by the lab); that script
# installs linux-headers-RELEASE for the guest kernel itself, as the release is known only then.
command -v make >/dev/null || need+=(make)
# The vfio-user fuzz run (tools/fuzz/vfio-user.sh).
command -v afl-fuzz >/dev/null || need+=(afl++)
# The arm64 layout oracle: arm64 kernel ABI structs are checked by a probe built with the cross
# compiler and run under qemu-aarch64, against newer uAPI headers (fetched below).
command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
command -v qemu-aarch64 >/dev/null || need+=(qemu-user)
# The arm64 lab: QEMU's virt machine boots its L1, and clang links the NativeAOT vireo the lab
# cross-compiles for linux-arm64 against the cross toolchain's glibc.
command -v qemu-system-aarch64 >/dev/null || need+=(qemu-system-arm)
command -v clang >/dev/null || need+=(clang lld)
# Device trees (arm64) are checked against dtc.
command -v dtc >/dev/null || need+=(device-tree-compiler)
if [ ${#need[@]} -gt 0 ]; then
    echo "test.sh: installing ${need[*]} (apt-get)..." >&2
    if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Linux 6.12's uAPI headers (bookworm-backports' linux-libc-dev) into the cache, for the arm64
# layout oracle; a no-op once fetched.
tools/kernel-headers.sh >/dev/null

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# Every build here (the tests run several at once: the lab's NativeAOT publishes, tools/vireo.sh)
# keeps its own MSBuild nodes: a shared node dying took a publish down with it once.
export MSBUILDDISABLENODEREUSE=1
# Kept after the run (the paths dotnet test prints stay valid); emptied at the start.
results=artifacts/test-results
rm -rf "$results"
mkdir -p "$results"

dotnet restore Vireo.slnx -v quiet
dotnet build Vireo.slnx --no-restore -c Release -v quiet -nologo
status=0
if [ $# -gt 0 ]; then
    # Arguments (a --filter, say) go to one run over the whole solution.
    dotnet test Vireo.slnx --no-build -c Release --logger trx --logger "console;verbosity=normal" \
        --results-directory "$results" -nologo "$@" || status=$?
else
    # The nested-lab tests take minutes each (QEMU TCG): they run beside the others with a line
    # per test as it finishes (console verbosity normal), prefixed "lab: ".
    export VIREO_LAB_WEDGE_LOG="$PWD/$results/lab-wedges.txt"
    ( dotnet test tests/Vireo.Lab.Tests --no-build -c Release --logger "trx;LogFilePrefix=lab" \
          --logger "console;verbosity=normal" --results-directory "$results" -nologo 2>&1 \
          | sed -u 's/^/lab: /'; exit "${PIPESTATUS[0]}" ) &
    lab=$!
    dotnet test Vireo.slnx --no-build -c Release --filter "FullyQualifiedName!~Vireo.Lab.Tests" --logger trx \
        --logger "console;verbosity=minimal" --results-directory "$results" -nologo || status=$?
    wait $lab || status=$?
fi

# The CLI must publish as one NativeAOT binary with no trim/AOT warnings, and that binary
# must run: the nested lab ships exactly this file into its L1 guest.
echo "test.sh: publishing vireo with NativeAOT (warnings are errors)..." >&2
if dotnet publish src/Vireo.Cli -c Release -r linux-x64 -p:PublishAot=true -warnaserror \
        -o "$results/aot" -v quiet -nologo >"$results/aot.log" 2>&1 \
    && "$results/aot/vireo" --help >/dev/null; then
    echo "test.sh: NativeAOT vireo OK ($(stat -c %s "$results/aot/vireo") bytes)" >&2
else
    cat "$results/aot.log" >&2
    echo "test.sh: NativeAOT publish of vireo FAILED" >&2
    status=1
fi

# Short coverage-guided fuzz runs, each harness from its committed corpus (which the xunit tests
# above replay): the vfio-user server and client (30 s each side), the virtio queues, the
# guest-facing bus devices, the kernel loader and the API's HTTP layer. A crash or a hang, or a
# run that could not start, fails the build; the inputs are printed in base64. The long
# campaigns (10^7 executions each) are in the README.
for run in "vfio-user 60 Vireo.VfioUser.Fuzz" "virtio 30 Vireo.Virtio.Fuzz" "devices 20 Vireo.Devices.Fuzz" \
           "loader 15 Vireo.Loader.Fuzz" "api 15 Vireo.Api.Fuzz"; do
    read -r name seconds harness <<<"$run"
    echo "test.sh: fuzzing $name for $seconds s (tools/fuzz/$name.sh)..." >&2
    if ! "tools/fuzz/$name.sh" "$seconds"; then
        echo "test.sh: $name fuzzing FAILED (findings under artifacts/fuzz/$harness)" >&2
        status=1
    fi
done

# One closing line over all test assemblies, from the TRX counters. VSTest leaves notExecuted at
# 0 for xunit's skips (a skipped test is counted in total, not in executed), so skips are the difference.
awk -F'"' '/<Counters /{
    for (i = 1; i < NF; i++) {
        if ($i ~ / total=$/ || $i ~ /^<Counters total=$/) t = $(i+1); if ($i ~ /executed=$/) e = $(i+1)
        if ($i ~ /passed=$/) p += $(i+1); if ($i ~ /failed=$/) f += $(i+1)
    }
    s += t - e
} END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$results"/*.trx
# The nested lab's L1 wedges the watchdog saw (and whether an NMI recovered each); see L1Machine.
if [ -s "$results/lab-wedges.txt" ]; then
    sed 's/^/lab: L1 wedge watchdog: /' "$results/lab-wedges.txt"
fi
# The failures last, where a truncated log still shows them: each by name, with the first
# lines of its message and the test's own frames (file:line), so a lab test that failed after
# minutes of console output still says which assertion it was.
tools/trx-failures.pl "$results"/*.trx || true
exit $status
