#include "sync/parker.hpp"

#include <cerrno>
#include <ctime>

#include "tact/detail/clock.hpp"
#if defined(TACT_SIM)
#include "sim/sim.hpp"
#endif

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace tact::detail {
namespace {

#if defined(TACT_SIM)
// The simulation build: a futex wait is a simulated block (src/sim/sim.hpp), with a
// deadline in virtual time.
void futex_wait(Atomic<std::uint32_t>* word, std::uint32_t expected,
                const std::chrono::steady_clock::time_point* deadline) noexcept {
  (void)sim::futex_wait(word, *word, expected, deadline);
}
void futex_wake_one(Atomic<std::uint32_t>* word) noexcept { sim::futex_wake(word, 1); }
#elif defined(__linux__)
// Sleeps while *word == expected, at most until `deadline` (nullptr: no limit).
// Spurious returns are allowed; the caller re-checks the word.
void futex_wait(Atomic<std::uint32_t>* word, std::uint32_t expected,
                const std::chrono::steady_clock::time_point* deadline) noexcept {
  timespec ts{};
  timespec* timeout = nullptr;
  if (deadline != nullptr) {
    auto left = *deadline - ::tact::detail::steady_now();
    if (left <= std::chrono::steady_clock::duration::zero()) return;
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
    timeout = &ts;  // FUTEX_WAIT takes a relative timeout
  }
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAIT_PRIVATE, expected,
          timeout, nullptr, 0);
}

void futex_wake_one(Atomic<std::uint32_t>* word) noexcept {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAKE_PRIVATE, 1, nullptr,
          nullptr, 0);
}
#else
#error "tact::detail::Parker needs a futex; only Linux is supported so far"
#endif

}  // namespace

bool Parker::try_consume_token() noexcept {
  std::uint32_t expected = kNotified;
  // acquire (success): pairs with the release exchange in unpark(), so what the
  // waker wrote before unpark() is visible once park() returns.
  return state_.compare_exchange_strong(expected, kEmpty, acquire, relaxed);
}

void Parker::park() noexcept {
  if (try_consume_token()) return;
  std::uint32_t expected = kEmpty;
  // relaxed: announcing the intent to sleep publishes nothing; failure means a
  // token arrived (kNotified), consumed below with acquire.
  if (!state_.compare_exchange_strong(expected, kParked, relaxed, relaxed)) {
    (void)try_consume_token();  // expected was kNotified: take it
    return;
  }
  for (;;) {
    futex_wait(&state_, kParked, nullptr);
    if (try_consume_token()) return;
  }
}

bool Parker::park_until(std::chrono::steady_clock::time_point deadline) noexcept {
  if (try_consume_token()) return true;
  std::uint32_t expected = kEmpty;
  // relaxed, as in park(): failure means a token arrived, taken with acquire.
  if (!state_.compare_exchange_strong(expected, kParked, relaxed, relaxed)) {
    return try_consume_token();
  }
  for (;;) {
    futex_wait(&state_, kParked, &deadline);
    if (try_consume_token()) return true;
    if (::tact::detail::steady_now() >= deadline) {
      expected = kParked;
      // Withdraw: kParked -> kEmpty. relaxed: nothing is published or read. If this
      // fails a token arrived meanwhile (the state is kNotified): consume it (with
      // acquire) rather than lose it.
      if (state_.compare_exchange_strong(expected, kEmpty, relaxed, relaxed)) return false;
      return try_consume_token();
    }
  }
}

void Parker::unpark() noexcept {
  // release: pairs with the acquire CAS in try_consume_token().
  // After the exchange the owner may consume the token, return, even exit its
  // thread: the wake below touches only the address, via the kernel (see the
  // lifetime rule in parker.hpp).
  if (state_.exchange(kNotified, release) == kParked) futex_wake_one(&state_);
}

Parker& Parker::current() noexcept {
  thread_local Parker parker;
  return parker;
}

}  // namespace tact::detail
