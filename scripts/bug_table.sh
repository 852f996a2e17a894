#!/usr/bin/env bash
# scripts/bug_table.sh — the historical races, re-introduced one at a time
# (src/sim/bugs.hpp), looked for by the plain tests under ThreadSanitizer and by the
# stress tests under the simulation. Not in CI; docs/testing.md's table comes from it.
#
#   scripts/bug_table.sh [--reps N] [--seconds S] [--seeds M] [--only tsan|sim] [--bug NAME]
#                        [--test BINARY] [--no-build]
#
# tsan: builds the tsan preset's *_bugs targets (test/CMakeLists.txt: the library copy
#   tact_bugs, compiled with TACT_SIM_BUGS, and the tests that looked for each race,
#   linked to it) and runs each (race, test) pair N times (default 10), one run at a
#   time, each bounded to S seconds (default 120; a run still going then counts as
#   found: a lost wake-up hangs). A run that fails in any way found the race. First
#   the same pair once with no race (TACT_BUG=none): the control must pass.
# sim: builds the sim preset's sim_*_stress_test_bugs (test/sim/CMakeLists.txt) and
#   runs each pair over M seeds per strategy (default 200; TACT_SIM_SEEDS), stopping at
#   the first failing seed; prints how many seeds that took.
# Output: one line per pair, "BUGTABLE <mode> <race> <test>: ...". Logs of failing
# runs: build/bug-table/.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1
REPS=10
LIMIT=120
SEEDS=200
ONLY=""
BUG_ONLY=""
TEST_ONLY=""
BUILD=1
while (($#)); do
  case "$1" in
    --reps) REPS="$2"; shift 2 ;;
    --seconds) LIMIT="$2"; shift 2 ;;
    --seeds) SEEDS="$2"; shift 2 ;;
    --only) ONLY="$2"; shift 2 ;;
    --bug) BUG_ONLY="$2"; shift 2 ;;
    --test) TEST_ONLY="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    -h|--help) sed -n '2,/^[^#]/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "bug_table.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
LOGS="build/bug-table"
mkdir -p "$LOGS"

# race | test binary | gtest filter
TSAN_PAIRS=(
  "quiescent_flags_first|scheduler_stress_test_bugs|Configs/SchedulerStress.QuiescentIsNeverTrueWhileATaskIsQueuedOrRunning/TwoWorkers"
  "quiescent_flags_first|lifecycle_test_bugs|Lifecycle.ATellRightBeforeShutdownIsHandled"
  "woken_worker_still_searching|scheduler_stress_test_bugs|SchedulerWakeUp.ASleepingWorkerIsWokenWhileTheOtherRunsALongTask"
  "woken_worker_still_searching|runtime_stress_test_bugs|RuntimeStress.AnIdleWorkerTakesNewWorkWhileAnotherRunsALongHandler"
  "deque_relaxed_bottom_store|deque_stress_test_bugs|*"
  "interleaved_resume_rejected_early|coroutine_test_bugs|Coroutine.ARaceBetweenTheReplyAndAKillResolvesEveryAskOnce"
  "shutdown_ignores_driver_turn|driver_test_bugs|Driver.ShutdownFromAnotherThreadWaitsForTheTurnTheDriverIsRunning"
  "shutdown_ignores_driver_turn|driver_stress_test_bugs|*"
)
SIM_PAIRS=(
  "quiescent_flags_first|sim_scheduler_stress_test_bugs|Configs/SchedulerStress.QuiescentIsNeverTrueWhileATaskIsQueuedOrRunning/TwoWorkers"
  "quiescent_flags_first|sim_runtime_stress_test_bugs|RuntimeStress.BurstsAfterIdleGapsAlwaysCompleteNoWakeUpIsLost"
  "woken_worker_still_searching|sim_scheduler_stress_test_bugs|SchedulerWakeUp.ASleepingWorkerIsWokenWhileTheOtherRunsALongTask"
  "woken_worker_still_searching|sim_runtime_stress_test_bugs|RuntimeStress.AnIdleWorkerTakesNewWorkWhileAnotherRunsALongHandler"
  "deque_relaxed_bottom_store|sim_scheduler_stress_test_bugs|Configs/SchedulerStress.SelfReschedulingTasksRunExactlyTheirCount/TwoWorkersLocalQueue2"
  "shutdown_ignores_driver_turn|sim_driver_stress_test_bugs|*"
)

