#!/usr/bin/env bash
# scripts/bench_kv.sh — tact-kv (examples/kv) beside redis-server, both driven by
# redis-benchmark on loopback; part of the main job (scripts/bench.sh calls it).
#
#   scripts/bench_kv.sh                 3 interleaved rounds, runs lasting seconds
#   scripts/bench_kv.sh --quick         1 short round (a smoke run)
#   scripts/bench_kv.sh --rounds N      rounds (default 3)
#   scripts/bench_kv.sh --no-build      reuse build/release's tact-kv as it is
#   scripts/bench_kv.sh --kv-args "..." extra tact-kv options (default: its own defaults)
#
# What it does:
#   1. scripts/setup.sh (redis-server and redis-tools are among its packages);
#   2. builds tact-kv with the release preset (build/release/examples/kv/tact-kv);
#   3. starts tact-kv and its own redis-server (persistence off: --save '' and
#      --appendonly no) on two free loopback ports;
#   4. per round, per test (SET, GET, INCR) and pipeline depth (-P 1, -P 16), runs
#      `redis-benchmark -c 50 -r 100000 --precision 3` against tact-kv, then against
#      redis-server (interleaved, so machine drift hits both alike); -n is sized so
#      each run lasts a few seconds (P1: 100k requests, P16: 1M; --quick: a fifth);
#   5. stops both (tact-kv by SIGTERM, which must exit 0), and writes results/kv.md
#      with scripts/kv_report.py: requests/s and p50/p99/p99.9 latency, median
#      (min-max) over rounds for each server, and tact-kv's ratio to redis-server.
# Raw redis-benchmark output: results/kv-raw/<server>-<test>-P<depth>-<round>.txt.
# The client shares the machine with the server under test: say so with the numbers.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1

BUILD_DIR="$ROOT/build/release"
RESULTS="$ROOT/results"
RAW="$RESULTS/kv-raw"
ROUNDS=3
REQUESTS_P1=100000
REQUESTS_P16=1000000
DO_BUILD=1
KV_ARGS=""
TESTS=(set get incr)
PIPELINES=(1 16)

usage() { sed -n '2,/^[^#]/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

while (($#)); do
  case "$1" in
    --quick) ROUNDS=1; REQUESTS_P1=20000; REQUESTS_P16=200000; shift ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --no-build) DO_BUILD=0; shift ;;
    --kv-args) KV_ARGS="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench_kv.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

note() { printf '\n==> %s\n' "$*"; }

KV_PID=""
REDIS_PID=""
cleanup() {
  [[ -n "$KV_PID" ]] && kill "$KV_PID" 2>/dev/null
  [[ -n "$REDIS_PID" ]] && kill "$REDIS_PID" 2>/dev/null
  wait 2>/dev/null
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for_ping <port>: true once the server answers PING (at most ~10 s).
wait_for_ping() {
  local i
  for ((i = 0; i < 100; i++)); do
    [[ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" == PONG ]] && return 0
    sleep 0.1
  done
  return 1
}

note "setup"
bash "$ROOT/scripts/setup.sh" || { echo "bench_kv.sh: setup failed" >&2; exit 1; }
for tool in redis-server redis-benchmark redis-cli; do
  command -v "$tool" >/dev/null || { echo "bench_kv.sh: $tool not found" >&2; exit 1; }
done

if ((DO_BUILD)); then
  note "build tact-kv (release preset)"
  cmake --preset release >/dev/null || exit 1
  cmake --build --preset release --target tact-kv -j "$(nproc 2>/dev/null || echo 2)" || exit 1
fi
KV="$BUILD_DIR/examples/kv/tact-kv"
[[ -x "$KV" ]] || { echo "bench_kv.sh: $KV missing (build it, or drop --no-build)" >&2; exit 1; }

mkdir -p "$RAW"
rm -f "$RAW"/*.txt "$RESULTS/kv.md"

KV_PORT="$(free_port)"
REDIS_PORT="$(free_port)"
while [[ "$REDIS_PORT" == "$KV_PORT" ]]; do REDIS_PORT="$(free_port)"; done

note "start tact-kv on $KV_PORT and redis-server on $REDIS_PORT"
# shellcheck disable=SC2086  # KV_ARGS is a list of options
"$KV" --port "$KV_PORT" $KV_ARGS >"$RAW/tact-kv.log" 2>&1 &
KV_PID=$!
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
  --daemonize no >"$RAW/redis-server.log" 2>&1 &
REDIS_PID=$!
wait_for_ping "$KV_PORT" || { echo "bench_kv.sh: tact-kv did not start" >&2; cat "$RAW/tact-kv.log"; exit 1; }
wait_for_ping "$REDIS_PORT" || { echo "bench_kv.sh: redis-server did not start" >&2; exit 1; }
head -n 1 "$RAW/tact-kv.log"
echo "redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'), redis-benchmark $(redis-benchmark --version | awk '{print $2}')"

FAILED=0
for ((round = 1; round <= ROUNDS; round++)); do
  for t in "${TESTS[@]}"; do
    for p in "${PIPELINES[@]}"; do
      n=$REQUESTS_P1
      ((p > 1)) && n=$REQUESTS_P16
      for server in tact-kv redis; do
        port=$KV_PORT
        [[ $server == redis ]] && port=$REDIS_PORT
        out="$RAW/$server-$t-P$p-$round.txt"
        # Progress lines end in \r; keep only the final report.
        if ! redis-benchmark -h 127.0.0.1 -p "$port" -t "$t" -n "$n" -c 50 -P "$p" \
            -r 100000 --precision 3 2>&1 | tr '\r' '\n' | grep -v 'rps=' >"$out"; then
          echo "bench_kv.sh: redis-benchmark failed ($server $t -P $p)" >&2
          FAILED=1
        fi
        printf 'round %d  %-5s -P %-2s %-8s %s\n' "$round" "$t" "$p" "$server" \
          "$(grep -m1 'throughput summary' "$out" | sed 's/.*summary: //')"
      done
    done
  done
done

note "stop"
kill -TERM "$KV_PID"
wait "$KV_PID"
kv_status=$?
KV_PID=""
redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || kill "$REDIS_PID"
wait "$REDIS_PID" 2>/dev/null
REDIS_PID=""
if ((kv_status != 0)); then
  echo "bench_kv.sh: tact-kv exited with status $kv_status after SIGTERM (expected 0)" >&2
  FAILED=1
fi

note "report"
python3 "$ROOT/scripts/kv_report.py" --out "$RESULTS/kv.md" --server-line "$(head -n 1 "$RAW/tact-kv.log")" \
  "$RAW"/*-P*-*.txt || FAILED=1
exit "$FAILED"
