// skynet on CAF: the root spawns 10 children, each spawns 10, down 6 levels
// (1,000,000 leaves, 1,111,111 actors); each leaf answers its ordinal, each parent
// answers the sum of its 10 children's answers; the root checks 499999500000.
// Figures: ms (wall), rate (actors/s).
//
// Request/reply down the tree, the CAF way: a parent self->spawn()s each child
// and self->request(child, infinite, sum, first, size).then(...)s it; it answers
// its own request later through a response_promise (make_response_promise) that
// it delivers once the 10th child answered. Every node quit()s once it has
// answered: 1.1M finished actors do not pile up. The main thread's scoped_actor
// asks the root with request().receive().
//
// Counting the actors that ran (tact checks its runtime's spawn counter): each
// node bumps a counter of the worker thread it started on (a plain per-thread
// slot, no shared read-modify-write), summed once the root has answered.
#include <atomic>
#include <cstdint>
#include <string>

#include "common.hpp"
#include "start_counter.hpp"

namespace workloads {
namespace {

using start_counter::count_start;
using start_counter::started;

constexpr std::string_view kName = "skynet";
constexpr std::int64_t kBranching = 10;

using sum_atom = caf::atom_constant<caf::atom("sum")>;

// ---- the tree -----------------------------------------------------------------------------

struct NodeState {
  std::int64_t sum = 0;
  std::int64_t pending = 0;
  caf::typed_response_promise<std::int64_t> reply;
};

caf::behavior node(caf::stateful_actor<NodeState>* self) {
  count_start();
  return {[self](sum_atom, std::int64_t first,
                 std::int64_t size) -> caf::result<std::int64_t> {
    if (size == 1) {  // a leaf: answers its ordinal
      self->quit();
      return first;
    }
    auto& st = self->state;
    st.reply = self->make_response_promise<std::int64_t>();
    st.pending = kBranching;
    const std::int64_t child_size = size / kBranching;
    for (std::int64_t i = 0; i < kBranching; ++i) {
      auto child = self->spawn(node);
      self->request(child, caf::infinite, sum_atom::value, first + i * child_size, child_size)
          .then(
              [self](std::int64_t partial) {
                auto& s = self->state;
                s.sum += partial;
                if (--s.pending == 0) {
                  s.reply.deliver(s.sum);
                  self->quit();
                }
              },
              [self](caf::error& err) {  // a child failed: so does this subtree
                self->state.reply.deliver(std::move(err));
                self->quit();
              });
    }
    return self->state.reply;
  }};
}

}  // namespace

void run_skynet(const Options& opts) {
  // Leaves: a power of 10 (the tree is 10-ary), 10^6 at scale 1.
  std::int64_t leaves = 10;
  while (leaves * kBranching <= scaled(1'000'000, opts)) leaves *= kBranching;
  std::int64_t actors = 0;
  for (std::int64_t level = 1; level <= leaves; level *= kBranching) actors += level;
  const std::int64_t expected_sum = leaves * (leaves - 1) / 2;

  caf::actor_system_config cfg;
  configure(cfg, opts);
  caf::actor_system sys{cfg};
  caf::scoped_actor main_actor{sys};
  const std::int64_t started_before = started();

  std::int64_t sum = -1;
  const Stopwatch clock;
  auto root = sys.spawn(node);
  main_actor->request(root, timeout(opts), sum_atom::value, std::int64_t{0}, leaves)
      .receive([&](std::int64_t s) { sum = s; },
               [&](caf::error& err) { fail_with(kName, "the root's sum", err); });
  const double seconds = clock.seconds();
  const std::int64_t ran = started() - started_before;

  check_eq(sum, expected_sum, kName, "sum of the leaves' ordinals");
  check_eq(ran, actors, kName, "actors spawned");
  result(kName, "ms", seconds * 1e3, "ms");
  result(kName, "rate", static_cast<double>(actors) / seconds, "actors/s");
}

}  // namespace workloads
