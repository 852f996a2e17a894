// The counter from the API guide: tell, ask, and a handler that takes the context.
#include <cstdint>
#include <cstdio>

#include <tact/tact.hpp>

struct Inc {
  std::int64_t amount;
};
struct Get {};

class Counter {
 public:
  // One overload per message type; the return type is the reply type.
  std::int64_t handle(Inc msg) { return count_ += msg.amount; }
  // A handler may take the actor's context: its own ref, spawn, stop.
  std::int64_t handle(Get, tact::Context<Counter>&) { return count_; }

 private:
  std::int64_t count_ = 0;
};

int main() {
  tact::Runtime rt;                                  // one worker per core by default
  tact::ActorRef<Counter> c = rt.spawn<Counter>();  // constructor args forwarded
  c.tell(Inc{1});                                    // fire and forget
  std::int64_t n = c.ask(Inc{41}).get();             // blocking, from a plain thread: 42
  std::printf("count = %lld\n", static_cast<long long>(n));
  std::int64_t again = c.ask(Get{}).get();
  rt.shutdown();                                     // drains, joins workers
  return (n == 42 && again == 42) ? 0 : 1;
}
