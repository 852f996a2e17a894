// What every workload of tact-workloads shares: options, RESULT lines, timing,
// resident memory, verification failures and the deadline a workload must meet.
// The workloads themselves (one file each) are plain tact code.
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
#include <thread>

#include <tact/tact.hpp>

namespace workloads {

// ---- options ------------------------------------------------------------------------------

struct Options {
  std::size_t workers = 0;  // tact::Config::workers; set from --workers (default: cores)
  double scale = 1.0;       // multiplies iteration counts (--scale 0.01 for a quick check)
  int timeout_s = 120;      // a workload that has not finished by then has failed
};

inline tact::Config runtime_config(const Options& opts) {
  tact::Config config;
  config.workers = opts.workers;
  return config;
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
  std::printf("RESULT workload=%.*s framework=tact metric=%.*s value=%.2f unit=%.*s\n",
              static_cast<int>(workload.size()), workload.data(),
              static_cast<int>(metric.size()), metric.data(), value,
              static_cast<int>(unit.size()), unit.data());
  std::fflush(stdout);
}

// A wrong result: says what was wrong and exits non-zero at once (no destructor
// runs, so a runtime in a bad state cannot hang the exit).
[[noreturn]] inline void fail(std::string_view workload, const std::string& what) {
  std::fflush(stdout);
  std::fprintf(stderr, "tact-workloads: %.*s: VERIFICATION FAILED: %s\n",
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

// The deadline the main thread waits for a workload's final reply: the run's
// --timeout from now. Waiting with get_until() turns a lost message into a clear
// failure ("counter stuck at ...") instead of a hang.
inline Clock::time_point deadline(const Options& opts) {
  return Clock::now() + std::chrono::seconds(opts.timeout_s);
}

// reply.get_until(deadline), failing the workload with `what` on timeout and with
// the error's message if the reply carries one.
template <class R>
R wait_for(tact::Reply<R>& reply, Clock::time_point until, std::string_view workload,
           const std::string& what) {
  try {
    return reply.get_until(until);
  } catch (const tact::Timeout&) {
    fail(workload, "timed out waiting for " + what);
  } catch (const std::exception& e) {
    fail(workload, what + " failed: " + e.what());
  }
}

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
