#!/usr/bin/env bash
# One command: set up what the tests need (idempotent), then run every test: the formatter's lint, the Swift test suite, and
# the cross-checks against reference implementations (nltk's Porter, trec_eval).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh
export RANK1_SHARED=${RANK1_SHARED:-$(cd "$root/.." && pwd)/shared}
# The tests read the shared corpora and reference data beside the clone (README: Tests); without them say so now.
[ -d "$RANK1_SHARED/corpora/scifact" ] && [ -f "$RANK1_SHARED/rank1/paper_prompts.json" ] || {
  echo "test: the shared test data is not at $RANK1_SHARED (corpora/, rank1/); set RANK1_SHARED to where it is" >&2; exit 1; }
export RANK1_BIN="$root/.build/release/rank1"
export RANK1_PYTHON="$root/.runtime/venv/bin/python"
# llama.cpp's own server, for the real-checkpoint tests: built once from the same llama.cpp tree as the library
# (about 9 minutes on 2 cores the first time), then cached outside the clone.
# (Not `export X=$(...)`: export's status would hide a failed build.)
server=${RANK1_LLAMA_SERVER:-}
[ -n "$server" ] || server=$(bash scripts/build_llama_server.sh)
[ -x "$server" ] || { echo "test: no llama-server at '$server'" >&2; exit 1; }
export RANK1_LLAMA_SERVER=$server
echo "== swift format lint (.swift-format)" >&2
set +e
swift format lint --strict -r Sources Tests Package.swift
format_status=$?
set -e
echo "== swift test" >&2
set +e
swift test > .runtime/swift-test.log 2>&1
swift_status=$?
set -e
# Compile progress lines are noise; everything else (failures, the runner's summary) is shown.
grep -vE '^\[[0-9]+/[0-9]+\] ' .runtime/swift-test.log || true
echo "== reference cross-checks and end-to-end tests" >&2
status=0
for t in Tests/reference/*.py Tests/e2e/*.py; do
  "$RANK1_PYTHON" "$t" || status=1
done
if [ "$swift_status" -ne 0 ] || [ "$status" -ne 0 ] || [ "$format_status" -ne 0 ]; then
  echo "TESTS FAILED (swift test: $swift_status, reference checks: $status, swift format lint: $format_status)" >&2
  exit 1
fi
