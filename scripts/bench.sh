#!/usr/bin/env bash
# scripts/bench.sh — build tact's benchmarks (release preset) and compare tact with
# the alternatives it replaces.
#
#   scripts/bench.sh                 10 repetitions of every micro benchmark
#   scripts/bench.sh --quick         3 repetitions, shorter minimum time (a smoke run)
#   scripts/bench.sh --repetitions N
#   scripts/bench.sh --filter REGEX  only benchmarks whose name matches (Google Benchmark regex)
#   scripts/bench.sh --no-build      reuse build/release as it is
#   scripts/bench.sh --rounds N      rounds of tact-workloads all (default 3)
#   scripts/bench.sh --workers N     tact-workloads --workers (default: nproc)
#
# Stages (one function each; main() lists them):
#   stage_setup    scripts/setup.sh (system packages)
#   stage_build    cmake --preset release; build the benchmark targets
#   stage_micro    run each binary in MICRO_BENCHES with random interleaving of the
#                  repetitions; raw JSON in results/<name>.json, console in results/<name>.log
#   stage_report   scripts/bench_report.py: per family/scenario, each implementation's
#                  time per item as median (min-max) over the repetitions and tact's
#                  throughput ratio to each other implementation; also results/micro.md
#   stage_workloads  the canonical workloads and fanin_many (`all`), ROUNDS rounds (3;
#                  --quick: 1 round at scale 0.2), each round running tact-workloads,
#                  then every peer found (caf-workloads: CAF 0.17; tokio-workloads: the
#                  tokio task+mpsc+oneshot pattern), `all --workers W`, interleaved so
#                  machine drift hits all alike; every result verified; raw lines in
#                  results/workloads-<framework>-<round>.txt; the comparison (median
#                  (min-max) per framework, tact's advantage over each) in
#                  results/workloads.md, and as a chart in results/workloads.svg
#   stage_jepsen   the long fault test of durable actors (scripts/jepsen.sh: >= 50
#                  node kills, the checker, the broken mode), output in
#                  results/jepsen.txt (not with --quick)
#   stage_metrics  what metrics cost: each workload with --metrics off and on, one
#                  after the other (scripts/workloads_ab.py), 3 x ROUNDS rounds; the
#                  table (median (min-max) each, on/off, paired on/off) in
#                  results/metrics.md
#   stage_nats     when tact::nats was built: tact-nats-bench (remote ask latency and
#                  tell throughput, two processes on loopback, beside raw nats.c and,
#                  when caf-remote-bench built, CAF 0.17's remote actors), ROUNDS
#                  interleaved rounds (--quick: its --quick); its output in
#                  results/nats.txt, its table in results/nats.md, printed after the
#                  workloads'
#   stage_durable  when tact::nats was built: tact-durable-bench (the journal beside a
#                  raw JetStream append) and tact-durable-actor-bench (durable asks,
#                  throughput on 1 and 100 actors, cold activation, fail-over after a
#                  node SIGKILL and after a NATS server SIGKILL), each on a 3-server
#                  cluster of its own; output in results/durable.txt, the table in
#                  results/durable.md (--quick: fewer rounds)
# Benchmarks that fail to build or run are reported, the others still are; the exit
# status is non-zero when any failed.
set -uo pipefail

# Micro benchmark binaries, built from bench/micro/ into build/release/bench/.
MICRO_BENCHES=(
  mpsc_queue_bench
  chase_lev_deque_bench
  reply_slot_bench
  block_pool_bench
)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1

PRESET=release
BUILD_DIR="$ROOT/build/$PRESET"
RESULTS="$ROOT/results"
JOBS="$(nproc 2>/dev/null || echo 2)"
REPETITIONS=10
MIN_TIME=""          # empty: Google Benchmark's default (0.5 s per benchmark)
FILTER=""
DO_BUILD=1
WORKLOAD_ROUNDS=3
WORKLOAD_SCALE=1
WORKLOAD_WORKERS="$(nproc 2>/dev/null || echo 2)"

