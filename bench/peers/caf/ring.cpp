// ring (Savina ThreadRing) on CAF: 503 event-based actors in a ring pass one
// token; 10,000,000 hops in all. Figure: rate (hops/s).
//
// The token is (token, hops still to go); a node passing it on is one hop. The
// node that sees 0 tells the main thread's scoped_actor which node it is.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common.hpp"

namespace workloads {
namespace {

constexpr std::string_view kName = "ring";
constexpr std::size_t kNodes = 503;

using link_atom = caf::atom_constant<caf::atom("link")>;
using token_atom = caf::atom_constant<caf::atom("token")>;
using done_atom = caf::atom_constant<caf::atom("done")>;
using received_atom = caf::atom_constant<caf::atom("received")>;

struct NodeState {
  std::int64_t received = 0;
  caf::actor next;
};

caf::behavior ring_node(caf::stateful_actor<NodeState>* self, std::int64_t index,
                        caf::actor report_to) {
  return {
      // Who comes next: sent once the whole ring is spawned (a ring has no first
      // actor that could be spawned knowing its successor).
      [self](link_atom, caf::actor next) { self->state.next = std::move(next); },
      [self, index, report_to](token_atom, std::int64_t remaining) {
        ++self->state.received;
        if (remaining == 0) {
          self->send(report_to, done_atom::value, index);
          return;
        }
        self->send(self->state.next, token_atom::value, remaining - 1);
      },
      [self](received_atom) { return self->state.received; },
  };
}

}  // namespace

void run_ring(const Options& opts) {
  const std::int64_t hops = scaled(10'000'000, opts);
  caf::actor_system_config cfg;
  configure(cfg, opts);
  caf::actor_system sys{cfg};
  caf::scoped_actor main_actor{sys};

  std::vector<caf::actor> ring;
  ring.reserve(kNodes);
  for (std::size_t i = 0; i < kNodes; ++i) {
    ring.push_back(sys.spawn(ring_node, static_cast<std::int64_t>(i), caf::actor{main_actor}));
  }
  // request().receive(): every link is in place before the token starts.
  for (std::size_t i = 0; i < kNodes; ++i) {
    main_actor->request(ring[i], timeout(opts), link_atom::value, ring[(i + 1) % kNodes])
        .receive([] {}, [&](caf::error& err) { fail_with(kName, "a link", err); });
  }

  std::int64_t last_node = -1;
  const Stopwatch clock;
  main_actor->send(ring[0], token_atom::value, hops);
  main_actor->receive([&](done_atom, std::int64_t index) { last_node = index; },
                      caf::after(timeout(opts)) >>
                          [&] { fail(kName, "timed out waiting for the last hop"); });
  const double seconds = clock.seconds();

  // The token visits node 0 first and moves one node per hop: after `hops` hops
  // it is at node hops % 503, and every node was handed it a known number of times.
  const auto nodes = static_cast<std::int64_t>(kNodes);
  std::int64_t received = 0;
  for (std::size_t i = 0; i < kNodes; ++i) {
    std::int64_t r = -1;
    main_actor->request(ring[i], timeout(opts), received_atom::value)
        .receive([&](std::int64_t c) { r = c; },
                 [&](caf::error& err) { fail_with(kName, "a node's count", err); });
    const std::int64_t expected =
        (hops + 1) / nodes + (static_cast<std::int64_t>(i) < (hops + 1) % nodes ? 1 : 0);
    check_eq(r, expected, kName, "tokens received by node " + std::to_string(i));
    received += r;
  }
  // The nodes hold each other (a cycle of strong references): stop them explicitly.
  for (auto& node : ring) main_actor->send_exit(node, caf::exit_reason::user_shutdown);

  check_eq(last_node, hops % nodes, kName, "node holding the token after the last hop");
  check_eq(received, hops + 1, kName, "token receipts (hops + the first delivery)");
  result(kName, "rate", static_cast<double>(hops) / seconds, "hops/s");
}

}  // namespace workloads