targets_of() {  # the distinct binaries of a pair list
  local pair
  for pair in "$@"; do IFS='|' read -r _ bin _ <<<"$pair"; echo "$bin"; done | sort -u
}
wanted() {  # bug binary
  [[ -z "$BUG_ONLY" || "$1" == "$BUG_ONLY" ]] && [[ -z "$TEST_ONLY" || "$2" == "$TEST_ONLY" ]]
}
build() {  # preset targets...
  ((BUILD)) || return 0
  local preset="$1"
  shift
  cmake --preset "$preset" >/dev/null && nice -n 10 cmake --build --preset "$preset" -j 2 --target "$@" >/dev/null
}

# One run of a test binary with a race; 0 = passed, else failed/hung.
run_once() {  # bug binary filter log
  TACT_BUG="$1" TSAN_OPTIONS="halt_on_error=1:suppressions=$ROOT/cmake/tsan.supp" \
    timeout -s KILL "$LIMIT" "$2" --gtest_filter="$3" >"$4" 2>&1
}

if [[ -z "$ONLY" || "$ONLY" == tsan ]]; then
  mapfile -t bins < <(targets_of "${TSAN_PAIRS[@]}")
  build tsan "${bins[@]}" || {
    echo "bug_table.sh: the tsan *_bugs targets did not build" >&2; exit 1; }
  for pair in "${TSAN_PAIRS[@]}"; do
    IFS='|' read -r bug bin filter <<<"$pair"
    wanted "$bug" "$bin" || continue
    exe="build/tsan/test/$bin"
    tag="$bug.$bin"
    if ! run_once none "$exe" "$filter" "$LOGS/$tag.control.log"; then
      echo "BUGTABLE tsan $bug $bin ($filter): CONTROL FAILED (no race re-introduced): see $LOGS/$tag.control.log"
      continue
    fi
    found=0
    t0=$SECONDS
    for ((i = 1; i <= REPS; ++i)); do
      if ! run_once "$bug" "$exe" "$filter" "$LOGS/$tag.run.log"; then
        found=$((found + 1))
        cp "$LOGS/$tag.run.log" "$LOGS/$tag.found-$i.log"
      fi
    done
    if ((found > 0)); then
      what="found in $found of $REPS runs"
    else
      what="not found in $REPS runs"
    fi
    echo "BUGTABLE tsan $bug $bin ($filter): $what (${LIMIT}s bound each; $((SECONDS - t0)) s in all)"
  done
fi

if [[ -z "$ONLY" || "$ONLY" == sim ]]; then
  mapfile -t bins < <(targets_of "${SIM_PAIRS[@]}")
  build sim "${bins[@]}" || {
    echo "bug_table.sh: the sim *_bugs targets did not build" >&2; exit 1; }
  for pair in "${SIM_PAIRS[@]}"; do
    IFS='|' read -r bug bin filter <<<"$pair"
    wanted "$bug" "$bin" || continue
    exe="build/sim/test/sim/$bin"
    tag="$bug.$bin"
    TACT_BUG="$bug" TACT_SIM_SEEDS="$SEEDS" "$exe" --gtest_filter="$filter" >"$LOGS/$tag.sim.log" 2>&1
    while read -r line; do
      echo "BUGTABLE sim $bug $bin ($filter): $line"
    done < <(grep -E '^sim\[[^]]*\] \((random|pct)\):' "$LOGS/$tag.sim.log" | sed -E 's/^sim\[[^]]*\] //')
  done
fi
