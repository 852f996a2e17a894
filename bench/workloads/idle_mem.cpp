// idle_mem: spawn 1,000,000 idle actors whose state is one int64, keep them
// alive, measure the growth of the resident set. Figures: bytes_per_actor,
// spawn_ns (per actor).
//
// How the bytes are counted: the ActorRefs are kept in a vector of 1,000,000
// (8 MB) that is built, and every page of it written, before the baseline is
// read; so the growth from baseline to after the last spawn is the actors alone
// (their cells: header, mailbox, the int64; plus malloc's own overhead per
// block), divided by their number. An idle actor has no thread, no stack and no
// queued message: memory is all it costs.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "common.hpp"

namespace workloads {
namespace {

constexpr std::string_view kName = "idle_mem";

struct Get {};

class Idle {
 public:
  explicit Idle(std::int64_t value) : value_(value) {}
  std::int64_t handle(Get) const { return value_; }

 private:
  std::int64_t value_;
};

}  // namespace

void run_idle_mem(const Options& opts) {
  const std::int64_t count = scaled(1'000'000, opts);
  const auto n = static_cast<std::size_t>(count);
  tact::Runtime rt(runtime_config(opts));
  const auto until = deadline(opts);

  std::vector<tact::ActorRef<Idle>> actors(n);  // n empty refs: every page written now
  const std::uint64_t spawned_before = rt.stats().actors_spawned;
  const Rss before = read_rss();

  const Stopwatch clock;
  for (std::size_t i = 0; i < n; ++i) actors[i] = rt.spawn<Idle>(static_cast<std::int64_t>(i));
  const double spawn_ns = clock.ns();

  const Rss after = read_rss();
  const tact::RuntimeStats stats = rt.stats();

  // Alive and intact: about 1,000 of them, spread over the whole range, answer
  // with the state they were built with.
  const std::size_t stride = std::max<std::size_t>(n / 1'000, 1);
  for (std::size_t i = 0; i < n; i += stride) {
    auto reply = actors[i].ask(Get{});
    check_eq(wait_for(reply, until, kName, "an idle actor's state"), static_cast<std::int64_t>(i),
             kName, "state of actor " + std::to_string(i));
  }
  check(std::all_of(actors.begin(), actors.end(), [](const auto& a) { return bool(a); }), kName,
        "an ActorRef is empty");
  check_eq(static_cast<std::int64_t>(stats.actors_spawned - spawned_before), count, kName,
           "actors spawned");
  check_eq(static_cast<std::int64_t>(stats.actors_stopped), 0, kName, "actors stopped while held");
  rt.shutdown();

  const double grown_bytes = static_cast<double>(after.current_kb - before.current_kb) * 1024.0;
  result(kName, "bytes_per_actor", grown_bytes / static_cast<double>(count), "bytes");
  result(kName, "spawn_ns", spawn_ns / static_cast<double>(count), "ns");
}

}  // namespace workloads
