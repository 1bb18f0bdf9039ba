#!/usr/bin/env bash
# Coverage-guided fuzzing of the kernel loader with afl-fuzz through SharpFuzz: a bzImage as
# the fuzzer makes it (setup header, setup sectors, payload) with a guest RAM size, an
# initramfs size and a command line of its choosing, parsed and loaded into guest RAM as
# `vireo run` loads a kernel, for SECONDS, from the committed corpus
# (tests/Vireo.Loader.Fuzz/corpus/bzimage/). The loader may refuse only with a
# KernelImageException; anything else, a placement outside RAM or e820 RAM, overlapping pieces,
# or boot_params that do not name what was written, is a finding.
# The arm64image target does the same for an arm64 kernel (a plain Image, gzip or EFI zboot),
# placed with a device tree and an initrd (corpus tests/Vireo.Loader.Fuzz/corpus/arm64image/).
# SECONDS is shared among the targets named (both unless some are).
# Exits 1 listing every crashing or hanging input (tools/fuzz/afl-run.sh does the work).
# Usage: tools/fuzz/loader.sh [SECONDS [TARGET...]] (default 120, bzimage arm64image)
set -euo pipefail
seconds="${1:-120}"
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- bzimage arm64image
exec "$(dirname "$0")/afl-run.sh" Vireo.Loader.Fuzz Vireo.Loader "$seconds" "$@"
