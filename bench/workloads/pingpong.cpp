// pingpong: actor A asks actor B Ping(i) through tact's request/reply (ask +
// then); B replies i+1; the reply comes back to A as a message and A sends the
// next Ping. 1,000,000 round trips. Figures: rtt_ns, rate.
//
// The then() continuation runs on whichever thread answers the ask, so it only
// tells the reply to A: A's state is touched by A alone.
#include <cstdint>
#include <string>
#include <utility>

#include "common.hpp"

namespace workloads {
namespace {

constexpr std::string_view kName = "pingpong";

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
  tact::Promise<std::int64_t> done;  // answered with the final counter
};

// The answer to one Ping, delivered back to the Pinger (value or error).
struct Pong {
  tact::Outcome<std::int64_t> reply;
};

class Pinger {
 public:
  void handle(Start start, tact::Context<Pinger>& ctx) {
    ponger_ = std::move(start.ponger);
    rounds_ = start.rounds;
    done_ = std::move(start.done);
    send(ctx);
  }

  void handle(Pong pong, tact::Context<Pinger>& ctx) {
    if (!pong.reply) {  // the ask failed: pass the error on to whoever waits
      done_.set_error(pong.reply.error());
      return;
    }
    const std::int64_t n = pong.reply.value();
    if (n != counter_ + 1) {
      done_.set_error(std::make_exception_ptr(tact::Error(
          "Ping(" + std::to_string(counter_) + ") answered " + std::to_string(n))));
      return;
    }
    counter_ = n;
    if (counter_ == rounds_) {
      done_.set_value(counter_);
      return;
    }
    send(ctx);
  }

 private:
  void send(tact::Context<Pinger>& ctx) {
    ponger_.ask(Ping{counter_}).then([self = ctx.self()](tact::Outcome<std::int64_t> reply) {
      self.tell(Pong{std::move(reply)});
    });
  }

  tact::ActorRef<Ponger> ponger_;
  std::int64_t rounds_ = 0;
  std::int64_t counter_ = 0;  // the last answer: after k round trips, k
  tact::Promise<std::int64_t> done_;
};

}  // namespace

void run_pingpong(const Options& opts) {
  const std::int64_t rounds = scaled(1'000'000, opts);
  tact::Runtime rt(runtime_config(opts));
  auto ponger = rt.spawn<Ponger>();
  auto pinger = rt.spawn<Pinger>();
  auto [done, finished] = tact::Promise<std::int64_t>::make();

  const Stopwatch clock;
  pinger.tell(Start{ponger, rounds, std::move(done)});
  const std::int64_t counter = wait_for(finished, deadline(opts), kName, "the last round trip");
  const double ns = clock.ns();
  rt.shutdown();

  check_eq(counter, rounds, kName, "final counter (one increment per round trip)");
  result(kName, "rtt_ns", ns / static_cast<double>(rounds), "ns");
  result(kName, "rate", static_cast<double>(rounds) / (ns / 1e9), "roundtrips/s");
}

}  // namespace workloads
