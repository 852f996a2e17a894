#!/usr/bin/env bash
# scripts/setup.sh — make sure the Debian/Ubuntu packages tact builds with are installed.
#
#   scripts/setup.sh            check; as root, install what is missing (apt-get only)
#   source scripts/setup.sh     the same, from another script (returns instead of exiting)
#
# Checks each package with `dpkg -s`. When some are missing:
#   - as root: `apt-get update` once, then
#     `DEBIAN_FRONTEND=noninteractive apt-get install -y <missing>`;
#   - otherwise: prints the exact `sudo apt-get install ...` line and fails (status 1).
# Never downloads anything but those apt packages. Needs no terminal (CI=true, no stdin).
# TACT_SKIP_SETUP=1 skips the check (for machines that provide the tools another way).

# Required: the compiler, CMake and make (the presets use CMake's default generator,
# Unix Makefiles), GoogleTest, Google Benchmark, moodycamel ConcurrentQueue, python3
# for scripts/bench_report.py, and Redis's server and tools: the tact-kv example's
# tests drive it with redis-cli, and scripts/bench_kv.sh measures it with
# redis-benchmark beside a redis-server; NATS's server, its C client and msgpack-cxx
# for tact::nats and its tests. (Installing redis-server may start the
# system service on 6379 where systemd runs; nothing here uses that port.)
# clang: the clang and clang-tsan presets and the consumer matrix
# (test/consumers/run_matrix.sh), with libc++ and libc++abi for its libc++ cells,
# pkg-config for its pkg-config cells, and clang's sanitizer runtimes (only
# recommended by clang-14, so named here: clang-tsan links libclang_rt.tsan).
# Metrics (docs/metrics.md): civetweb for the optional /metrics endpoint
# (tact::metrics_http), prometheus (and its promtool) and tmux for its tests.
TACT_REQUIRED_PACKAGES=(g++ make cmake libgtest-dev libbenchmark-dev libconcurrentqueue-dev python3
  redis-server redis-tools nats-server libnats-dev libmsgpack-cxx-dev
  clang libc++-14-dev libc++abi-14-dev libclang-rt-14-dev pkg-config
  libcivetweb-dev prometheus tmux)
# TACT_SETUP_PACKAGES="a b": check (and install) these instead; scripts/bench.sh
# asks for the peers' packages this way.
if [[ -n "${TACT_SETUP_PACKAGES:-}" ]]; then
  read -r -a TACT_REQUIRED_PACKAGES <<<"$TACT_SETUP_PACKAGES"
fi
# Optional: used when present, never installed.
TACT_OPTIONAL_PACKAGES=(ninja-build)

# tact_pkg_installed <pkg>: true when dpkg reports the package fully installed
# ("deinstall ... config-files" leftovers do not count). Reads only the Status
# field: piping all of `dpkg -s` into `grep -q` fails under pipefail whenever grep
# exits before dpkg has written the rest (prometheus's entry is 6 KB; 1 in 5 checks).
tact_pkg_installed() {
  local status
  status=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) || return 1
  [[ "$status" == "install ok installed" ]]
}

tact_setup() {
  if [[ "${TACT_SKIP_SETUP:-0}" == 1 ]]; then
    echo "setup: skipped (TACT_SKIP_SETUP=1)"
    return 0
  fi
  if ! command -v dpkg >/dev/null 2>&1; then
    echo "setup: no dpkg here (not Debian/Ubuntu); not checking packages. tact needs:" >&2
    echo "setup:   a C++20 compiler, CMake >= 3.25, GoogleTest, Google Benchmark," >&2
    echo "setup:   moodycamel ConcurrentQueue, python3; for the clang presets and the" >&2
    echo "setup:   consumer matrix: clang with libc++ and its sanitizer runtimes, pkg-config" >&2
    return 0
  fi

  local pkg missing=()
  for pkg in "${TACT_REQUIRED_PACKAGES[@]}"; do
    tact_pkg_installed "$pkg" || missing+=("$pkg")
  done
  for pkg in "${TACT_OPTIONAL_PACKAGES[@]}"; do
    tact_pkg_installed "$pkg" || echo "setup: optional package $pkg not installed (not needed)"
  done

  if ((${#missing[@]} == 0)); then
    echo "setup: all required packages present (${TACT_REQUIRED_PACKAGES[*]})"
    return 0
  fi

  echo "setup: missing packages: ${missing[*]}"
  if [[ "$(id -u)" != 0 ]]; then
    echo "setup: not root; install them with:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    return 1
  fi

  echo "setup: apt-get update"
  if ! DEBIAN_FRONTEND=noninteractive apt-get update </dev/null; then
    echo "setup: apt-get update failed" >&2
    return 1
  fi
  echo "setup: apt-get install -y ${missing[*]}"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" </dev/null; then
    echo "setup: apt-get install failed" >&2
    return 1
  fi

  local still=()
  for pkg in "${missing[@]}"; do
    tact_pkg_installed "$pkg" || still+=("$pkg")
  done
  if ((${#still[@]} > 0)); then
    echo "setup: still missing after install: ${still[*]}" >&2
    return 1
  fi
  echo "setup: installed ${missing[*]}"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -uo pipefail
  tact_setup
  exit $?
else
  tact_setup
fi
