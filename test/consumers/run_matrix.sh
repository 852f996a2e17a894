#!/usr/bin/env bash
# test/consumers/run_matrix.sh — build and run a small tact program the way other
# projects would, in every supported combination:
#
#   {g++, clang++} x {libstdc++, libc++} x {c++20, c++23} x {find_package, pkg-config, add_subdirectory}
#
# except g++ with libc++, which Debian does not support (libc++-dev's headers and
# libc++.so are packaged for clang; g++ would need -nostdinc++ and hand-made paths).
# That makes 3 toolchains x 2 standards x 3 build systems = 18 cells with --full.
# By default add_subdirectory (which builds the library again, inside the consumer)
# runs with the first toolchain only: how tact is added to a CMake tree does not
# depend on the compiler, and every toolchain x standard is still built strictly by
# the find_package and pkg-config cells. 14 cells, two libtact.a builds fewer (CI's
# time).
#
#   test/consumers/run_matrix.sh [--work DIR] [--jobs N] [--only TOOLCHAIN]... [--full]
#                                [--reuse g++=BUILD_DIR] [--reuse clang++=BUILD_DIR]
#
# Toolchains: g++, clang++ (both with libstdc++), clang++-libc++. --only runs the
# listed ones (a partial matrix, for development).
#
# Per toolchain (compiler + standard library), libtact.a is built once, Release, with
# tests/benchmarks/examples off, and installed into its own prefix (a libc++ program
# needs a libtact.a built with libc++: std::string, std::function and
# std::exception_ptr cross the library's ABI). --reuse installs an existing build
# tree instead (scripts/test.sh passes build/release and build/clang when it built
# them), after checking that it was configured with that compiler and no -stdlib.
# Then, for each standard, the consumer (test/consumers/consumer.cpp) is built with
# -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror:
#   find_package      test/consumers/CMakeLists.txt against that prefix only;
#                     tact's headers seen as non-system (NO_SYSTEM_FROM_IMPORTED)
#   pkg-config        $CXX -std=... $(pkg-config --cflags tact) consumer.cpp
#                     $(pkg-config --libs tact), PKG_CONFIG_LIBDIR = the prefix only;
#                     tact's headers are plain -I
#   add_subdirectory  test/consumers/CMakeLists.txt with add_subdirectory(<tact>):
#                     the library is built a second time, inside the consumer
# and run: it must exit 0 (it checks its own results).
#
# Prints one line per cell, then exactly
#   matrix: N passed, M failed
# Exits non-zero when any cell failed. Work trees (kept between runs, so a re-run
# rebuilds only what changed) and logs: --work, default build/matrix/.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="$ROOT/build/matrix"
JOBS=2
declare -A REUSE=()
ONLY=()
FULL=0

while (($#)); do
  case "$1" in
    --work) WORK="$(mkdir -p "$2" && cd "$2" && pwd)"; shift 2 ;;
    --jobs) JOBS="$2"; shift 2 ;;
    --reuse) REUSE["${2%%=*}"]="${2#*=}"; shift 2 ;;
    --only) ONLY+=("$2"); shift 2 ;;
    --full) FULL=1; shift ;;
    -h|--help) sed -n '2,/^[^#]/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run_matrix.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

STRICT=(-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror)
# name | compiler | standard library | extra flags (compile and link)
TOOLCHAINS=(
  "g++|g++|libstdc++|"
  "clang++|clang++|libstdc++|"
  "clang++-libc++|clang++|libc++|-stdlib=libc++"
)
STANDARDS=(20 23)

PASSED=0
FAILED=0
LINES=()
mkdir -p "$WORK"

# cell <compiler> <stdlib> <std> <build system> <result>: record one cell's line.
cell() {
  local line
  line="$(printf '%-8s %-10s c++%-3s %-17s %s' "$1" "$2" "$3" "$4" "$5")"
  LINES+=("$line")
  echo "cell: $line"
  if [[ "$5" == "built, ran" ]]; then PASSED=$((PASSED + 1)); else FAILED=$((FAILED + 1)); fi
}

# logged <log> <cmd...>: run quietly into the log; on failure show its tail.
logged() {
  local log="$1"; shift
  echo "+ $*" >>"$log"
  if "$@" >>"$log" 2>&1; then return 0; fi
  echo "---- failed: $* (last lines of $log)"
  tail -n 25 "$log" | sed 's/^/    /'
  return 1
}

