#!/usr/bin/env bash
# One command: set everything up (idempotent), then open the explorer on the default corpus.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/setup.sh"
exec "$root/.build/release/rank1" "$@"
