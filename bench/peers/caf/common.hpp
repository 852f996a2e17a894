// What every workload of caf-workloads shares: options, RESULT lines, timing,
// resident memory, verification failures, the actor system's configuration and
// the deadline a workload must meet. It mirrors bench/workloads/common.hpp (tact's
// own workloads) so the two programs measure and verify the same way; the
// workloads themselves (one file each) are plain CAF 0.17 code.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

#include <caf/all.hpp>

namespace workloads {

// ---- options ------------------------------------------------------------------------------

struct Options {
  std::size_t workers = 0;  // scheduler.max-threads; set from --workers (default: cores)
  double scale = 1.0;       // multiplies iteration counts (--scale 0.01 for a quick check)
  int timeout_s = 120;      // a workload that has not finished by then has failed
};

// CAF's defaults (the work-stealing scheduler and its polling/sleeping policy, no
// throughput limit) except for the number of worker threads.
inline void configure(caf::actor_system_config& cfg, const Options& opts) {
  cfg.set("scheduler.max-threads", static_cast<caf::config_value::integer>(opts.workers));
}

// `n` iterations at the requested scale, at least `min`.
inline std::int64_t scaled(std::int64_t n, const Options& opts, std::int64_t min = 1) {
  const auto v = static_cast<std::int64_t>(std::llround(static_cast<double>(n) * opts.scale));
  return std::max(v, min);
}

// ---- output -------------------------------------------------------------------------------

// One figure, in the format of WORKLOADS.md (stdout carries only these lines).
inline void result(std::string_view workload, std::string_view metric, double value,
                   std::string_view unit) {
  std::printf("RESULT workload=%.*s framework=caf metric=%.*s value=%.2f unit=%.*s\n",
              static_cast<int>(workload.size()), workload.data(),
              static_cast<int>(metric.size()), metric.data(), value,
              static_cast<int>(unit.size()), unit.data());
  std::fflush(stdout);
}

// A wrong result: says what was wrong and exits non-zero at once (no destructor
// runs: the actor system's would wait for actors a failed run left behind).
[[noreturn]] inline void fail(std::string_view workload, const std::string& what) {
  std::fflush(stdout);
  std::fprintf(stderr, "caf-workloads: %.*s: VERIFICATION FAILED: %s\n",
               static_cast<int>(workload.size()), workload.data(), what.c_str());
  std::fflush(stderr);
  std::_Exit(1);
}

inline void check(bool ok, std::string_view workload, const std::string& what) {
  if (!ok) fail(workload, what);
}

// "expected X, got Y" checks of counts.
inline void check_eq(std::int64_t got, std::int64_t expected, std::string_view workload,
                     const std::string& what) {
  if (got != expected) {
    fail(workload, what + ": expected " + std::to_string(expected) + ", got " + std::to_string(got));
  }
}

// A request that came back with an error (or timed out) fails the workload.
[[noreturn]] inline void fail_with(std::string_view workload, const std::string& what,
                                   const caf::error& err) {
  fail(workload, what + " failed: " + caf::to_string(err));
}

// ---- timing -------------------------------------------------------------------------------

using Clock = std::chrono::steady_clock;

class Stopwatch {
 public:
  Stopwatch() : start_(Clock::now()) {}
  double ns() const { return std::chrono::duration<double, std::nano>(Clock::now() - start_).count(); }
  double seconds() const { return ns() / 1e9; }

 private:
  Clock::time_point start_;
};

// How long the main thread's scoped_actor waits for a workload's final message:
// the run's --timeout. Waiting with receive(..., after(...)) or a request timeout
// turns a lost message into a clear failure instead of a hang.
inline std::chrono::seconds timeout(const Options& opts) { return std::chrono::seconds(opts.timeout_s); }

// ---- memory -------------------------------------------------------------------------------

struct Rss {
  std::int64_t current_kb = 0;  // VmRSS: resident now
  std::int64_t peak_kb = 0;     // VmHWM: the highest VmRSS of this process so far
};

// From /proc/self/status (Linux). Zeros elsewhere.
inline Rss read_rss() {
  Rss rss;
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    const auto field = [&](std::string_view name) -> std::int64_t {
      if (line.compare(0, name.size(), name) != 0) return -1;
      return std::strtoll(line.c_str() + name.size(), nullptr, 10);  // "   1234 kB"
    };
    if (const auto v = field("VmRSS:"); v >= 0) rss.current_kb = v;
    if (const auto v = field("VmHWM:"); v >= 0) rss.peak_kb = v;
  }
  return rss;
}

// ---- the workloads (one file each) ---------------------------------------------------------

void run_pingpong(const Options& opts);
void run_ask_ext(const Options& opts);
void run_fanin(const Options& opts);
void run_ring(const Options& opts);
void run_skynet(const Options& opts);
void run_pairs(const Options& opts);
void run_idle_mem(const Options& opts);

}  // namespace workloads
