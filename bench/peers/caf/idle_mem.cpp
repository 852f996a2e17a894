// idle_mem on CAF: spawn 1,000,000 idle event-based actors whose state is one
// int64 (a stateful_actor), keep them alive, measure the growth of the resident
// set. Figures: bytes_per_actor, spawn_ns (per actor).
//
// Closest equivalent of tact's measurement: CAF's spawn() only allocates and
// registers the actor and schedules its initialization (make_behavior runs later
// on a worker), so both figures are taken once every actor has run its
// initialization (each counts itself in a per-thread slot, polled by the main
// thread): spawn_ns is the wall time from the first spawn() until the last actor
// is initialized, divided by their number; the RSS is read then. CAF's
// lazy_init spawn option would skip the initial scheduling, but it is not the
// default a user gets, so it is not used.
//
// How the bytes are counted: the handles are kept in a vector of 1,000,000 (8 MB)
// that is built, and every page of it written, before the baseline is read; so
// the growth from baseline to after the last spawn is the actors alone, divided
// by their number.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "common.hpp"
#include "start_counter.hpp"

namespace workloads {
namespace {

using start_counter::count_start;
using start_counter::started;

constexpr std::string_view kName = "idle_mem";

using get_atom = caf::atom_constant<caf::atom("get")>;

// ---- the idle actor -----------------------------------------------------------------------

struct IdleState {
  std::int64_t value = 0;
};

caf::behavior idle(caf::stateful_actor<IdleState>* self, std::int64_t value) {
  self->state.value = value;
  count_start();
  return {[self](get_atom) { return self->state.value; }};
}

}  // namespace

void run_idle_mem(const Options& opts) {
  const std::int64_t count = scaled(1'000'000, opts);
  const auto n = static_cast<std::size_t>(count);
  caf::actor_system_config cfg;
  configure(cfg, opts);
  caf::actor_system sys{cfg};
  caf::scoped_actor main_actor{sys};
  const auto until = Clock::now() + timeout(opts);

  std::vector<caf::actor> actors(n);  // n empty handles: every page written now
  const std::int64_t started_before = started();
  const Rss before = read_rss();

  const Stopwatch clock;
  for (std::size_t i = 0; i < n; ++i) actors[i] = sys.spawn(idle, static_cast<std::int64_t>(i));
  while (started() - started_before < count) {
    if (Clock::now() > until) {
      fail(kName, "timed out: " + std::to_string(started() - started_before) + " of " +
                      std::to_string(count) + " actors initialized");
    }
    std::this_thread::yield();
  }
  const double spawn_ns = clock.ns();
  const Rss after = read_rss();

  // Alive and intact: about 1,000 of them, spread over the whole range, answer
  // with the state they were built with.
  const std::size_t stride = std::max<std::size_t>(n / 1'000, 1);
  for (std::size_t i = 0; i < n; i += stride) {
    std::int64_t v = -1;
    main_actor->request(actors[i], timeout(opts), get_atom::value)
        .receive([&](std::int64_t x) { v = x; },
                 [&](caf::error& err) { fail_with(kName, "an idle actor's state", err); });
    check_eq(v, static_cast<std::int64_t>(i), kName, "state of actor " + std::to_string(i));
  }
  check(std::all_of(actors.begin(), actors.end(), [](const auto& a) { return bool(a); }), kName,
        "an actor handle is empty");
  check_eq(started() - started_before, count, kName, "actors initialized");

  const double grown_bytes = static_cast<double>(after.current_kb - before.current_kb) * 1024.0;
  result(kName, "bytes_per_actor", grown_bytes / static_cast<double>(count), "bytes");
  result(kName, "spawn_ns", spawn_ns / static_cast<double>(count), "ns");
}

}  // namespace workloads
