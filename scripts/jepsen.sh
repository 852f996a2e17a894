#!/usr/bin/env bash
# The long fault test of durable actors (docs/durable.md): the bank on three
# nodes and three NATS servers, >= 50 node kills (one every ~2 s for ~130 s),
# one NATS server kill, one node paused past its lease; then the checker. Then
# the broken mode (answers before their records are stored), which the checker
# must catch. Needs the release build (cmake --build --preset release).
#
#   scripts/jepsen.sh [BUILD_DIR] [extra bank_faults.py options, e.g. --seed 7]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../build/release}"
shift || true
status=0
python3 "$here/bank_faults.py" --bin "$build" --long "$@" || status=1
python3 "$here/bank_faults.py" --bin "$build" --broken "$@" || status=1
exit $status
