// pingpong on CAF: actor A asks actor B Ping(i) with CAF's own request/reply
// (self->request(b, infinite, ping, i).then(...)); B's handler returns i+1,
// which CAF sends back as the response; A's then() continuation runs in A's
// context and sends the next Ping. 1,000,000 round trips. Figures: rtt_ns, rate.
//
// Messages are atoms plus int64s (CAF 0.17's idiom for local message types: no
// type registration needed).
#include <cstdint>
#include <string>

#include "common.hpp"

namespace workloads {
namespace {

constexpr std::string_view kName = "pingpong";

using ping_atom = caf::atom_constant<caf::atom("ping")>;
using start_atom = caf::atom_constant<caf::atom("start")>;
using done_atom = caf::atom_constant<caf::atom("done")>;

caf::behavior ponger(caf::event_based_actor*) {
  return {[](ping_atom, std::int64_t n) { return n + 1; }};
}

struct PingerState {
  caf::actor ponger;
  caf::actor report_to;  // gets (done, counter) or (error, what) at the end
  std::int64_t rounds = 0;
  std::int64_t counter = 0;  // the last answer: after k round trips, k
};

void send_ping(caf::stateful_actor<PingerState>* self) {
  self->request(self->state.ponger, caf::infinite, ping_atom::value, self->state.counter)
      .then(
          [self](std::int64_t n) {
            auto& st = self->state;
            if (n != st.counter + 1) {
              self->send(st.report_to, caf::make_error(caf::sec::unexpected_response,
                                                       "Ping(" + std::to_string(st.counter) +
                                                           ") answered " + std::to_string(n)));
              self->quit();
              return;
            }
            st.counter = n;
            if (st.counter == st.rounds) {
              self->send(st.report_to, done_atom::value, st.counter);
              self->quit();
              return;
            }
            send_ping(self);
          },
          [self](caf::error& err) {  // the request failed: pass the error on
            self->send(self->state.report_to, std::move(err));
            self->quit();
          });
}

caf::behavior pinger(caf::stateful_actor<PingerState>* self) {
  return {[self](start_atom, caf::actor ponger, std::int64_t rounds, caf::actor report_to) {
    self->state.ponger = std::move(ponger);
    self->state.rounds = rounds;
    self->state.report_to = std::move(report_to);
    send_ping(self);
  }};
}

}  // namespace

void run_pingpong(const Options& opts) {
  const std::int64_t rounds = scaled(1'000'000, opts);
  caf::actor_system_config cfg;
  configure(cfg, opts);
  caf::actor_system sys{cfg};
  caf::scoped_actor main_actor{sys};
  auto b = sys.spawn(ponger);
  auto a = sys.spawn(pinger);

  std::int64_t counter = -1;
  const Stopwatch clock;
  main_actor->send(a, start_atom::value, b, rounds, caf::actor{main_actor});
  main_actor->receive([&](done_atom, std::int64_t n) { counter = n; },
                      [&](caf::error& err) { fail_with(kName, "a Ping", err); },
                      caf::after(timeout(opts)) >>
                          [&] { fail(kName, "timed out waiting for the last round trip"); });
  const double ns = clock.ns();
  main_actor->send_exit(b, caf::exit_reason::user_shutdown);

  check_eq(counter, rounds, kName, "final counter (one increment per round trip)");
  result(kName, "rtt_ns", ns / static_cast<double>(rounds), "ns");
  result(kName, "rate", static_cast<double>(rounds) / (ns / 1e9), "roundtrips/s");
}

}  // namespace workloads
