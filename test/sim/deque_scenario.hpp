// The Chase-Lev deque's owner against two thieves, as a sim body (used by
// sim_unit_test, and by sim_bug_test with pop()'s relaxed bottom_ store back).
#pragma once

#include <array>
#include <thread>

#include "scheduler/chase_lev_deque.hpp"
#include "sim/sim.hpp"
#include "sync/spin.hpp"
#include "tact/detail/atomic.hpp"

namespace tact::simtest {

using detail::Atomic;

// ---- Chase-Lev deque: the owner against two thieves -------------------------------

// The owner pushes 8 items into a deque of 4 (a full deque's item it takes itself),
// popping after every third push and draining at the end; one thief steals single
// items, the other steals half into its own deque and pops that. Every item is taken
// exactly once.
inline bool deque_owner_vs_thieves() {
  using tact::detail::ChaseLevDeque;
  using tact::detail::StealStatus;
  struct Item {
    int id;
  };
  constexpr int kItems = 8;
  std::array<Item, kItems> items{};
  std::array<int, kItems> taken{};
  for (int i = 0; i < kItems; ++i) items[static_cast<std::size_t>(i)].id = i;
  ChaseLevDeque<Item> d(4);
  ChaseLevDeque<Item> mine(4);
  Atomic<bool> owner_done{false};
  auto take = [&](Item* it) { ++taken[static_cast<std::size_t>(it->id)]; };

  std::thread owner = sim::spawn([&] {
    for (int i = 0; i < kItems; ++i) {
      if (!d.push(&items[static_cast<std::size_t>(i)])) take(&items[static_cast<std::size_t>(i)]);
      if (i % 3 == 2) {
        if (Item* it = d.pop()) take(it);
      }
    }
    while (Item* it = d.pop()) take(it);
    owner_done.store(true);
  });
  std::thread thief = sim::spawn([&] {
    for (;;) {
      auto r = d.steal();
      if (r.status == StealStatus::kSuccess) {
        take(r.item);
      } else if (r.status == StealStatus::kEmpty && owner_done.load()) {
        return;
      } else {
        tact::detail::cpu_relax();
      }
    }
  });
  std::thread half_thief = sim::spawn([&] {
    for (;;) {
      auto r = d.steal_half(mine);
      if (r.status == StealStatus::kSuccess) {
        take(r.item);
        while (Item* it = mine.pop()) take(it);
      } else if (r.status == StealStatus::kEmpty && owner_done.load()) {
        return;
      } else {
        tact::detail::cpu_relax();
      }
    }
  });
  sim::join(owner);
  sim::join(thief);
  sim::join(half_thief);
  bool ok = d.empty() && mine.empty();
  for (int n : taken) ok = ok && n == 1;
  return ok;
}

}  // namespace tact::simtest
