#include "harness/harness.hpp"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace workloads {

namespace {

ProgramInfo g_program{"workloads", "unknown", "unknown", ""};

int len(std::string_view s) { return static_cast<int>(s.size()); }

}  // namespace

void set_program(const ProgramInfo& info) { g_program = info; }

const ProgramInfo& program() { return g_program; }

void result(std::string_view workload, std::string_view metric, double value,
            std::string_view unit) {
  const std::string_view framework = g_program.framework;
  std::printf("RESULT workload=%.*s framework=%.*s metric=%.*s value=%.2f unit=%.*s\n",
              len(workload), workload.data(), len(framework), framework.data(), len(metric),
              metric.data(), value, len(unit), unit.data());
  std::fflush(stdout);
}

void complain(const char* format, ...) {
  std::va_list args;
  va_start(args, format);
  std::va_list again;
  va_copy(again, args);
  const int n = std::vsnprintf(nullptr, 0, format, args);
  va_end(args);
  std::string text(n > 0 ? static_cast<std::size_t>(n) : 0, '\0');
  if (n > 0) std::vsnprintf(text.data(), text.size() + 1, format, again);
  va_end(again);
  std::fprintf(stderr, "%.*s: %s\n", len(g_program.name), g_program.name.data(), text.c_str());
}

void fail(std::string_view workload, const std::string& what) {
  std::fflush(stdout);
  complain("%.*s: VERIFICATION FAILED: %s", len(workload), workload.data(), what.c_str());
  std::fflush(stderr);
  std::_Exit(1);
}

Rss read_rss() {
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

double percentile(const std::vector<std::int64_t>& sorted, double p) {
  const auto n = sorted.size();
  auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(n)));
  rank = std::clamp<std::size_t>(rank, 1, n);
  return static_cast<double>(sorted[rank - 1]);
}

void report_latency_percentiles(std::string_view workload, std::vector<std::int64_t>& samples_ns) {
  std::sort(samples_ns.begin(), samples_ns.end());
  result(workload, "p50_ns", percentile(samples_ns, 0.50), "ns");
  result(workload, "p99_ns", percentile(samples_ns, 0.99), "ns");
  result(workload, "p999_ns", percentile(samples_ns, 0.999), "ns");
}

}  // namespace workloads
