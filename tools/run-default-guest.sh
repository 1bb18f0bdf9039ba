#!/usr/bin/env bash
# Vireo's main job: boot the default guest (Debian's stock cloud kernel + a busybox initramfs)
# to its shell. Directly where /dev/kvm is hardware KVM (VMX/SVM); through the nested lab
# elsewhere (PVM hosts such as CI), saying which. Extra arguments go to `vireo run`.
# The first run needs root or sudo: apt-get installs what the guest and the lab need, and the
# kernel is downloaded once into ~/.cache/vireo.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# Build first, with its progress on the terminal: a fresh clone spends minutes here.
"$here/vireo.sh" --build-only >/dev/null
backend=$("$here/vireo.sh" kvm-info --json 2>/dev/null | sed -n 's/.*"backend": *"\([a-z]*\)".*/\1/p' || true)
case "$backend" in
    intel|amd)
        echo "vireo: hardware KVM ($backend): fetching the default guest, then booting it directly" >&2
        guest=$("$here/vireo-lab.sh" guest)
        kernel=$(printf '%s\n' "$guest" | sed -n 's/^kernel: //p')
        initramfs=$(printf '%s\n' "$guest" | sed -n 's/^initramfs: //p')
        exec "$here/vireo.sh" run --kernel "$kernel" --initramfs "$initramfs" "$@" ;;
    *)
        echo "vireo: /dev/kvm here is '${backend:-missing}', which cannot boot a stock kernel: booting the default guest in the nested lab" >&2
        # Non-interactive in the lab: show the shell works, then reboot to end the run.
        exec "$here/vireo-lab.sh" run --input 'echo "hello from the default guest: $(uname -sr), $(nproc) CPU(s)"; reboot -f\n' "$@" ;;
esac
