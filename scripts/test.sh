#!/usr/bin/env bash
# scripts/test.sh — build and run every tact test, then check the installed package
# and the consumer matrix.
#
#   scripts/test.sh                        presets release, asan, clang-tsan, the sim
#                                          and fuzz stages, then the package check and
#                                          the consumer matrix (`--preset tsan` adds
#                                          g++'s ThreadSanitizer)
#   scripts/test.sh --preset release       only the listed preset(s) (repeatable; `sim` and
#                                          `fuzz` name those stages)
#   scripts/test.sh --no-package           skip the installed-package check
#   scripts/test.sh --no-matrix            skip the consumer matrix
#   scripts/test.sh --matrix               run the matrix even without the release preset
#
# Per preset (CMakePresets.json; binary dir build/<preset>):
#   cmake --preset P ; cmake --build --preset P -j "$(nproc)"   (keeps going past errors;
#                                       a target that fails shows as <target>_NOT_BUILT)
#   ctest --preset P -j2 -LE stress     unit/api tests, two at a time
#   ctest --preset P -L stress          stress tests one at a time: each gets both cores
# Sim stage (`sim`): configure and build the preset sim (the deterministic simulation,
#   test/sim/), then ctest --preset sim -j2 (a simulated program runs on one thread;
#   each test forks a child per seed and is bounded in seeds, and in seconds far above
#   what its seeds take; about 2 minutes on the reference VM).
# Fuzz stage (`fuzz`): scripts/fuzz.sh builds the libFuzzer targets (preset fuzz, clang)
#   and runs each for TACT_FUZZ_SECONDS (default 12) seconds; each target counts as one
#   test (passed: no crash, no hang).
# Package check (runs with the release preset, after its build succeeded):
#   cmake --install build/release into a temporary prefix, check that the public
#   headers (include/tact/nats/ only when libtact_nats.a is installed too), libtact.a
#   and the CMake package files are there, then configure, build and
#   run test/package/ (find_package(tact) + tact::tact) against that prefix only.
# Consumer matrix (with the release preset, after the package check):
#   test/consumers/run_matrix.sh: a small tact program built against the installed
#   package with each compiler x standard library x standard x build system
#   (find_package, pkg-config, add_subdirectory) under -Wall -Wextra -Wpedantic
#   -Wshadow -Wconversion -Werror, and run: 14 cells (18 with --full). It installs build/release and
#   build/clang when this run built them, and builds libtact.a itself otherwise.
#
# Prints a per-preset summary; the last line is exactly
#   tests: N passed, M failed
# (N, M summed over every ctest run, plus 1 for the package check, plus one per
# matrix cell). Exits non-zero
# if any test failed or any step (setup, configure, build, ctest, install) failed.
# Logs: build/test-logs/<preset>-<step>.log; JUnit XML: build/test-logs/<preset>-*.xml.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1

# asan and clang-tsan: tact is compiled by its users with either compiler; release
# and sim build with g++, the sanitizer stages with clang (its ASan and TSan are
# the reference ones, and at -O0 it compiles in about half g++'s time: see
# docs/building.md). g++'s sanitizers (`tsan`, `gcc-asan`, ~10 min each here) and
# the plain `clang` preset (the same tests, optimised, plus benchmarks) are not in
# the default list, to keep CI within 45 minutes on 2 cores; run them with
# --preset tsan / --preset gcc-asan / --preset clang (scripts/compare_compilers.sh
# builds clang too); the consumer matrix still builds a clang libtact.a of its own.
ALL_PRESETS=(release asan clang-tsan sim fuzz)
PRESETS=()
RUN_PACKAGE=1
RUN_MATRIX=auto
JOBS="$(nproc 2>/dev/null || echo 2)"
LOG_DIR="$ROOT/build/test-logs"

