// ring (Savina ThreadRing): 503 actors in a ring pass one token; 10,000,000 hops
// in all. Figure: rate (hops/s).
//
// The token carries the hops still to go and the Promise to answer when none
// are left; a node passing it on is one hop.
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common.hpp"

namespace workloads {
namespace {

constexpr std::string_view kName = "ring";
constexpr std::size_t kNodes = 503;

struct Token {
  std::int64_t remaining;            // hops still to go
  tact::Promise<std::int64_t> done;  // answered by the node that sees 0, with its index
};
struct Received {};

class RingNode {
 public:
  explicit RingNode(std::int64_t index) : index_(index) {}

  // Who comes next: sent once the whole ring is spawned (a ring has no first actor
  // that could be built knowing its successor).
  struct Link {
    tact::ActorRef<RingNode> next;
  };
  void handle(Link link) { next_ = std::move(link.next); }

  void handle(Token token) {
    ++received_;
    if (token.remaining == 0) {
      token.done.set_value(index_);
      return;
    }
    next_.tell(Token{token.remaining - 1, std::move(token.done)});
  }

  std::int64_t handle(Received) const { return received_; }

 private:
  std::int64_t index_;
  std::int64_t received_ = 0;
  tact::ActorRef<RingNode> next_;
};

}  // namespace

void run_ring(const Options& opts) {
  const std::int64_t hops = scaled(10'000'000, opts);
  tact::Runtime rt(runtime_config(opts));

  std::vector<tact::ActorRef<RingNode>> ring;
  ring.reserve(kNodes);
  for (std::size_t i = 0; i < kNodes; ++i) ring.push_back(rt.spawn<RingNode>(static_cast<std::int64_t>(i)));
  // ask().get(): every link is in place before the token starts.
  for (std::size_t i = 0; i < kNodes; ++i) ring[i].ask(RingNode::Link{ring[(i + 1) % kNodes]}).get();
  const auto until = deadline(opts);

  auto [done, last] = tact::Promise<std::int64_t>::make();
  const Stopwatch clock;
  ring[0].tell(Token{hops, std::move(done)});
  const std::int64_t last_node = wait_for(last, until, kName, "the last hop");
  const double seconds = clock.seconds();

  // The token visits node 0 first and moves one node per hop: after `hops` hops
  // it is at node hops % 503, and every node was handed it a known number of times.
  const auto nodes = static_cast<std::int64_t>(kNodes);
  std::int64_t received = 0;
  for (std::size_t i = 0; i < kNodes; ++i) {
    auto reply = ring[i].ask(Received{});
    const std::int64_t r = wait_for(reply, until, kName, "a node's count");
    const std::int64_t expected =
        (hops + 1) / nodes + (static_cast<std::int64_t>(i) < (hops + 1) % nodes ? 1 : 0);
    check_eq(r, expected, kName, "tokens received by node " + std::to_string(i));
    received += r;
  }
  rt.shutdown();

  check_eq(last_node, hops % nodes, kName, "node holding the token after the last hop");
  check_eq(received, hops + 1, kName, "token receipts (hops + the first delivery)");
  result(kName, "rate", static_cast<double>(hops) / seconds, "hops/s");
}

}  // namespace workloads
