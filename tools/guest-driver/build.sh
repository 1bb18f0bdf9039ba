#!/usr/bin/env bash
# Builds the guest driver guest/vireo-sample (vireo_sample.ko) for a Debian kernel release, as CI
# does: `tools/guest-driver/build.sh RELEASE OUTDIR` leaves OUTDIR/vireo_sample.ko and prints its
# path on stdout. RELEASE defaults to the running kernel's; the lab's guest kernel is Debian's
# cloud kernel (src/Vireo.Lab/StockKernel.cs), e.g. 6.1.0-57-cloud-amd64.
# linux-headers-RELEASE (and make, gcc) are installed with apt-get when missing (root or sudo).
# The build runs in a copy under OUTDIR, so the source tree stays clean and builds for two
# releases do not share objects. Warnings are errors (W=1). Progress goes to stderr.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
release=${1:-$(uname -r)}
out=${2:-$root/artifacts/guest-driver/$release}
src="$root/guest/vireo-sample"
headers="/usr/src/linux-headers-$release"

log() { echo "guest-driver: $*" >&2; }

missing=()
[ -f "$headers/Makefile" ] || missing+=("linux-headers-$release")
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

build="$out/build"
mkdir -p "$build"
# -p keeps the sources' times, so make rebuilds only what changed.
cp -p "$src/vireo_sample.c" "$src/Kbuild" "$build/"
log "building vireo_sample.ko for $release in $build"
make -C "$headers" M="$build" W=1 modules >&2
cp "$build/vireo_sample.ko" "$out/vireo_sample.ko"
echo "$out/vireo_sample.ko"