usage() { sed -n '2,/^[^#]/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

while (($#)); do
  case "$1" in
    --preset) [[ $# -ge 2 ]] || { echo "test.sh: --preset needs a name" >&2; exit 2; }
              PRESETS+=("$2"); shift 2 ;;
    --preset=*) PRESETS+=("${1#--preset=}"); shift ;;
    --no-package) RUN_PACKAGE=0; shift ;;
    --no-matrix) RUN_MATRIX=0; shift ;;
    --matrix) RUN_MATRIX=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "test.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
((${#PRESETS[@]})) || PRESETS=("${ALL_PRESETS[@]}")

# ---- bookkeeping ----------------------------------------------------------------
TOTAL_PASSED=0
TOTAL_FAILED=0
STEP_FAILURES=0
declare -A SUMMARY=()   # preset -> one summary line
declare -A BUILT=()     # preset -> 1 when fully built, "lib" when only libtact.a built
SUMMARY_ORDER=()

note() { printf '\n==> %s\n' "$*"; }
fmt_time() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# run_logged <logfile> <cmd...>: run, streaming output to the terminal and appending
# it to the log. Returns the command's status.
run_logged() {
  local log="$1"; shift
  echo "+ $*" | tee -a "$log"
  "$@" 2>&1 | tee -a "$log"
  return "${PIPESTATUS[0]}"
}

# ctest_counts <logfile>: prints "passed failed" from ctest's summary line
# ("75% tests passed, 1 tests failed out of 4"); nothing when there is none.
ctest_counts() {
  local line failed total
  line="$(grep -E '[0-9]+ tests? failed out of [0-9]+' "$1" | tail -n 1)" || return 0
  [[ -n "$line" ]] || return 0
  failed="$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")"
  total="$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$line")"
  echo "$((total - failed)) $failed"
}

# run_ctest <preset> <step-name> <ctest args...>: runs ctest, adds its counts to the
# totals, and echoes "<step>: P/T passed" (or the failure) into the variable CTEST_RESULT.
run_ctest() {
  local preset="$1" step="$2"; shift 2
  local log="$LOG_DIR/$preset-$step.log" rc counts passed failed
  : >"$log"
  run_logged "$log" ctest --preset "$preset" --output-junit "$LOG_DIR/$preset-$step.xml" "$@"
  rc=$?
  counts="$(ctest_counts "$log")"
  if [[ -z "$counts" ]]; then
    # No summary line: no tests matched (the presets make that an error) or ctest broke.
    if grep -q 'No tests were found' "$log"; then
      CTEST_RESULT="$step: NO TESTS FOUND"
    else
      CTEST_RESULT="$step: CTEST FAILED (rc=$rc)"
    fi
    STEP_FAILURES=$((STEP_FAILURES + 1))
    return 1
  fi
  read -r passed failed <<<"$counts"
  TOTAL_PASSED=$((TOTAL_PASSED + passed))
  TOTAL_FAILED=$((TOTAL_FAILED + failed))
  CTEST_RESULT="$step: $passed/$((passed + failed)) passed"
  if ((failed > 0)); then
    CTEST_RESULT+=" ($failed FAILED)"
  elif ((rc != 0)); then
    # All counted tests passed but ctest still failed (e.g. a test binary's discovery).
    CTEST_RESULT+=" (ctest rc=$rc)"
    STEP_FAILURES=$((STEP_FAILURES + 1))
  fi
  return "$rc"
}

# ---- stages -----------------------------------------------------------------------
stage_setup() {
  note "setup"
  if ! bash "$ROOT/scripts/setup.sh"; then
    echo "test.sh: scripts/setup.sh failed; fix the packages first" >&2
    echo "tests: 0 passed, 0 failed"
    exit 1
  fi
}

# keep_going_args <build-dir>: the native-tool flag that keeps building after an error.
keep_going_args() {
  case "$(sed -n 's/^CMAKE_GENERATOR:INTERNAL=//p' "$1/CMakeCache.txt" 2>/dev/null)" in
    Ninja*) echo "-- -k 0" ;;
    *Makefiles) echo "-- -k" ;;
  esac
}

