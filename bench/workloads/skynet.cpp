// skynet: the root spawns 10 children, each spawns 10, down 6 levels (1,000,000
// leaves, 1,111,111 actors); each leaf answers its ordinal, each parent answers
// the sum of its 10 children's answers; the root checks 499999500000. Figures:
// ms (wall), rate (actors/s).
//
// Request/reply down the tree: a parent sends each child a Sum request that
// carries the Promise the child answers, and hangs a then() on the matching Reply
// that tells the answer back to the parent as a Partial message, so the parent's
// state is touched by the parent alone. Every node stops itself (ctx.stop())
// once it has answered: 1.1M finished actors do not pile up.
//
// Why not `child.ask(Sum{...})`: an ask is answered with the handler's return
// value, and an interior node only knows its answer after its children answered,
// long after its handler returned. Answering later needs a Promise the node keeps;
// tact has no ctx-provided Promise for the current ask (nor Task coroutines) yet,
// so the request carries one (tact::Promise<R>::make(), which is what ask() does
// inside: one reply slot per request either way).
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
  std::int64_t size;   // how many leaves below (1: this node is a leaf)
  tact::Promise<std::int64_t> reply;
};

// One child's answer, delivered back to its parent (value or error).
struct Partial {
  tact::Outcome<std::int64_t> sum;
};

class Node {
 public:
  void handle(Sum request, tact::Context<Node>& ctx) {
    if (request.size == 1) {  // a leaf: answers its ordinal
      request.reply.set_value(request.first);
      ctx.stop();
      return;
    }
    reply_ = std::move(request.reply);
    pending_ = kBranching;
    const std::int64_t child_size = request.size / kBranching;
    for (std::int64_t i = 0; i < kBranching; ++i) {
      auto [promise, answer] = tact::Promise<std::int64_t>::make();
      ctx.spawn<Node>().tell(Sum{request.first + i * child_size, child_size, std::move(promise)});
      answer.then([self = ctx.self()](tact::Outcome<std::int64_t> sum) {
        self.tell(Partial{std::move(sum)});
      });
    }
  }

  void handle(Partial partial, tact::Context<Node>& ctx) {
    if (!partial.sum) {  // a child failed: so does this subtree
      reply_.set_error(partial.sum.error());
      ctx.stop();
      return;
    }
    sum_ += partial.sum.value();
    if (--pending_ == 0) {
      reply_.set_value(sum_);
      ctx.stop();
    }
  }

 private:
  tact::Promise<std::int64_t> reply_;
  std::int64_t sum_ = 0;
  std::int64_t pending_ = 0;
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

  auto [promise, answer] = tact::Promise<std::int64_t>::make();
  const Stopwatch clock;
  rt.spawn<Node>().tell(Sum{0, leaves, std::move(promise)});
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
