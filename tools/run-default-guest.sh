#!/usr/bin/env bash
# Vireo's main job: boot the default guest (Debian's stock cloud kernel + a busybox initramfs)
# to its shell. Directly where /dev/kvm is hardware KVM (VMX/SVM); through the nested lab
# elsewhere (PVM hosts such as CI), saying which. Extra arguments go to `vireo run`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
backend=$("$here/vireo.sh" kvm-info --json 2>/dev/null | sed -n 's/.*"backend": *"\([a-z]*\)".*/\1/p' || true)
case "$backend" in
    intel|amd)
        echo "vireo: hardware KVM ($backend): booting the default guest directly" >&2
        exec "$here/vireo.sh" run "$@" ;;
    *)
        echo "vireo: /dev/kvm here is '${backend:-missing}', which cannot boot a stock kernel: booting the default guest in the nested lab" >&2
        # Non-interactive in the lab: show the shell works, then reboot to end the run.
        exec "$here/vireo.sh" lab run --input 'echo "hello from the default guest: $(uname -sr), $(nproc) CPU(s)"; reboot -f\n' "$@" ;;
esac