# failed_targets <build-log>: names of the targets make or ninja reported as failed.
failed_targets() {
  grep -E '^(g?make(\[[0-9]+\])?: \*\*\*|FAILED: )' "$1" |
    sed -nE 's|.*CMakeFiles/([^/ ]+)\.dir/.*|\1|p; t; s|^FAILED: ([^ ]*/)?([^ /]+).*|\2|p' | sort -u
}

# forget_stale_discovery <build-dir> <build-log>: a test target that failed to build
# keeps the test list gtest_discover_tests wrote for its last good binary, and ctest
# would quietly skip or run that stale binary. Delete the list, so ctest reports the
# target as one failed <target>_NOT_BUILT test.
forget_stale_discovery() {
  local dir="$1" log="$2" t
  while IFS= read -r t; do
    [[ -n "$t" ]] || continue
    find "$dir" -name "$t\[*\]_tests.cmake" -delete 2>/dev/null
  done < <(failed_targets "$log")
}

# configure_and_build <preset>: configures and builds build/<preset>, logging both.
# Sets LINE to the build's summary ("build 3m27s" or "BUILD FAILED ..."). Returns
# 2 if the configure failed (SUMMARY is set then), 1 if the build failed (a test
# target that failed to build is reported as <target>_NOT_BUILT), 0 otherwise.
configure_and_build() {
  local p="$1" start=$SECONDS
  : >"$LOG_DIR/$p-configure.log"
  : >"$LOG_DIR/$p-build.log"
  note "[$p] configure"
  if ! run_logged "$LOG_DIR/$p-configure.log" cmake --preset "$p"; then
    STEP_FAILURES=$((STEP_FAILURES + 1))
    SUMMARY[$p]="CONFIGURE FAILED (see build/test-logs/$p-configure.log)"
    return 2
  fi
  note "[$p] build"
  # shellcheck disable=SC2046  # keep_going_args is meant to split
  if run_logged "$LOG_DIR/$p-build.log" cmake --build --preset "$p" -j "$JOBS" \
      $(keep_going_args "build/$p"); then
    LINE="build $(fmt_time $((SECONDS - start)))"
    return 0
  fi
  STEP_FAILURES=$((STEP_FAILURES + 1))
  LINE="BUILD FAILED $(fmt_time $((SECONDS - start))) (see build/test-logs/$p-build.log)"
  forget_stale_discovery "build/$p" "$LOG_DIR/$p-build.log"
  return 1
}

# stage_preset <preset>: configure, build, unit/api tests, stress tests.
# The build keeps going past errors and the tests still run: a test file that does not
# compile shows up as a failed <target>_NOT_BUILT test instead of hiding all the others.
stage_preset() {
  local p="$1" start=$SECONDS line rc
  SUMMARY_ORDER+=("$p")
  configure_and_build "$p"
  rc=$?
  ((rc == 2)) && return 1
  line="$LINE"
  if ((rc == 0)); then
    BUILT[$p]=1
  else
    # The package check needs a current libtact.a even when only a test failed to build.
    cmake --build --preset "$p" --target tact >/dev/null 2>&1 && BUILT[$p]=lib
  fi

  local t0=$SECONDS
  note "[$p] tests (not stress), -j2"
  run_ctest "$p" tests -j2 -LE stress
  line+="; $CTEST_RESULT"
  note "[$p] stress tests, serially"
  run_ctest "$p" stress -L stress
  line+="; $CTEST_RESULT; tests $(fmt_time $((SECONDS - t0))); total $(fmt_time $((SECONDS - start)))"
  SUMMARY[$p]="$line"
}

# stage_sim: the simulation preset; its ctest has no stress label, so it is one run.
stage_sim() {
  local p=sim
  SUMMARY_ORDER+=("$p")
  configure_and_build "$p"
  (($? == 2)) && return 1
  local t0=$SECONDS
  note "[$p] simulation tests, two at a time"
  run_ctest "$p" tests -j2
  SUMMARY[$p]="$LINE; $CTEST_RESULT; tests $(fmt_time $((SECONDS - t0)))"
}

