#!/usr/bin/env bash
# Coverage-guided fuzzing of the kernel loader with afl-fuzz through SharpFuzz: a bzImage as
# the fuzzer makes it (setup header, setup sectors, payload) with a guest RAM size, an
# initramfs size and a command line of its choosing, parsed and loaded into guest RAM as
# `vireo run` loads a kernel, for SECONDS, from the committed corpus
# (tests/Vireo.Loader.Fuzz/corpus/bzimage/). The loader may refuse only with a
# KernelImageException; anything else, a placement outside RAM or e820 RAM, overlapping pieces,
# or boot_params that do not name what was written, is a finding.
# Exits 1 listing every crashing or hanging input (tools/fuzz/afl-run.sh does the work).
# Usage: tools/fuzz/loader.sh [SECONDS] (default 120)
set -euo pipefail
exec "$(dirname "$0")/afl-run.sh" Vireo.Loader.Fuzz Vireo.Loader "${1:-120}" bzimage