# std_flag <cxx> <std>: -std=c++23, or c++2b for compilers that predate the name (clang 14).
std_flag() {
  if [[ "$2" == 23 ]] && ! "$1" -std=c++23 -x c++ -fsyntax-only /dev/null >/dev/null 2>&1; then
    echo "-std=c++2b"
  else
    echo "-std=c++$2"
  fi
}

# cached <build-dir> <var>: a CMake cache variable's value.
cached() { sed -n "s/^$2:[A-Z]*=//p" "$1/CMakeCache.txt" 2>/dev/null; }

# library <name> <cxx> <flags> <prefix> <logdir>: libtact.a for this toolchain,
# installed into <prefix> (emptied first).
library() {
  local name="$1" cxx="$2" flags="$3" prefix="$4" logs="$5" bdir reuse="${REUSE[$1]:-}"
  rm -rf "$prefix"
  if [[ -n "$reuse" ]]; then
    bdir="$reuse"
    local have_cxx have_flags
    # Resolved: the release preset's compiler is /usr/bin/c++, an alternative for g++;
    # the clang preset's is the bare name clang++.
    have_cxx="$(cached "$bdir" CMAKE_CXX_COMPILER)"
    [[ -n "$have_cxx" && "$have_cxx" != /* ]] && have_cxx="$(command -v "$have_cxx")"
    have_flags="$(cached "$bdir" CMAKE_CXX_FLAGS)"
    if [[ -z "$have_cxx" || "$(realpath "$have_cxx")" != "$(realpath "$(command -v "$cxx")")" ||
          "$have_flags" == *-stdlib* || ! -f "$bdir/libtact.a" ]]; then
      echo "---- --reuse $name=$bdir: not a $cxx build with libtact.a (compiler '$have_cxx', flags '$have_flags')"
      return 1
    fi
    echo "  libtact.a: reusing $bdir"
  else
    bdir="$WORK/$name/tact-build"
    echo "  libtact.a: building in $bdir"
    logged "$logs/library.log" cmake -S "$ROOT" -B "$bdir" \
        -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
        -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_CXX_FLAGS="$flags" \
        -DTACT_BUILD_TESTS=OFF -DTACT_BUILD_BENCH=OFF -DTACT_BUILD_EXAMPLES=OFF \
        -DTACT_BUILD_NATS=OFF || return 1
    logged "$logs/library.log" cmake --build "$bdir" --target tact -j "$JOBS" || return 1
  fi
  logged "$logs/library.log" cmake --install "$bdir" --prefix "$prefix" || return 1
  if [[ -z "$(find "$prefix" -name tact.pc -print -quit)" ]]; then
    echo "---- $prefix: no tact.pc installed"
    return 1
  fi
}

# cmake_cells <label> <compiler> <stdlib> <cxx> <flags> <via> <logdir> <cmake args...>
cmake_cells() {
  local label="$1" compiler="$2" stdlib="$3" cxx="$4" flags="$5" via="$6" logs="$7"; shift 7
  local bdir="$WORK/$label/$via" std log="$logs/$via.log"
  if ! logged "$log" cmake -S "$ROOT/test/consumers" -B "$bdir" \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_CXX_FLAGS="$flags" \
      -DTACT_CONSUMER_VIA="$via" \
      -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF "$@"; then
    for std in "${STANDARDS[@]}"; do cell "$compiler" "$stdlib" "$std" "$via" "FAILED: configure"; done
    return
  fi
  # find_package must find this toolchain's prefix, no other tact.
  if [[ "$via" == find_package && "$(cached "$bdir" tact_DIR)" != "$WORK/$label/prefix/"* ]]; then
    echo "---- find_package found tact outside $WORK/$label/prefix: $(cached "$bdir" tact_DIR)"
    for std in "${STANDARDS[@]}"; do cell "$compiler" "$stdlib" "$std" "$via" "FAILED: wrong tact"; done
    return
  fi
  for std in "${STANDARDS[@]}"; do
    if ! logged "$log" cmake --build "$bdir" --target "consumer_cxx$std" -j "$JOBS"; then
      cell "$compiler" "$stdlib" "$std" "$via" "FAILED: build"
    elif ! logged "$log" "$bdir/consumer_cxx$std"; then
      cell "$compiler" "$stdlib" "$std" "$via" "built, RUN FAILED"
    else
      cell "$compiler" "$stdlib" "$std" "$via" "built, ran"
    fi
  done
}

# pkgconfig_cells <label> <compiler> <stdlib> <cxx> <flags> <prefix> <logdir>
pkgconfig_cells() {
  local label="$1" compiler="$2" stdlib="$3" cxx="$4" flags="$5" prefix="$6" logs="$7"
  local out="$WORK/$label/pkg-config" log="$logs/pkg-config.log" std cflags libs pcdir
  mkdir -p "$out"
  pcdir="$(dirname "$(find "$prefix" -name tact.pc -print -quit)")"
  # Only this prefix's .pc files: not a system-wide tact.
  if ! cflags="$(PKG_CONFIG_LIBDIR="$pcdir" pkg-config --cflags tact 2>>"$log")" ||
     ! libs="$(PKG_CONFIG_LIBDIR="$pcdir" pkg-config --libs tact 2>>"$log")"; then
    echo "---- pkg-config tact failed in $pcdir"; tail -n 5 "$log" | sed 's/^/    /'
    for std in "${STANDARDS[@]}"; do cell "$compiler" "$stdlib" "$std" pkg-config "FAILED: pkg-config"; done
    return
  fi
  echo "+ pkg-config --cflags --libs tact: $cflags $libs" >>"$log"
  for std in "${STANDARDS[@]}"; do
    # shellcheck disable=SC2086  # flags, cflags and libs are meant to split
    if ! logged "$log" "$cxx" "$(std_flag "$cxx" "$std")" -O2 "${STRICT[@]}" $flags $cflags \
        "$ROOT/test/consumers/consumer.cpp" -o "$out/consumer_cxx$std" $libs; then
      cell "$compiler" "$stdlib" "$std" pkg-config "FAILED: build"
    elif ! logged "$log" "$out/consumer_cxx$std"; then
      cell "$compiler" "$stdlib" "$std" pkg-config "built, RUN FAILED"
    else
      cell "$compiler" "$stdlib" "$std" pkg-config "built, ran"
    fi
  done
}

main() {
  local entry label cxx stdlib flags prefix logs start=$SECONDS t0 via std
  for entry in "${TOOLCHAINS[@]}"; do
    IFS='|' read -r label cxx stdlib flags <<<"$entry"
    if ((${#ONLY[@]})) && [[ " ${ONLY[*]} " != *" $label "* ]]; then continue; fi
    t0=$SECONDS
    echo "== $cxx ($("$cxx" -dumpversion)), $stdlib"
    prefix="$WORK/$label/prefix"
    logs="$WORK/$label/logs"
    rm -rf "$logs"; mkdir -p "$logs"
    if ! command -v "$cxx" >/dev/null; then
      echo "---- $cxx not found"
      for via in find_package pkg-config add_subdirectory; do
        for std in "${STANDARDS[@]}"; do cell "$cxx" "$stdlib" "$std" "$via" "FAILED: no compiler"; done
      done
      continue
    fi
    if library "$label" "$cxx" "$flags" "$prefix" "$logs"; then
      cmake_cells "$label" "$cxx" "$stdlib" "$cxx" "$flags" find_package "$logs" \
        -DCMAKE_PREFIX_PATH="$prefix"
      pkgconfig_cells "$label" "$cxx" "$stdlib" "$cxx" "$flags" "$prefix" "$logs"
    else
      for via in find_package pkg-config; do
        for std in "${STANDARDS[@]}"; do cell "$cxx" "$stdlib" "$std" "$via" "FAILED: libtact.a"; done
      done
    fi
    if ((FULL)) || [[ -z "${SUBDIR_DONE:-}" ]]; then
      cmake_cells "$label" "$cxx" "$stdlib" "$cxx" "$flags" add_subdirectory "$logs" \
        -DTACT_SOURCE_DIR="$ROOT"
      SUBDIR_DONE=1
    fi
    echo "  ($((SECONDS - t0)) s)"
  done

  echo
  echo "consumer matrix (-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror; g++ with libc++: not a Debian-supported combination, not built):"
  printf '  %s\n' "${LINES[@]}"
  echo "matrix time: $((SECONDS - start)) s"
  echo "matrix: $PASSED passed, $FAILED failed"
  ((FAILED == 0))
}

main
