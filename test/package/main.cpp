// Uses the installed tact as a user would: a Promise answered on another thread,
// its Reply read here; then a dropped Promise, which must answer BrokenPromise.
// Exits 0 when both behave, non-zero (with a message) otherwise.
#include <tact/reply.hpp>
// The umbrella header, once it exists, must compile from the install alone.
#if __has_include(<tact/tact.hpp>)
#include <tact/tact.hpp>
#endif

#include <cstdio>
#include <thread>
#include <utility>

int main() {
  auto [promise, reply] = tact::Promise<int>::make();
  std::thread replier([p = std::move(promise)]() mutable { p.set_value(42); });
  const int value = reply.get();
  replier.join();
  if (value != 42) {
    std::fprintf(stderr, "consumer: expected 42, got %d\n", value);
    return 1;
  }

  auto [dropped, orphan] = tact::Promise<int>::make();
  { auto gone = std::move(dropped); }  // destroyed unanswered
  try {
    (void)orphan.get();
    std::fprintf(stderr, "consumer: a dropped Promise did not break its Reply\n");
    return 2;
  } catch (const tact::BrokenPromise&) {
  }

  std::puts("consumer: tact package works (value 42 across threads, BrokenPromise on drop)");
  return 0;
}
