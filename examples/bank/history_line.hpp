// What the bank's programs write into the fault test's history (JSON lines that
// scripts/durable_check.py reads): a CLOCK_MONOTONIC time, comparable across the
// processes of one machine, and JSON strings.
#pragma once

#include <time.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace bank {

inline std::int64_t monotonic_ns() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

// A steady_clock time on monotonic_ns()'s scale: on Linux steady_clock reads
// CLOCK_MONOTONIC (libstdc++ and libc++ alike); bank_node checks it at start.
inline std::int64_t steady_ns(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// Account names and op ids are the client's ([a-z0-9/-]); errors are library
// text: escape what JSON needs.
inline std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
      out += escaped;
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

}  // namespace bank
