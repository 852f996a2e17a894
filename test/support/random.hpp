// Seeded, replayable randomness for tests: a stress test draws its choices from
// Rng streams derived from one seed, prints the seed when it fails, and
// TACT_STRESS_SEED=<n> replays the same choices (not the same interleaving).
#pragma once

#include <cstdint>
#include <cstdlib>

namespace tact::test {

// TACT_STRESS_SEED if set, else `fallback` (each test file picks its own).
inline std::uint64_t stress_seed(std::uint64_t fallback) {
  const char* env = std::getenv("TACT_STRESS_SEED");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : fallback;
}

// splitmix64's output function.
inline std::uint64_t mix64(std::uint64_t x) {
  x += 0x9E37'79B9'7F4A'7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58'476D'1CE4'E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D0'49BB'1331'11EBull;
  return x ^ (x >> 31);
}

// One stream of choices: the same (seed, stream) gives the same sequence.
class Rng {
 public:
  explicit Rng(std::uint64_t seed, std::uint64_t stream = 0) : state_(mix64(seed ^ mix64(stream))) {}
  std::uint64_t next() { return state_ = mix64(state_); }
  std::uint64_t below(std::uint64_t n) { return next() % n; }

 private:
  std::uint64_t state_;
};

}  // namespace tact::test
