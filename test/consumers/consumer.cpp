// A program that uses tact the way another project would, built by
// test/consumers/run_matrix.sh with each compiler, standard library and standard,
// against an installed tact (find_package, pkg-config) or its sources
// (add_subdirectory), under -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror.
//
// It spawns actors, tells, asks from a plain thread, co_awaits asks inside a
// coroutine handler (tact::Task), and catches a handler's exception across the
// library boundary (tact::HandlerFailed's text is built inside libtact.a: a
// std::string and a std::exception_ptr cross it). Exits 0 when every result is
// right, 1 with a message on the first wrong one.
#include <tact/tact.hpp>

#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <utility>

namespace {

struct Add {
  std::int64_t amount;
};
struct Total {};
struct Refuse {};

class Counter {
 public:
  void handle(Add msg) { total_ += msg.amount; }
  std::int64_t handle(Total) { return total_; }
  std::int64_t handle(Refuse) { throw std::runtime_error("counter refuses"); }

 private:
  std::int64_t total_ = 0;
};

// Adds `rounds` times `amount` to the counter, one co_awaited ask per round.
struct AddAndRead {
  std::int64_t amount;
  int rounds;
};
struct ChildRefuses {};

class Summer {
 public:
  explicit Summer(tact::ActorRef<Counter> counter) : counter_(std::move(counter)) {}

  tact::Task<std::int64_t> handle(AddAndRead msg) {
    std::int64_t seen = 0;
    for (int i = 0; i < msg.rounds; ++i) {
      counter_.tell(Add{msg.amount});
      seen = co_await counter_.ask(Total{});  // ordered after the tell (same sender)
    }
    co_return seen;
  }
  tact::Task<std::string> handle(ChildRefuses, tact::Context<Summer>& ctx) {
    auto child = ctx.spawn<Counter>();
    try {
      (void)co_await child.ask(Refuse{});
    } catch (const tact::HandlerFailed& e) {
      co_return std::string(e.what());
    }
    co_return std::string("no error");
  }

 private:
  tact::ActorRef<Counter> counter_;
};

int failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "consumer: FAILED: %s\n", what);
    ++failures;
  }
}

}  // namespace

int main() {
  tact::Config config;
  config.workers = 2;
  tact::Runtime rt(config);

  auto counter = rt.spawn<Counter>();
  auto summer = rt.spawn<Summer>(counter);

  counter.tell(Add{2});
  check(counter.ask(Total{}).get() == 2, "tell then ask: total 2");

  // 2 + 10 rounds of 4 = 42, every step awaited inside Summer's Task handler.
  check(summer.ask(AddAndRead{4, 10}).get() == 42, "co_await in a Task handler: total 42");

  const std::string refused = summer.ask(ChildRefuses{}).get();
  check(refused.find("counter refuses") != std::string::npos,
        "a child's exception reaches the co_await as tact::HandlerFailed");

  try {
    (void)counter.ask(Refuse{}).get();
    check(false, "Reply::get() throws tact::HandlerFailed");
  } catch (const tact::HandlerFailed& e) {
    check(std::string(e.what()).find("counter refuses") != std::string::npos,
          "HandlerFailed names the handler's exception");
  }

  rt.shutdown();
  try {
    (void)counter.ask(Total{}).get();
    check(false, "an ask after shutdown throws tact::ActorStopped");
  } catch (const tact::ActorStopped&) {
  }

  if (failures != 0) return 1;
  std::printf("consumer: ok (C++ %ld): tell, ask, co_await in a Task handler, errors\n",
              static_cast<long>(__cplusplus));
  return 0;
}
