#!/usr/bin/env bash
# examples/cluster/run.sh: a nats-server and three tact nodes (a, b, c) on
# 127.0.0.1. c asks "worker" (exposed by all three, a queue group) every 50 ms
# for 6 s; after 2 s node b is killed with SIGKILL. The asks go on, answered by
# a and c; an ask b had taken when it died resolves with an error (Timeout),
# never hangs. Only the processes this script started are killed, by PID.
#
#   examples/cluster/run.sh [build/release]
set -uo pipefail
BUILD="${1:-build/release}"
NODE="$BUILD/examples/cluster/cluster_node"
[[ -x "$NODE" ]] || { echo "run.sh: $NODE not built (cmake --build --preset release --target cluster_node)" >&2; exit 1; }
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
URL="nats://127.0.0.1:$PORT"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; }
trap cleanup EXIT

nats-server -a 127.0.0.1 -p "$PORT" >/dev/null 2>&1 & PIDS+=($!)
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.05; done
echo "nats-server on $URL (pid ${PIDS[0]})"
"$NODE" "$URL" a & PIDS+=($!)
"$NODE" "$URL" b & B=$!; PIDS+=($B)
sleep 0.5
( sleep 2; echo "=== kill -9 node b (pid $B) ==="; kill -9 "$B" ) &
"$NODE" "$URL" c --client --seconds 6
