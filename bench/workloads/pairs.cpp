// pairs: 1,000 pairs of actors; in each pair the two tell each other back and
// forth 1,000 times (2,000,000 messages over 2,000 actors). Figure: rate (msgs/s).
//
// Serve starts a rally: the server tells its partner Ball{1999}, and each player
// returns the ball with one less to go, so a pair exchanges 2,000 Balls, 1,000 each
// way. The player that receives Ball{0} reports the rally over to a Tally actor,
// which answers the main thread once every pair is done.
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common.hpp"

namespace workloads {
namespace {

constexpr std::string_view kName = "pairs";
constexpr std::int64_t kPairs = 1'000;

struct RallyOver {};

class Tally {
 public:
  Tally(std::int64_t rallies, tact::Promise<std::int64_t> all_over)
      : rallies_(rallies), all_over_(std::move(all_over)) {}
  void handle(RallyOver) {
    if (++over_ == rallies_) all_over_.set_value(over_);
  }

 private:
  std::int64_t rallies_;
  std::int64_t over_ = 0;
  tact::Promise<std::int64_t> all_over_;
};

struct Serve {
  std::int64_t balls;  // Balls this rally exchanges
};
struct Ball {
  std::int64_t remaining;  // Balls still to come after this one
};
struct Received {};

class Player {
 public:
  explicit Player(tact::ActorRef<Tally> tally) : tally_(std::move(tally)) {}

  struct Partner {
    tact::ActorRef<Player> partner;
  };
  void handle(Partner p) { partner_ = std::move(p.partner); }

  void handle(Serve serve) { partner_.tell(Ball{serve.balls - 1}); }

  void handle(Ball ball) {
    ++received_;
    if (ball.remaining == 0) {
      tally_.tell(RallyOver{});
    } else {
      partner_.tell(Ball{ball.remaining - 1});
    }
  }

  std::int64_t handle(Received) const { return received_; }

 private:
  tact::ActorRef<Tally> tally_;
  tact::ActorRef<Player> partner_;
  std::int64_t received_ = 0;
};

}  // namespace

void run_pairs(const Options& opts) {
  const std::int64_t per_direction = scaled(1'000, opts);  // Balls each player receives
  const std::int64_t balls = 2 * per_direction;           // per pair
  tact::Runtime rt(runtime_config(opts));

  auto [all_over, over] = tact::Promise<std::int64_t>::make();
  auto tally = rt.spawn<Tally>(kPairs, std::move(all_over));
  std::vector<tact::ActorRef<Player>> players;
  players.reserve(2 * kPairs);
  for (std::int64_t i = 0; i < 2 * kPairs; ++i) players.push_back(rt.spawn<Player>(tally));
  for (std::size_t i = 0; i < players.size(); i += 2) {
    players[i].ask(Player::Partner{players[i + 1]}).get();
    players[i + 1].ask(Player::Partner{players[i]}).get();
  }
  const auto until = deadline(opts);

  const Stopwatch clock;
  for (std::size_t i = 0; i < players.size(); i += 2) players[i].tell(Serve{balls});
  const std::int64_t rallies = wait_for(over, until, kName, "every rally to end");
  const double seconds = clock.seconds();

  std::int64_t received = 0;
  for (std::size_t i = 0; i < players.size(); ++i) {
    auto reply = players[i].ask(Received{});
    const std::int64_t r = wait_for(reply, until, kName, "a player's count");
    check_eq(r, per_direction, kName, "Balls received by player " + std::to_string(i));
    received += r;
  }
  rt.shutdown();

  const std::int64_t messages = kPairs * balls;
  check_eq(rallies, kPairs, kName, "rallies over");
  check_eq(received, messages, kName, "Balls received in all");
  result(kName, "rate", static_cast<double>(messages) / seconds, "msgs/s");
}

}  // namespace workloads
