#!/usr/bin/env bash
# Coverage-guided fuzzing of the management API's HTTP layer with afl-fuzz through SharpFuzz:
# the bytes a client sends on the API socket (request heads, Content-Length and chunked bodies,
# pipelined requests, JSON bodies for every endpoint), served on one connection by the API's own
# HTTP code with a recording VM behind it, for SECONDS, from the committed corpus
# (tests/Vireo.Api.Fuzz/corpus/http/). Allowed: well-formed answers, a 4xx with a JSON error for
# bad input, then the end of the connection; a 5xx, an exception the server logs, a malformed
# answer or a connection that does not end is a finding.
# Exits 1 listing every crashing or hanging input (tools/fuzz/afl-run.sh does the work).
# Usage: tools/fuzz/api.sh [SECONDS] (default 120)
set -euo pipefail
exec "$(dirname "$0")/afl-run.sh" Vireo.Api.Fuzz Vireo.Api "${1:-120}" http
