#!/usr/bin/env bash
# Vireo's main job: boot the default guest — Debian's stock cloud kernel, a busybox initramfs,
# and a small ext4 root disk Vireo builds, with a network — to its shell. Directly where
# /dev/kvm is hardware KVM (VMX/SVM); through the nested lab elsewhere (PVM hosts such as CI),
# saying which. Extra arguments go to `vireo run`.
# The first run needs root or sudo: apt-get installs what the guest and the lab need, and the
# kernel is downloaded once into ~/.cache/vireo.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# Build first, with its progress on the terminal: a fresh clone spends minutes here.
"$here/vireo.sh" --build-only >/dev/null
backend=$("$here/vireo.sh" kvm-info --json 2>/dev/null | sed -n 's/.*"backend": *"\([a-z]*\)".*/\1/p' || true)
field() { printf '%s\n' "$guest" | sed -n "s/^$1: //p"; }
# The guest's network unless the user gave one: a tap vireo creates (192.168.249.1/24 on the
# host side; the guest takes .2), which needs CAP_NET_ADMIN.
net=(--net tap)
case " $* " in *" --net "* | *" --net="*) net=() ;; esac
case "$backend" in
    intel|amd)
        echo "vireo: hardware KVM ($backend): fetching the default guest, then booting it directly" >&2
        # The machine's disk is a copy kept between runs (the cache's image stays pristine).
        guest=$("$here/vireo-lab.sh" guest --machine-disk)
        if [ ${#net[@]} -gt 0 ] && [ "$(id -u)" != 0 ]; then
            net=()
            echo "vireo: the guest has no network: creating a tap needs root (CAP_NET_ADMIN). Run this as root, or make a tap you own once:" >&2
            echo "  sudo ip tuntap add vireo0 mode tap user $(id -un) && sudo ip addr add 192.168.249.1/24 dev vireo0 && sudo ip link set vireo0 up" >&2
            echo "and then run: $0 --net tap=vireo0" >&2
        fi
        exec "$here/vireo.sh" run --kernel "$(field kernel)" --initramfs "$(field initramfs)" \
            --disk "path=$(field disk)" --append root=/dev/vda ${net[@]+"${net[@]}"} "$@" ;;
    *)
        echo "vireo: /dev/kvm here is '${backend:-missing}', which cannot boot a stock kernel: booting the default guest in the nested lab" >&2
        guest=$("$here/vireo-lab.sh" guest)
        # Non-interactive in the lab: show the machine works (its disk, its network), then power it off.
        exec "$here/vireo-lab.sh" run --disk "path=$(field rootfs)" --append root=/dev/vda ${net[@]+"${net[@]}"} \
            --input 'echo "hello from the default guest: $(uname -sr), $(nproc) CPU(s)"; df -h /; ping -c 2 192.168.249.1; poweroff\n' "$@" ;;
esac
