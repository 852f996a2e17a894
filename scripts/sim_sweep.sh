#!/usr/bin/env bash
# scripts/sim_sweep.sh — a longer sweep of the simulation tests (not in CI).
#
#   scripts/sim_sweep.sh [SEEDS] [FIRST]   every sim test (label sim) with SEEDS seeds per
#                                          strategy (default 5000), starting at seed FIRST
#                                          (default 1000000, past the CI sweep's seeds)
#   scripts/sim_sweep.sh --bugs [SEEDS]    the bug-variant tests (label sim_bug) instead
#   scripts/sim_sweep.sh --weak [SEEDS]    every sim test in the weak-memory mode
#                                          (TACT_SIM_WEAK=1: loads may return older stores)
#
# Builds the preset sim, then runs ctest with TACT_SIM_SEEDS / TACT_SIM_FIRST_SEED (no
# time bound per test; see src/sim/sim.hpp). A failing seed is printed with its
# schedule length and trace hash; replay it with
#   TACT_SIM_SEED=N build/sim/test/sim/<binary> --gtest_filter=<test>
# Logs: build/sim/sweep-<label>.log. Exits non-zero if any test failed.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1
LABEL=sim
WEAK=0
if [[ "${1:-}" == --bugs ]]; then LABEL=sim_bug; shift; fi
if [[ "${1:-}" == --weak ]]; then WEAK=1; shift; fi
SEEDS="${1:-5000}"
FIRST="${2:-1000000}"
cmake --preset sim >/dev/null && cmake --build --preset sim -j 2 >/dev/null || {
  echo "sim_sweep.sh: the sim preset did not build" >&2; exit 1; }
log="build/sim/sweep-$LABEL$( ((WEAK)) && echo -weak).log"
echo "sim sweep: label $LABEL, $SEEDS seeds per strategy from seed $FIRST$( ((WEAK)) && echo ', weak memory') (log: $log)"
TACT_SIM_WEAK="$WEAK" TACT_SIM_SEEDS="$SEEDS" TACT_SIM_FIRST_SEED="$FIRST" \
  ctest --test-dir build/sim -L "^$LABEL\$" --timeout 36000 -V >"$log" 2>&1
rc=$?
grep -E '^[0-9]+: (sim\[|BUG-TABLE)' "$log" | sed 's/^[0-9]*: //'
grep -E 'tests passed|tests failed' "$log" | tail -n 1
exit "$rc"
