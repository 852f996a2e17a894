// pairs on CAF: 1,000 pairs of event-based actors; in each pair the two send each
// other back and forth 1,000 times (2,000,000 messages over 2,000 actors). Figure:
// rate (msgs/s).
//
// (serve, n) starts a rally: the server sends its partner (ball, n - 1), and each
// player returns the ball with one less to go, so a pair exchanges 2,000 balls,
// 1,000 each way. The player that receives (ball, 0) reports the rally over to a
// tally actor, which tells the main thread's scoped_actor once every pair is done.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common.hpp"

namespace workloads {
namespace {

constexpr std::string_view kName = "pairs";
constexpr std::int64_t kPairs = 1'000;

using partner_atom = caf::atom_constant<caf::atom("partner")>;
using serve_atom = caf::atom_constant<caf::atom("serve")>;
using ball_atom = caf::atom_constant<caf::atom("ball")>;
using over_atom = caf::atom_constant<caf::atom("over")>;
using received_atom = caf::atom_constant<caf::atom("received")>;

struct TallyState {
  std::int64_t over = 0;
};

caf::behavior tally(caf::stateful_actor<TallyState>* self, std::int64_t rallies,
                    caf::actor report_to) {
  return {[self, rallies, report_to](over_atom) {
    if (++self->state.over == rallies) self->send(report_to, over_atom::value, self->state.over);
  }};
}

struct PlayerState {
  caf::actor partner;
  std::int64_t received = 0;
};

caf::behavior player(caf::stateful_actor<PlayerState>* self, caf::actor tally_actor) {
  return {
      [self](partner_atom, caf::actor partner) { self->state.partner = std::move(partner); },
      [self](serve_atom, std::int64_t balls) {
        self->send(self->state.partner, ball_atom::value, balls - 1);
      },
      [self, tally_actor](ball_atom, std::int64_t remaining) {
        ++self->state.received;
        if (remaining == 0) {
          self->send(tally_actor, over_atom::value);
        } else {
          self->send(self->state.partner, ball_atom::value, remaining - 1);
        }
      },
      [self](received_atom) { return self->state.received; },
  };
}

}  // namespace

void run_pairs(const Options& opts) {
  const std::int64_t per_direction = scaled(1'000, opts);  // balls each player receives
  const std::int64_t balls = 2 * per_direction;           // per pair
  caf::actor_system_config cfg;
  configure(cfg, opts);
  caf::actor_system sys{cfg};
  caf::scoped_actor main_actor{sys};

  auto tally_actor = sys.spawn(tally, kPairs, caf::actor{main_actor});
  std::vector<caf::actor> players;
  players.reserve(2 * kPairs);
  for (std::int64_t i = 0; i < 2 * kPairs; ++i) players.push_back(sys.spawn(player, tally_actor));
  const auto link = [&](const caf::actor& who, const caf::actor& partner) {
    main_actor->request(who, timeout(opts), partner_atom::value, partner)
        .receive([] {}, [&](caf::error& err) { fail_with(kName, "a partner link", err); });
  };
  for (std::size_t i = 0; i < players.size(); i += 2) {
    link(players[i], players[i + 1]);
    link(players[i + 1], players[i]);
  }

  std::int64_t rallies = -1;
  const Stopwatch clock;
  for (std::size_t i = 0; i < players.size(); i += 2) {
    main_actor->send(players[i], serve_atom::value, balls);
  }
  main_actor->receive([&](over_atom, std::int64_t n) { rallies = n; },
                      caf::after(timeout(opts)) >>
                          [&] { fail(kName, "timed out waiting for every rally to end"); });
  const double seconds = clock.seconds();

  std::int64_t received = 0;
  for (std::size_t i = 0; i < players.size(); ++i) {
    std::int64_t r = -1;
    main_actor->request(players[i], timeout(opts), received_atom::value)
        .receive([&](std::int64_t c) { r = c; },
                 [&](caf::error& err) { fail_with(kName, "a player's count", err); });
    check_eq(r, per_direction, kName, "balls received by player " + std::to_string(i));
    received += r;
  }
  // Partners hold each other (a cycle of strong references): stop them explicitly.
  for (auto& p : players) main_actor->send_exit(p, caf::exit_reason::user_shutdown);
  main_actor->send_exit(tally_actor, caf::exit_reason::user_shutdown);

  const std::int64_t messages = kPairs * balls;
  check_eq(rallies, kPairs, kName, "rallies over");
  check_eq(received, messages, kName, "balls received in all");
  result(kName, "rate", static_cast<double>(messages) / seconds, "msgs/s");
}

}  // namespace workloads