# stage_fuzz: scripts/fuzz.sh, bounded; each target is one test in the totals.
stage_fuzz() {
  local start=$SECONDS log="$LOG_DIR/fuzz.log" line p=0 f=0
  SUMMARY_ORDER+=(fuzz)
  note "[fuzz] libFuzzer targets, ${TACT_FUZZ_SECONDS:-12}s each"
  : >"$log"
  run_logged "$log" bash "$ROOT/scripts/fuzz.sh" "${TACT_FUZZ_SECONDS:-12}"
  line="$(grep -E '^fuzz: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)"
  if [[ -n "$line" ]]; then
    read -r p f < <(sed -E 's/^fuzz: ([0-9]+) passed, ([0-9]+) failed/\1 \2/' <<<"$line")
  else
    f=1
  fi
  TOTAL_PASSED=$((TOTAL_PASSED + p))
  TOTAL_FAILED=$((TOTAL_FAILED + f))
  SUMMARY[fuzz]="$p/$((p + f)) targets passed, $(fmt_time $((SECONDS - start))) (see build/test-logs/fuzz.log)"
}

# stage_package: install build/release into a temporary prefix and build
# test/package/ against it.
stage_package() {
  local start=$SECONDS tmp ok=1 why=""
  SUMMARY_ORDER+=(package)
  note "[package] install build/release and build test/package/ against it"
  tmp="$(mktemp -d "${TMPDIR:-/tmp}/tact-package.XXXXXX")"
  local prefix="$tmp/prefix" log="$LOG_DIR/package.log"
  : >"$log"

  if ! run_logged "$log" cmake --install build/release --prefix "$prefix"; then
    ok=0; why="cmake --install failed"
  fi

  if ((ok)); then
    why="$(package_check_files "$prefix")" || ok=0
    [[ -n "$why" ]] && echo "$why" | tee -a "$log"
  fi
  if ((ok)); then
    local bdir="$tmp/consumer-build"
    # Only the temporary prefix may provide tact: no package registries, no build tree.
    if ! run_logged "$log" cmake -S test/package -B "$bdir" \
        -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_PREFIX_PATH="$prefix" \
        -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
        -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF; then
      ok=0; why="consumer configure failed (find_package(tact))"
    elif ! grep -q "^tact_DIR:PATH=$prefix/" "$bdir/CMakeCache.txt"; then
      ok=0; why="consumer found tact outside the install prefix: $(grep '^tact_DIR' "$bdir/CMakeCache.txt")"
    elif ! run_logged "$log" cmake --build "$bdir" -j "$JOBS"; then
      ok=0; why="consumer build failed"
    elif ! run_logged "$log" "$bdir/consumer"; then
      ok=0; why="consumer run failed"
    fi
  fi
  rm -rf "$tmp"

  if ((ok)); then
    TOTAL_PASSED=$((TOTAL_PASSED + 1))
    SUMMARY[package]="ok ($(fmt_time $((SECONDS - start))))"
  else
    TOTAL_FAILED=$((TOTAL_FAILED + 1))
    SUMMARY[package]="FAILED: $why (see build/test-logs/package.log)"
  fi
}

