// The stress tests' seed (TACT_STRESS_SEED=<n> replays a run's choices; the
// thread interleaving itself is not replayable) and splitmix64 to draw from it.
#pragma once

#include <cstdint>
#include <cstdlib>

namespace tact::test {

// `fallback` unless TACT_STRESS_SEED is set.
inline std::uint64_t seed(std::uint64_t fallback = 0x5EED'5CB7ull) {
  const char* env = std::getenv("TACT_STRESS_SEED");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : fallback;
}

// splitmix64.
inline std::uint64_t mix(std::uint64_t x) {
  x += 0x9E37'79B9'7F4A'7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58'476D'1CE4'E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D0'49BB'1331'11EBull;
  return x ^ (x >> 31);
}

}  // namespace tact::test
