#!/usr/bin/env bash
# Coverage-guided fuzzing of the vfio-user library with afl-fuzz through SharpFuzz: the
# server side (bytes a client sends) and then the client side (bytes a malicious server sends),
# each for half of SECONDS, from the committed corpus (tests/Vireo.VfioUser.Fuzz/corpus/).
# Exits 1 listing every crashing or hanging input (tools/fuzz/afl-run.sh does the work).
# Usage: tools/fuzz/vfio-user.sh [SECONDS] (default 120)
set -euo pipefail
exec "$(dirname "$0")/afl-run.sh" Vireo.VfioUser.Fuzz Vireo.VfioUser "${1:-120}" server client