# package_check_files <prefix>: every header under include/ is installed, nothing
# else is (src/ internals never are), and libtact.a plus the package files exist.
package_check_files() {
  local prefix="$1" f problems=()
  local incdir="$prefix/include" with_nats=0
  # include/tact/nats/ is installed with libtact_nats.a only (TACT_BUILD_NATS).
  [[ -n "$(find "$prefix" -name libtact_nats.a -print -quit)" ]] && with_nats=1
  while IFS= read -r f; do
    ((with_nats == 0)) && [[ "$f" == tact/nats/* ]] && continue
    [[ -f "$incdir/$f" ]] || problems+=("header not installed: include/$f")
  done < <(cd include && find . -type f \( -name '*.hpp' -o -name '*.h' \) | sed 's|^\./||' | sort)
  if [[ -d "$incdir" ]]; then
    while IFS= read -r f; do
      [[ -f "include/$f" ]] || problems+=("unexpected installed header: include/$f")
    done < <(cd "$incdir" && find . -type f | sed 's|^\./||' | sort)
  fi
  local lib
  lib="$(find "$prefix" -name libtact.a -print -quit)"
  [[ -n "$lib" ]] || problems+=("libtact.a not installed")
  for f in tactConfig.cmake tactConfigVersion.cmake tactTargets.cmake tact.pc; do
    [[ -n "$(find "$prefix" -name "$f" -print -quit)" ]] || problems+=("$f not installed")
  done
  if ((${#problems[@]})); then
    printf 'package: %s\n' "${problems[@]}"
    return 1
  fi
  echo "package: $(find "$incdir" -type f | wc -l) headers, ${lib#"$prefix"/}$( ((with_nats)) && echo ' + libtact_nats.a'), CMake package files and tact.pc installed"
}

# stage_matrix: test/consumers/run_matrix.sh; each cell counts as one test.
stage_matrix() {
  local start=$SECONDS log="$LOG_DIR/matrix.log" args=() counts passed failed rc
  SUMMARY_ORDER+=(matrix)
  note "[matrix] consumers: {g++, clang++} x {libstdc++, libc++} x {c++20, c++23} x {find_package, pkg-config, add_subdirectory}"
  : >"$log"
  [[ "${BUILT[release]:-}" == 1 ]] && args+=(--reuse "g++=$ROOT/build/release")
  [[ "${BUILT[clang]:-}" == 1 ]] && args+=(--reuse "clang++=$ROOT/build/clang")
  run_logged "$log" bash "$ROOT/test/consumers/run_matrix.sh" --jobs "$JOBS" "${args[@]}"
  rc=$?
  counts="$(sed -nE 's/^matrix: ([0-9]+) passed, ([0-9]+) failed$/\1 \2/p' "$log" | tail -n 1)"
  if [[ -z "$counts" ]]; then
    STEP_FAILURES=$((STEP_FAILURES + 1))
    SUMMARY[matrix]="FAILED to run (rc=$rc, see build/test-logs/matrix.log)"
    return 1
  fi
  read -r passed failed <<<"$counts"
  TOTAL_PASSED=$((TOTAL_PASSED + passed))
  TOTAL_FAILED=$((TOTAL_FAILED + failed))
  SUMMARY[matrix]="$passed/$((passed + failed)) cells built and ran ($(fmt_time $((SECONDS - start))))"
  ((failed)) && SUMMARY[matrix]+=" ($failed FAILED: see build/test-logs/matrix.log)"
  return "$rc"
}

print_summary() {
  local p
  note "summary"
  for p in "${SUMMARY_ORDER[@]}"; do
    printf '  %-10s %s\n' "$p" "${SUMMARY[$p]}"
  done
  ((STEP_FAILURES)) && printf '  %d step(s) failed (configure/build/ctest)\n' "$STEP_FAILURES"
  echo "tests: $TOTAL_PASSED passed, $TOTAL_FAILED failed"
}

# ---- main -------------------------------------------------------------------------
main() {
  local p
  mkdir -p "$LOG_DIR"
  stage_setup
  for p in "${PRESETS[@]}"; do
    case "$p" in
      fuzz) stage_fuzz ;;
      sim) stage_sim ;;
      *) stage_preset "$p" ;;
    esac
  done
  if ((RUN_PACKAGE)); then
    if [[ -n "${BUILT[release]:-}" ]]; then
      stage_package
    elif [[ " ${PRESETS[*]} " == *" release "* ]]; then
      SUMMARY_ORDER+=(package)
      SUMMARY[package]="SKIPPED: libtact.a (release) did not build"
      TOTAL_FAILED=$((TOTAL_FAILED + 1))
    fi
  fi
  if [[ "$RUN_MATRIX" == 1 || ( "$RUN_MATRIX" == auto && " ${PRESETS[*]} " == *" release "* ) ]]; then
    stage_matrix
  fi
  print_summary
  ((TOTAL_FAILED == 0 && STEP_FAILURES == 0))
}

main
