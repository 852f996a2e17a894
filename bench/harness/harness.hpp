// The framework-independent half of every C++ workloads program (tact-workloads,
// bench/peers/caf's caf-workloads): options, the program's identity, RESULT lines,
// verification failures, timing and resident memory. Each program's common.hpp
// includes this and adds its framework's helpers; workloads_main.hpp is the main()
// they share (arguments, watchdog, `all`). Library: tact_bench_harness.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace workloads {

// ---- options ------------------------------------------------------------------------------

struct Options {
  std::size_t workers = 0;  // the framework's worker threads; set from --workers (default: cores)
  double scale = 1.0;       // multiplies iteration counts (--scale 0.01 for a quick check)
  int timeout_s = 120;      // a workload that has not finished by then has failed
  bool metrics = true;      // --metrics on|off: the framework's own metrics (tact: Config::metrics)
};

// `n` iterations at the requested scale, at least `min`.
inline std::int64_t scaled(std::int64_t n, const Options& opts, std::int64_t min = 1) {
  const auto v = static_cast<std::int64_t>(std::llround(static_cast<double>(n) * opts.scale));
  return std::max(v, min);
}

// ---- the program's identity -----------------------------------------------------------------

// Which program is running. Every string is a literal (it is kept, not copied).
struct ProgramInfo {
  std::string_view name;          // "tact-workloads": starts every message on stderr
  std::string_view framework;     // "tact": the framework= of the RESULT lines
  std::string_view runs_on;       // "tact", "CAF": --help's "Runs the ... workloads on <this>"
  std::string_view workers_help;  // --help's text for --workers N
};

// The program running: run_workloads_main() sets it before any workload runs.
void set_program(const ProgramInfo& info);
const ProgramInfo& program();

// ---- output -------------------------------------------------------------------------------

// One figure, in the format of WORKLOADS.md (stdout carries only these lines).
void result(std::string_view workload, std::string_view metric, double value,
            std::string_view unit);

// "<program>: <message>\n" on stderr, in one write.
[[gnu::format(printf, 1, 2)]] void complain(const char* format, ...);

// A wrong result: says what was wrong and exits non-zero at once (no destructor
// runs, so a runtime or actor system in a bad state, or waiting for actors a failed
// run left behind, cannot hang the exit).
[[noreturn]] void fail(std::string_view workload, const std::string& what);

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

// ---- memory -------------------------------------------------------------------------------

struct Rss {
  std::int64_t current_kb = 0;  // VmRSS: resident now
  std::int64_t peak_kb = 0;     // VmHWM: the highest VmRSS of this process so far
};

// From /proc/self/status (Linux). Zeros elsewhere.
Rss read_rss();

// The nearest-rank percentile (p in (0, 1]) of samples sorted ascending; not empty.
double percentile(const std::vector<std::int64_t>& sorted, double p);

// Sorts the latency samples (ns) and prints the p50_ns, p99_ns and p999_ns lines.
void report_latency_percentiles(std::string_view workload, std::vector<std::int64_t>& samples_ns);

// ---- the workloads: each program defines them, one file each -------------------------------

void run_pingpong(const Options& opts);
void run_ask_ext(const Options& opts);
void run_fanin(const Options& opts);
void run_fanin_many(const Options& opts);
void run_ring(const Options& opts);
void run_skynet(const Options& opts);
void run_pairs(const Options& opts);
void run_idle_mem(const Options& opts);

}  // namespace workloads