FAILED=()            # "<binary>=<reason>" for the report
declare -A BUILT=()  # binary -> 1 when its target built

usage() { sed -n '2,/^[^#]/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

parse_args() {
  while (($#)); do
    case "$1" in
      --quick) REPETITIONS=3; MIN_TIME=0.05; WORKLOAD_ROUNDS=1; WORKLOAD_SCALE=0.2; shift ;;
      --rounds) [[ $# -ge 2 ]] || { echo "bench.sh: --rounds needs a number" >&2; exit 2; }
                WORKLOAD_ROUNDS="$2"; shift 2 ;;
      --workers) [[ $# -ge 2 ]] || { echo "bench.sh: --workers needs a number" >&2; exit 2; }
                 WORKLOAD_WORKERS="$2"; shift 2 ;;
      --repetitions) [[ $# -ge 2 ]] || { echo "bench.sh: --repetitions needs a number" >&2; exit 2; }
                     REPETITIONS="$2"; shift 2 ;;
      --repetitions=*) REPETITIONS="${1#*=}"; shift ;;
      --filter) [[ $# -ge 2 ]] || { echo "bench.sh: --filter needs a regex" >&2; exit 2; }
                FILTER="$2"; shift 2 ;;
      --filter=*) FILTER="${1#*=}"; shift ;;
      --no-build) DO_BUILD=0; shift ;;
      -h|--help) usage; exit 0 ;;
      *) echo "bench.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
  done
  [[ "$REPETITIONS" =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: bad --repetitions '$REPETITIONS'" >&2; exit 2; }
}

note() { printf '\n==> %s\n' "$*"; }

# ---- stages -----------------------------------------------------------------------
stage_setup() {
  note "setup"
  bash "$ROOT/scripts/setup.sh" || { echo "bench.sh: scripts/setup.sh failed" >&2; exit 1; }
  # The peers are optional: without them the comparison shows tact alone.
  TACT_SETUP_PACKAGES="libcaf-dev librust-tokio-dev" bash "$ROOT/scripts/setup.sh" ||
    echo "bench.sh: the peers' packages could not be installed; comparing what is there"
}

stage_build() {
  local b
  if ((!DO_BUILD)); then
    for b in "${MICRO_BENCHES[@]}" tact-workloads caf-workloads tokio-workloads tact-nats-bench \
             tact-durable-bench tact-durable-actor-bench; do BUILT[$b]=1; done
    return 0
  fi
  note "configure ($PRESET preset)"
  cmake --preset "$PRESET" -DTACT_BUILD_BENCH=ON || { echo "bench.sh: configure failed" >&2; exit 1; }
  # One target at a time, so a benchmark that does not compile costs only its own row.
  for b in "${MICRO_BENCHES[@]}" tact-workloads caf-workloads tact-nats-bench tact-durable-bench \
           tact-durable-actor-bench; do
    if [[ $b == caf-workloads ]] && ! grep -q 'caf-workloads' "$BUILD_DIR/Makefile" 2>/dev/null; then
      echo "bench.sh: CAF 0.17 not found by CMake: no caf-workloads"
      continue
    fi
    if [[ $b == tact-durable* ]] && ! grep -q "$b" "$BUILD_DIR/Makefile" 2>/dev/null; then
      echo "bench.sh: tact::nats not built: no $b"
      continue
    fi
    if [[ $b == tact-nats-bench ]] && ! grep -q 'tact-nats-bench' "$BUILD_DIR/Makefile" 2>/dev/null; then
      echo "bench.sh: tact::nats not built (libnats-dev, libmsgpack-cxx-dev): no tact-nats-bench"
      continue
    fi
    note "build $b"
    if cmake --build --preset "$PRESET" -j "$JOBS" --target "$b"; then
      BUILT[$b]=1
    else
      FAILED+=("$b=build failed")
    fi
  done
  build_tokio_peer
}

# The tokio peer builds with cargo, offline, from Debian's packaged crates.
build_tokio_peer() {
  local cargo
  cargo="$(command -v cargo || echo "$HOME/.cargo/bin/cargo")"
  if [[ ! -x "$cargo" ]]; then
    echo "bench.sh: no cargo: no tokio-workloads"
    return
  fi
  note "build tokio-workloads (cargo, offline)"
  if (cd "$ROOT/bench/peers/tokio" && "$cargo" build --release --offline); then
    BUILT[tokio-workloads]=1
  else
    echo "bench.sh: tokio-workloads did not build (is librust-tokio-dev installed?)"
  fi
}

# run_bench <binary> <json-out> [extra flags...]: one Google Benchmark binary, with
# randomly interleaved repetitions; JSON to the file, console output to the log.
run_bench() {
  local exe="$1" out="$2"; shift 2
  local name log flags
  name="$(basename "$out" .json)"
  log="$RESULTS/$name.log"
  flags=(
    --benchmark_repetitions="$REPETITIONS"
    --benchmark_enable_random_interleaving=true
    --benchmark_out="$out"
    --benchmark_out_format=json
    --benchmark_format=console
  )
  [[ -n "$MIN_TIME" ]] && flags+=(--benchmark_min_time="$MIN_TIME")
  [[ -n "$FILTER" ]] && flags+=(--benchmark_filter="$FILTER")
  echo "+ $exe ${flags[*]} $*"
  "$exe" "${flags[@]}" "$@" 2>&1 | tee "$log"
  return "${PIPESTATUS[0]}"
}

stage_micro() {
  local b exe out rc
  mkdir -p "$RESULTS"
  for b in "${MICRO_BENCHES[@]}"; do
    out="$RESULTS/$b.json"
    rm -f "$out" "$RESULTS/$b.log"   # never report a stale result as this run's
    [[ -n "${BUILT[$b]:-}" ]] || continue
    exe="$BUILD_DIR/bench/$b"
    if [[ ! -x "$exe" ]]; then
      FAILED+=("$b=binary missing ($exe)")
      continue
    fi
    note "run $b ($REPETITIONS repetitions)"
    run_bench "$exe" "$out"
    rc=$?
    ((rc == 0)) || FAILED+=("$b=exited with status $rc")
  done
}

stage_report() {
  local args=(--results "$RESULTS" --out "$RESULTS/micro.md") f b
  for b in "${MICRO_BENCHES[@]}"; do args+=(--expect "$b"); done
  for f in "${FAILED[@]}"; do args+=(--failed "$f"); done
  note "report"
  python3 "$ROOT/scripts/bench_report.py" "${args[@]}"
  case $? in
    0) ;;
    3) ((${#FAILED[@]})) || FAILED+=("report=some results missing or failed (see Problems above)") ;;
    *) FAILED+=("report=bench_report.py failed") ;;
  esac
}

# workload_programs: "<framework> <path>" for every workloads program that built.
workload_programs() {
  [[ -n "${BUILT[tact-workloads]:-}" ]] && echo "tact $BUILD_DIR/bench/workloads/tact-workloads"
  [[ -n "${BUILT[caf-workloads]:-}" ]] && echo "caf $BUILD_DIR/bench/peers/caf/caf-workloads"
  [[ -n "${BUILT[tokio-workloads]:-}" ]] && echo "tokio $ROOT/bench/peers/tokio/target/release/tokio-workloads"
  return 0
}

stage_workloads() {
  local i out framework exe files=() programs=()
  mapfile -t programs < <(workload_programs)
  [[ -n "${BUILT[tact-workloads]:-}" ]] || FAILED+=("tact-workloads=build failed")
  ((${#programs[@]})) || return
  mkdir -p "$RESULTS"
  rm -f "$RESULTS"/workloads-*.txt "$RESULTS/workloads.md"
  for ((i = 1; i <= WORKLOAD_ROUNDS; i++)); do
    for entry in "${programs[@]}"; do
      framework="${entry%% *}"
      exe="${entry#* }"
      out="$RESULTS/workloads-$framework-$i.txt"
      if [[ ! -x "$exe" ]]; then
        FAILED+=("$framework-workloads=binary missing ($exe)")
        continue
      fi
      note "$framework: all --workers $WORKLOAD_WORKERS --scale $WORKLOAD_SCALE (round $i of $WORKLOAD_ROUNDS)"
      if "$exe" all --workers "$WORKLOAD_WORKERS" --scale "$WORKLOAD_SCALE" | tee "$out"; then
        files+=("$out")
      else
        FAILED+=("$framework round $i=a workload failed its verification or did not finish")
        [[ -s "$out" ]] && files+=("$out")  # what did run still counts
      fi
    done
  done
  ((${#files[@]})) || return
  note "workloads: tact beside its peers (median over rounds, same sitting)"
  python3 "$ROOT/scripts/workloads_report.py" --out "$RESULTS/workloads.md" "${files[@]}" ||
    FAILED+=("workloads report=workloads_report.py failed")
  # The chart needs a peer to compare with; tact alone has none to draw.
  if python3 "$ROOT/scripts/workloads_chart.py" --out "$RESULTS/workloads.svg" "${files[@]}"; then
    echo "chart: $RESULTS/workloads.svg"
  fi
}

# tact::nats beside raw nats.c and CAF's remote actors (bench/nats/nats_bench.cpp).
stage_nats() {
  local exe="$BUILD_DIR/bench/nats/tact-nats-bench" args=(--rounds "$WORKLOAD_ROUNDS")
  [[ -n "${BUILT[tact-nats-bench]:-}" ]] || return 0
  rm -f "$RESULTS/nats.txt" "$RESULTS/nats.md"
  if [[ ! -x "$exe" ]]; then
    FAILED+=("tact-nats-bench=binary missing ($exe)")
    return
  fi
  [[ $WORKLOAD_SCALE == 1 ]] || args=(--quick)
  mkdir -p "$RESULTS"
  note "tact::nats: remote ask and tell, two processes on loopback (${args[*]})"
  if "$exe" "${args[@]}" >"$RESULTS/nats.txt" 2>&1; then
    grep -E '^(medians|\|)' "$RESULTS/nats.txt" >"$RESULTS/nats.md"
  else
    FAILED+=("tact-nats-bench=failed (results/nats.txt)")
    tail -n 5 "$RESULTS/nats.txt"
  fi
}

# Durable actors on a JetStream cluster (bench/durable/; docs/durable.md, "Cost").
stage_durable() {
  local journal="$BUILD_DIR/bench/durable/tact-durable-bench"
  local actors="$BUILD_DIR/bench/durable/tact-durable-actor-bench"
  local jargs=(--rounds 3 --appends 2000) aargs=(--rounds 3 --failovers 10 --nats-kills 3)
  [[ $WORKLOAD_SCALE == 1 ]] || { jargs=(--rounds 1 --appends 500); aargs=(--rounds 1 --asks 300 --seconds 2 --failovers 3 --nats-kills 1); }
  rm -f "$RESULTS/durable.txt" "$RESULTS/durable.md"
  mkdir -p "$RESULTS"
  if [[ -n "${BUILT[tact-durable-bench]:-}" ]]; then
    note "durable journal beside a raw JetStream append (${jargs[*]})"
    "$journal" "${jargs[@]}" >>"$RESULTS/durable.txt" 2>&1 || FAILED+=("tact-durable-bench=failed (results/durable.txt)")
  fi
  if [[ -n "${BUILT[tact-durable-actor-bench]:-}" ]]; then
    note "durable actors: asks, throughput, activation, fail-over (${aargs[*]})"
    if "$actors" "${aargs[@]}" >>"$RESULTS/durable.txt" 2>&1; then
      grep -E '^(\||durable ask /|fail-over median /)' "$RESULTS/durable.txt" >"$RESULTS/durable.md"
      cat "$RESULTS/durable.md"
    else
      FAILED+=("tact-durable-actor-bench=failed (results/durable.txt)")
      tail -n 5 "$RESULTS/durable.txt"
    fi
  fi
}

# The long fault test of durable actors (scripts/jepsen.sh, docs/durable.md): the
# bank on 3 nodes and 3 NATS servers, >= 50 node kills, the checker, then the
# broken mode the checker must catch. Not with --quick (ctest runs a bounded one).
stage_jepsen() {
  [[ $WORKLOAD_SCALE == 1 ]] || return 0
  [[ -n "${BUILT[tact-durable-actor-bench]:-}" ]] || return 0
  if ((DO_BUILD)); then
    note "build bank_node bank_client bank_audit"
    cmake --build --preset "$PRESET" -j "$JOBS" --target bank_node bank_client bank_audit ||
      { FAILED+=("jepsen=bank programs did not build"); return 0; }
  fi
  note "durable actors under faults: scripts/jepsen.sh (results/jepsen.txt)"
  if bash "$ROOT/scripts/jepsen.sh" "$BUILD_DIR" >"$RESULTS/jepsen.txt" 2>&1; then
    grep -E '^(durable_check: (accounts|longest|fail-over|[0-9]+ violation)|bank_faults: [0-9]+ node kills)' "$RESULTS/jepsen.txt"
  else
    FAILED+=("jepsen=scripts/jepsen.sh failed (results/jepsen.txt)")
    tail -n 8 "$RESULTS/jepsen.txt"
  fi
}

# Metrics on beside off, the same binary, interleaved (docs/metrics.md, "The cost").
stage_metrics() {
  local exe="$BUILD_DIR/bench/workloads/tact-workloads"
  [[ -x "$exe" ]] || return 0
  mkdir -p "$RESULTS"
  # Three times the workloads' rounds: a round of every workload, on and off, is a
  # few seconds, and a 3% question needs more pairs than the spread of one.
  local rounds=$((3 * WORKLOAD_ROUNDS))
  note "metrics off (before) vs on (after): each workload off and on in turn, $rounds rounds"
  if python3 "$ROOT/scripts/workloads_ab.py" "$exe --metrics off --scale $WORKLOAD_SCALE" \
      "$exe --metrics on --scale $WORKLOAD_SCALE" "$rounds" >"$RESULTS/metrics.md" 2>&1; then
    cat "$RESULTS/metrics.md"
  else
    FAILED+=("metrics on/off=scripts/workloads_ab.py failed (results/metrics.md)")
  fi
}

# The remote table, right after the local workloads' (printed by stage_workloads).
print_nats() {
  [[ -s "$RESULTS/nats.md" ]] || return 0
  note "tact::nats beside raw nats.c and CAF 0.17 remote actors ($RESULTS/nats.md)"
  cat "$RESULTS/nats.md"
}

main() {
  parse_args "$@"
  stage_setup
  stage_build
  stage_micro
  stage_report
  stage_workloads
  stage_metrics
  stage_nats
  print_nats
  stage_durable
  stage_jepsen
  bash "$ROOT/scripts/bench_kv.sh" $([[ " $* " == *" --quick "* ]] && echo --quick) || FAILED+=("tact-kv vs redis-server=scripts/bench_kv.sh failed (results/kv.md)")
  if ((${#FAILED[@]})); then
    printf '\nbench.sh: %d problem(s):\n' "${#FAILED[@]}" >&2
    printf '  %s\n' "${FAILED[@]}" >&2
    return 1
  fi
}

main "$@"
