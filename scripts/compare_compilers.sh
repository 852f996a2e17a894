#!/usr/bin/env bash
# scripts/compare_compilers.sh — the actor workloads built with g++ and with clang++,
# run interleaved in one sitting: which compiler makes the faster tact.
#
#   scripts/compare_compilers.sh [--rounds N] [--workers N] [--scale F] [--no-build]
#
# Builds tact-workloads in the release (g++) and clang (clang++, libstdc++) presets:
# both Release -O2 -DNDEBUG, no -march=native. Then N rounds (default 3); each round
# runs `tact-workloads all --workers N` (default 2) once per compiler, the order
# alternating from round to round so neither always runs on the warmer machine.
# Prints per workload figure each compiler's median (min-max), the ratio
# clang++/g++ and which is better (scripts/compilers_report.py), and writes the table
# to build/compare/compilers.md; the raw runs are build/compare/<compiler>-<round>.txt.
# Informative, not a test: it fails only when a build or a run fails.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1

ROUNDS=3
WORKERS=2
SCALE=""
BUILD=1
while (($#)); do
  case "$1" in
    --rounds) ROUNDS="$2"; shift 2 ;;
    --workers) WORKERS="$2"; shift 2 ;;
    --scale) SCALE="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    -h|--help) sed -n '2,/^[^#]/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "compare_compilers.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

OUT="$ROOT/build/compare"
mkdir -p "$OUT"
rm -f "$OUT"/*.txt
declare -A PRESET=([g++]=release [clang++]=clang)
COMPILERS=(g++ clang++)

if ((BUILD)); then
  bash "$ROOT/scripts/setup.sh" || exit 1
  for c in "${COMPILERS[@]}"; do
    p="${PRESET[$c]}"
    echo "==> build tact-workloads with $c (preset $p)"
    cmake --preset "$p" >/dev/null || exit 1
    cmake --build --preset "$p" --target tact-workloads -j "$(nproc)" || exit 1
  done
fi
for c in "${COMPILERS[@]}"; do
  exe="build/${PRESET[$c]}/bench/workloads/tact-workloads"
  [[ -x "$exe" ]] || { echo "compare_compilers.sh: $exe not built" >&2; exit 1; }
  echo "$c: $("$c" --version | head -n 1); $exe"
done

args=(all --workers "$WORKERS")
[[ -n "$SCALE" ]] && args+=(--scale "$SCALE")
for ((r = 1; r <= ROUNDS; r++)); do
  order=("${COMPILERS[@]}")
  ((r % 2 == 0)) && order=("${COMPILERS[1]}" "${COMPILERS[0]}")
  for c in "${order[@]}"; do
    echo "==> round $r/$ROUNDS: $c"
    exe="build/${PRESET[$c]}/bench/workloads/tact-workloads"
    if ! "$exe" "${args[@]}" >"$OUT/raw.txt" 2>"$OUT/$c-$r.err"; then
      echo "compare_compilers.sh: $exe ${args[*]} failed:" >&2
      tail -n 20 "$OUT/$c-$r.err" >&2
      exit 1
    fi
    # The binary says framework=tact; the report tells the builds apart by compiler.
    sed -E "s/ framework=\S+ / framework=$c /" "$OUT/raw.txt" >"$OUT/$c-$r.txt"
    grep -c '^RESULT ' "$OUT/$c-$r.txt" | sed 's/^/    RESULT lines: /'
  done
done
rm -f "$OUT/raw.txt"

echo
echo "g++ vs clang++: tact-workloads all --workers $WORKERS${SCALE:+ --scale $SCALE}, $ROUNDS interleaved rounds, $(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD)"
python3 "$ROOT/scripts/compilers_report.py" --out "$OUT/compilers.md" "$OUT"/*-[0-9]*.txt
