#!/usr/bin/env bash
# Builds a guest driver under guest/ for a Debian kernel release, as CI does:
# `tools/guest-driver/build.sh RELEASE OUTDIR [DRIVER]` builds guest/DRIVER (default vireo-sample;
# also vireo-edu), leaves OUTDIR/DRIVER.ko with '-' as '_' (vireo_sample.ko, vireo_edu.ko) and
# prints its path on stdout. RELEASE defaults to the running kernel's; the lab's guest kernel is
# Debian's cloud kernel (src/Vireo.Lab/StockKernel.cs), e.g. 6.1.0-57-cloud-amd64.
# linux-headers-RELEASE (and make, gcc) are installed with apt-get when missing (root or sudo).
# The build runs in a copy under OUTDIR, so the source tree stays clean and builds for two
# releases do not share objects. Warnings are errors (W=1). Progress goes to stderr.
# A guest of another architecture (the arm64 lab's, built on an x86-64 host): VIREO_GUEST_HEADERS
# names that release's unpacked headers directory (its host tools from the host's own
# linux-kbuild package) and VIREO_GUEST_ARCH its kernel ARCH (arm64, with aarch64-linux-gnu-gcc);
# src/Vireo.Lab/GuestDriver.cs fetches and prepares them.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
release=${1:-$(uname -r)}
out=${2:-$root/artifacts/guest-driver/$release}
driver=${3:-vireo-sample}
module=${driver//-/_}
src="$root/guest/$driver"
headers=${VIREO_GUEST_HEADERS:-/usr/src/linux-headers-$release}
cross=()
case "${VIREO_GUEST_ARCH:-}" in
    "") ;;
    arm64) cross=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-) ;;
    *) echo "guest-driver: VIREO_GUEST_ARCH is arm64 or unset, not '$VIREO_GUEST_ARCH'" >&2; exit 2 ;;
esac

log() { echo "guest-driver: $*" >&2; }

case "$driver" in
    */*|.*|"") log "DRIVER is a directory name under guest/, not '$driver'"; exit 2 ;;
esac
[ -f "$src/Kbuild" ] || { log "$src has no Kbuild: no such guest driver"; exit 2; }

missing=()
if [ -n "${VIREO_GUEST_HEADERS:-}" ]; then
    [ -f "$headers/Makefile" ] || { log "VIREO_GUEST_HEADERS=$headers has no Makefile"; exit 1; }
    [ ${#cross[@]} -eq 0 ] || command -v aarch64-linux-gnu-gcc >/dev/null || missing+=(gcc-aarch64-linux-gnu)
else
    [ -f "$headers/Makefile" ] || missing+=("linux-headers-$release")
fi
command -v make >/dev/null || missing+=(make)
command -v gcc >/dev/null || missing+=(gcc)
if [ ${#missing[@]} -gt 0 ]; then
    sudo=()
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null || { log "need root or sudo to install ${missing[*]}"; exit 1; }
        sudo=(sudo -n)
    fi
    log "installing ${missing[*]} with apt-get..."
    if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            -o DPkg::Lock::Timeout=300 "${missing[@]}" >&2; then
        # Usually stale package lists, or a release Debian's archive no longer carries.
        log "apt-get install failed; updating the package lists and trying once more"
        "${sudo[@]}" apt-get update -q >&2
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            -o DPkg::Lock::Timeout=300 "${missing[@]}" >&2
    fi
fi
[ -f "$headers/Makefile" ] || { log "$headers has no Makefile after installing linux-headers-$release"; exit 1; }

# One build directory per driver: two drivers' Kbuild files and objects must not mix.
build="$out/build-$driver"
mkdir -p "$build"
# -p keeps the sources' times, so make rebuilds only what changed.
cp -p "$src"/*.c "$src/Kbuild" "$build/"
log "building $module.ko for $release in $build"
make -C "$headers" M="$build" W=1 "${cross[@]}" modules >&2
cp "$build/$module.ko" "$out/$module.ko"
echo "$out/$module.ko"
