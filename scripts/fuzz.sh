#!/usr/bin/env bash
# scripts/fuzz.sh — build the libFuzzer targets (preset `fuzz`, clang) and run each one
# for a bounded time.
#
#   scripts/fuzz.sh [SECONDS]          each target SECONDS (default 25), one after another
#   scripts/fuzz.sh --target NAME ...  only the named target(s) (repeatable)
#   scripts/fuzz.sh --update-corpus    afterwards, merge what was learned into the
#                                      repo corpus (libFuzzer -merge=1: only inputs
#                                      that add coverage)
#
# Each target starts from its repo corpus (test/fuzz/corpus/<target>/) plus the inputs
# earlier runs found (build/fuzz/work/<target>/, kept between runs, not in git).
# A crash leaves its input in build/fuzz/artifacts/<target>/; copy it into the repo
# corpus: the ctest test fuzz_corpus.<target> of every other preset then replays it.
# Prints one line per target: time, executions, execs/s, coverage (cov: edges, ft:
# features), corpus size; the last line is `fuzz: N passed, M failed`.
# Exits non-zero when a target crashed, timed out or did not build.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1

ALL_TARGETS=(resp_parser_fuzz mpsc_queue_fuzz chase_lev_deque_fuzz nats_wire_fuzz)
TARGETS=()
SECONDS_EACH=25
UPDATE=0
while (($#)); do
  case "$1" in
    --target) TARGETS+=("$2"); shift 2 ;;
    --update-corpus) UPDATE=1; shift ;;
    -h|--help) sed -n '2,/^[^#]/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    [0-9]*) SECONDS_EACH="$1"; shift ;;
    *) echo "fuzz.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
((${#TARGETS[@]})) || TARGETS=("${ALL_TARGETS[@]}")

if ! command -v clang++ >/dev/null; then
  echo "fuzz.sh: clang++ not found (apt-get install clang)" >&2
  echo "fuzz: 0 passed, ${#TARGETS[@]} failed"
  exit 1
fi

BIN="$ROOT/build/fuzz/test/fuzz"
LOG_DIR="$ROOT/build/fuzz/logs"
mkdir -p "$LOG_DIR"
if ! { cmake --preset fuzz && cmake --build --preset fuzz -j 2; } >"$LOG_DIR/build.log" 2>&1; then
  tail -n 30 "$LOG_DIR/build.log"
  echo "fuzz.sh: the fuzz preset did not build (see $LOG_DIR/build.log)" >&2
  echo "fuzz: 0 passed, ${#TARGETS[@]} failed"
  exit 1
fi

passed=0
failed=0
for t in "${TARGETS[@]}"; do
  work="$ROOT/build/fuzz/work/$t"
  art="$ROOT/build/fuzz/artifacts/$t"
  seeds="$ROOT/test/fuzz/corpus/$t"
  log="$LOG_DIR/$t.log"
  mkdir -p "$work" "$art"
  start=$SECONDS
  # -timeout: one input running over 10 s is a hang; -rss_limit_mb: ASan's quarantine
  # makes the working set large, a real leak goes far past it.
  "$BIN/$t" -max_total_time="$SECONDS_EACH" -print_final_stats=1 -timeout=10 \
      -rss_limit_mb=4096 -artifact_prefix="$art/" "$work" "$seeds" >"$log" 2>&1
  rc=$?
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")"
  last="$(grep -E '^#[0-9]+' "$log" | tail -n 1)"
  cov="$(grep -oE 'cov: [0-9]+ ft: [0-9]+' <<<"$last")"
  corp="$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' <<<"$last")"
  if ((rc == 0)); then
    passed=$((passed + 1))
    printf 'fuzz %-22s ok     %3ds  %s execs, %s execs/s, %s, %s\n' \
      "$t" $((SECONDS - start)) "${execs:-?}" "${rate:-?}" "${cov:-cov: ?}" "${corp:-corp: ?}"
  else
    failed=$((failed + 1))
    printf 'fuzz %-22s FAILED %3ds (rc=%d) %s\n' "$t" $((SECONDS - start)) "$rc" \
      "$(grep -m1 -E 'ERROR|SUMMARY|deadly signal|Test unit written' "$log")"
    grep -E 'Test unit written' "$log" | sed 's/^/    /'
    echo "    log: $log"
  fi
  if ((UPDATE)); then
    "$BIN/$t" -merge=1 "$seeds" "$work" >>"$log" 2>&1 &&
      echo "    corpus $seeds: $(find "$seeds" -type f | wc -l) inputs"
  fi
done
echo "fuzz: $passed passed, $failed failed"
((failed == 0))
