// Two actors asking each other: Pinger asks Ponger, and the reply comes back to
// Pinger as a message (then() + tell), so Pinger's state is only ever touched by
// Pinger. A plain thread waits for the end with a Promise.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include <tact/tact.hpp>

struct Ping {
  std::int64_t n;
};

class Ponger {
 public:
  std::int64_t handle(Ping ping) { return ping.n + 1; }
};

struct Start {
  tact::ActorRef<Ponger> ponger;
  std::int64_t rounds;
  tact::Promise<std::int64_t> done;
};
struct Pong {
  std::int64_t n;
};

class Pinger {
 public:
  void handle(Start start, tact::Context<Pinger>& ctx) {
    ponger_ = std::move(start.ponger);
    rounds_ = start.rounds;
    done_ = std::move(start.done);
    send(0, ctx);
  }
  void handle(Pong pong, tact::Context<Pinger>& ctx) {
    if (pong.n == rounds_) {
      done_.set_value(pong.n);
      return;
    }
    send(pong.n, ctx);
  }

 private:
  void send(std::int64_t n, tact::Context<Pinger>& ctx) {
    ponger_.ask(Ping{n}).then([self = ctx.self()](tact::Outcome<std::int64_t> reply) {
      self.tell(Pong{reply.value()});
    });
  }

  tact::ActorRef<Ponger> ponger_;
  std::int64_t rounds_ = 0;
  tact::Promise<std::int64_t> done_;
};

int main(int argc, char** argv) {
  const std::int64_t kRounds = argc > 1 ? std::atoll(argv[1]) : 10000;
  tact::Runtime rt;
  auto ponger = rt.spawn<Ponger>();
  auto pinger = rt.spawn<Pinger>();
  auto [done, finished] = tact::Promise<std::int64_t>::make();
  pinger.tell(Start{ponger, kRounds, std::move(done)});
  const std::int64_t rounds = finished.get();
  std::printf("ping-pong: %lld round trips\n", static_cast<long long>(rounds));
  rt.shutdown();
  return rounds == kRounds ? 0 : 1;
}
