// Counting actor starts in CAF workloads (skynet, idle_mem): CAF spawns
// asynchronously and has no spawn counter, so each actor counts its own start in
// a slot of its thread's (a plain load and store: no shared read-modify-write in
// the timed path), and the main thread sums the slots. One set of slots per
// process: caf-workloads runs each workload in a process of its own.
#pragma once

#include <atomic>
#include <cstdint>

namespace workloads::start_counter {

inline constexpr int kMaxThreads = 64;

struct alignas(64) Slot {
  std::atomic<std::int64_t> n{0};
};

inline Slot g_slots[kMaxThreads];
inline std::atomic<int> g_threads{0};

// Any thread: one more actor started here.
inline void count_start() {
  thread_local Slot* mine = &g_slots[g_threads.fetch_add(1) % kMaxThreads];
  mine->n.store(mine->n.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

// The total so far (a snapshot).
inline std::int64_t started() {
  std::int64_t total = 0;
  for (auto& slot : g_slots) total += slot.n.load(std::memory_order_relaxed);
  return total;
}

}  // namespace workloads::start_counter
