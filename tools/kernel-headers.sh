#!/usr/bin/env bash
# Fetches the Linux uAPI headers of a newer kernel than the host's (Debian bookworm-backports'
# linux-libc-dev, an arch-independent package holding every architecture's asm headers) into
# Vireo's cache and prints the include directory. The arm64 layout tests compile against it with
# aarch64-linux-gnu-gcc: the SMCCC filter (KVM_ARM_VM_SMCCC_FILTER, Linux 6.4) is newer than
# bookworm's own headers. apt runs with its own state directory, so the host's apt sources and
# lists are left as they are.
#   usage: tools/kernel-headers.sh        (prints e.g. ~/.cache/vireo/uapi/6.12.95-1~bpo12+1/usr/include)
set -euo pipefail
cache="${VIREO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vireo}/uapi"
suite="${VIREO_UAPI_SUITE:-bookworm-backports}"
mirror="${VIREO_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

current="$cache/current"
if [ -d "$current/usr/include/aarch64-linux-gnu/asm" ] && [ -z "${VIREO_UAPI_REFRESH:-}" ]; then
    echo "$current/usr/include"
    exit 0
fi

mkdir -p "$cache"
apt_dir="$(mktemp -d "$cache/.apt-XXXXXX")"
trap 'rm -rf "$apt_dir"' EXIT
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/deb"
echo "deb $mirror $suite main" > "$apt_dir/sources.list"
apt_opts=(-q -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
          -o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
          -o "APT::Sandbox::User=root")
echo "kernel-headers.sh: fetching linux-libc-dev from $suite..." >&2
if ! apt-get "${apt_opts[@]}" update >"$apt_dir/update.log" 2>&1; then
    cat "$apt_dir/update.log" >&2
    echo "kernel-headers.sh: apt-get update of $suite failed; check that $mirror is reachable" >&2
    exit 1
fi
(cd "$apt_dir/deb" && apt-get "${apt_opts[@]}" download linux-libc-dev >"$apt_dir/download.log" 2>&1) || {
    cat "$apt_dir/download.log" >&2
    echo "kernel-headers.sh: apt-get download linux-libc-dev from $suite failed" >&2
    exit 1
}
deb="$(ls "$apt_dir"/deb/linux-libc-dev_*.deb)"
version="$(dpkg-deb -f "$deb" Version)"
target="$cache/$version"
rm -rf "$target.tmp" && mkdir -p "$target.tmp"
dpkg -x "$deb" "$target.tmp"
rm -rf "$target" && mv "$target.tmp" "$target"
ln -sfn "$version" "$current"
echo "kernel-headers.sh: linux-libc-dev $version in $target" >&2
echo "$current/usr/include"
