// skynet: the root spawns 10 children, each spawns 10, down 6 levels (1,000,000
// leaves, 1,111,111 actors); each leaf answers its ordinal, each parent answers
// the sum of its 10 children's answers; the root checks 499999500000. Figures:
// ms (wall), rate (actors/s).
//
// Request/reply down the tree, as the tokio pattern's tasks await their
// oneshots: an interior node's handler is a coroutine (tact::Task) that spawns
// its 10 children, asks each, then co_awaits the 10 replies and returns their
// sum as its own answer. A leaf is asked a Leaf message and returns its ordinal
// from a plain handler. Every node stops itself (ctx.stop()) as it answers:
// 1.1M finished actors do not pile up.
#include <array>
#include <cstdint>
#include <string>
#include <utility>

#include "common.hpp"

namespace workloads {
namespace {

constexpr std::string_view kName = "skynet";
constexpr std::int64_t kBranching = 10;

struct Sum {
  std::int64_t first;  // the ordinal of this subtree's first leaf
  std::int64_t size;   // how many leaves below (> 1)
};
struct Leaf {
  std::int64_t ordinal;
};

class Node {
 public:
  std::int64_t handle(Leaf leaf, tact::Context<Node>& ctx) {
    ctx.stop();  // after this answer
    return leaf.ordinal;
  }

  tact::Task<std::int64_t> handle(Sum request, tact::Context<Node>& ctx) {
    const std::int64_t child_size = request.size / kBranching;
    std::array<tact::Reply<std::int64_t>, kBranching> answers;
    for (std::int64_t i = 0; i < kBranching; ++i) {
      const std::int64_t first = request.first + i * child_size;
      tact::ActorRef<Node> child = ctx.spawn<Node>();
      answers[static_cast<std::size_t>(i)] =
          child_size == 1 ? child.ask(Leaf{first}) : child.ask(Sum{first, child_size});
    }
    std::int64_t sum = 0;
    for (auto& answer : answers) sum += co_await std::move(answer);  // a failure propagates
    ctx.stop();  // after this answer
    co_return sum;
  }
};

}  // namespace

void run_skynet(const Options& opts) {
  // Leaves: a power of 10 (the tree is 10-ary), 10^6 at scale 1.
  std::int64_t leaves = 10;
  while (leaves * kBranching <= scaled(1'000'000, opts)) leaves *= kBranching;
  std::int64_t actors = 0;
  for (std::int64_t level = 1; level <= leaves; level *= kBranching) actors += level;
  const std::int64_t expected_sum = leaves * (leaves - 1) / 2;

  tact::Runtime rt(runtime_config(opts));
  const auto until = deadline(opts);
  const std::uint64_t spawned_before = rt.stats().actors_spawned;

  const Stopwatch clock;
  auto answer = rt.spawn<Node>().ask(Sum{0, leaves});
  const std::int64_t sum = wait_for(answer, until, kName, "the root's sum");
  const double seconds = clock.seconds();
  const tact::RuntimeStats stats = rt.stats();
  rt.shutdown();

  check_eq(sum, expected_sum, kName, "sum of the leaves' ordinals");
  check_eq(static_cast<std::int64_t>(stats.actors_spawned - spawned_before), actors, kName,
           "actors spawned");
  check_eq(static_cast<std::int64_t>(stats.actors_failed), 0, kName, "actors failed");
  check_eq(static_cast<std::int64_t>(stats.dead_letters), 0, kName, "dead letters");
  result(kName, "ms", seconds * 1e3, "ms");
  result(kName, "rate", static_cast<double>(actors) / seconds, "actors/s");
}

}  // namespace workloads
