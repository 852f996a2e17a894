#!/usr/bin/env bash
# scripts/soak.sh — mixed workloads with random stops, kills, timeouts, restarts and
# shutdowns for N minutes, invariants checked after every round (not in CI).
#
#   scripts/soak.sh [MINUTES] [--preset release|asan|tsan] [--seed S]
#
# Builds tact-soak (test/soak/soak.cpp) in the preset (default release) and runs it for
# MINUTES (default 10). Each round prints nothing unless it fails (its seed and the
# broken invariant); a round that hangs past 120 s aborts with its seed. The last line
# counts rounds, failures and asks. Exits non-zero if any round failed.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1
MINUTES=10
PRESET=release
SEED=""
while (($#)); do
  case "$1" in
    --preset) PRESET="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^[^#]/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) MINUTES="$1"; shift ;;
  esac
done
cmake --preset "$PRESET" >/dev/null && cmake --build --preset "$PRESET" -j 2 --target tact-soak >/dev/null || {
  echo "soak.sh: tact-soak did not build in preset $PRESET" >&2; exit 1; }
args=(--seconds "$((MINUTES * 60))")
[[ -n "$SEED" ]] && args+=(--seed "$SEED")
# The sanitizer presets' options (fail hard on the first report).
export TSAN_OPTIONS="halt_on_error=1:suppressions=$ROOT/cmake/tsan.supp"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
exec "build/$PRESET/test/tact-soak" "${args[@]}"
