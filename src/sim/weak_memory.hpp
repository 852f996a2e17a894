// The simulation's weak-memory mode (sim::Options::weak_memory): a load of an atomic
// may return an older value than the last one stored, as far as the C++ memory model
// allows. The scheduler alone runs one thread at a time over std::atomic, so every
// load sees the last store (sequential consistency) and a missing release or acquire
// goes unseen. This model finds those: the deque's pop() storing bottom_ relaxed lets
// a thief read a ring slot from one lap earlier and take an item twice, which no
// interleaving shows but this model does (test/sim/sim_bug_test.cpp).
//
// The model (in the spirit of CDSChecker and loom, much reduced):
//   - every sim thread has a vector clock; a store or read-modify-write ticks its own
//     entry. Happens-before is "my clock has reached the writer's tick".
//   - every atomic location keeps its last kHistory stores in modification order,
//     each with the clock a reader synchronizes with when it reads it: the writer's
//     for a release store, the writer's at its last release fence for a relaxed one,
//     and, for a read-modify-write, also the one it read (release sequences).
//   - a load may return any store of that history not older than (a) the newest one
//     that happens-before it and (b) the newest one this thread already read or wrote
//     there (coherence); it picks the newest with probability 1/2, else one of them
//     at random. An acquire load joins the store's clock; a relaxed one keeps it for
//     a later acquire fence.
//   - a read-modify-write and a seq_cst load read the newest store.
//   - a seq_cst fence is an acquire and release fence that also joins one global
//     clock, both ways: fences are totally ordered and each sees what the earlier
//     ones saw. That is stronger than C++ (which orders only what the fences
//     separate), so the model may miss a bug that needs weaker fences; it never
//     reports a reordering C++ forbids, which is what keeps it usable on the whole
//     runtime.
//   - spawning and joining a thread, and a futex wake, synchronize (as the OS does);
//     synchronization outside tact's Atomic (moodycamel's queue) is declared with
//     release()/acquire() on a location of its own.
// Locations are keyed by address; an Atomic's constructor forgets the address's
// history (memory is reused). Values are the atomic's bits, up to 8 bytes.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <unordered_map>
#include <vector>

namespace tact::sim {

class WeakMemory {
 public:
  using Bits = std::uint64_t;

  // Thread `child` starts with everything `parent` has seen.
  void on_spawn(int parent, int child);
  // `joiner` has seen everything `child` did.
  void on_join(int joiner, int child);
  // A futex wake: `woken` has seen everything `waker` did.
  void on_wake(int waker, int woken);

  // `latest` is the location's current (newest) value; `random` an unbiased draw.
  Bits load(int self, const void* where, Bits latest, std::memory_order order,
            std::uint64_t random);
  // `previous` is the value the store replaced (the history's start if first seen).
  void store(int self, const void* where, Bits previous, Bits value, std::memory_order order);
  void rmw(int self, const void* where, Bits old_value, Bits new_value,
           std::memory_order order);
  void fence(int self, std::memory_order order);
  // Synchronization the model cannot see (a queue outside tact's Atomic): a release
  // on `where` and an acquire of every release made on it before.
  void release(int self, const void* where);
  void acquire(int self, const void* where);
  // An Atomic was constructed at `where`: its earlier history is another object's.
  void forget(const void* where);

  // Loads that returned an older value than the newest (a figure for the tests).
  std::uint64_t stale_loads() const noexcept { return stale_loads_; }

 private:
  using Clock = std::vector<std::uint32_t>;
  static constexpr std::size_t kHistory = 8;

  struct Store {
    Bits value = 0;
    int writer = -1;           // -1: the value the location had when first seen
    std::uint32_t tick = 0;    // the writer's clock entry at the store
    Clock sync;                // what an acquiring reader of it synchronizes with
  };
  struct Location {
    std::uint64_t first_index = 0;       // modification-order index of history.front()
    std::deque<Store> history;
    std::vector<std::uint64_t> seen;     // per thread: newest index read or written + 1
  };
  struct ThreadState {
    Clock clock;
    Clock release_fence;   // the clock at the last release fence
    Clock acquired;        // joined from relaxed loads, for the next acquire fence
  };

  ThreadState& thread(int index);
  Location& location(const void* where, Bits latest);
  std::uint64_t newest_index(const Location& loc) const;
  void tick(int self);
  void append(int self, Location& loc, Bits value, Clock sync);
  void see(Location& loc, int self, std::uint64_t index);
  static void join(Clock& into, const Clock& from);
  static bool is_acquire(std::memory_order order);
  static bool is_release(std::memory_order order);

  std::vector<ThreadState> threads_;
  std::unordered_map<const void*, Location> locations_;
  std::unordered_map<const void*, Clock> sync_objects_;
  Clock fences_;  // the seq_cst fences' total order, as one clock
  std::uint64_t stale_loads_ = 0;
};

}  // namespace tact::sim
