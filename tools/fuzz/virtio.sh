#!/usr/bin/env bash
# Coverage-guided fuzzing of the virtio device models with afl-fuzz through SharpFuzz: a
# guest's RAM and queue as the fuzzer makes them (descriptor table, rings, buffers), served by
# the entropy, block, console and network models, for SECONDS, from the committed corpus
# (tests/Vireo.Virtio.Fuzz/corpus/virtqueue/). A device may refuse a ring only with a
# VirtqueueException; anything else, or a pass that does not end, is a finding.
# Exits 1 listing every crashing or hanging input (tools/fuzz/afl-run.sh does the work).
# Usage: tools/fuzz/virtio.sh [SECONDS] (default 120)
set -euo pipefail
exec "$(dirname "$0")/afl-run.sh" Vireo.Virtio.Fuzz Vireo.Virtio "${1:-120}" virtqueue
