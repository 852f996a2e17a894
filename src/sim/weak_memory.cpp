// The weak-memory model: see weak_memory.hpp. Called by sim.cpp under its lock, by the
// one thread that runs.
#include "sim/weak_memory.hpp"

#include <algorithm>
#include <utility>

namespace tact::sim {

bool WeakMemory::is_acquire(std::memory_order order) {
  return order == std::memory_order_acquire || order == std::memory_order_acq_rel ||
         order == std::memory_order_seq_cst || order == std::memory_order_consume;
}

bool WeakMemory::is_release(std::memory_order order) {
  return order == std::memory_order_release || order == std::memory_order_acq_rel ||
         order == std::memory_order_seq_cst;
}

void WeakMemory::join(Clock& into, const Clock& from) {
  if (into.size() < from.size()) into.resize(from.size(), 0);
  for (std::size_t i = 0; i < from.size(); ++i) into[i] = std::max(into[i], from[i]);
}

WeakMemory::ThreadState& WeakMemory::thread(int index) {
  const auto i = static_cast<std::size_t>(index);
  if (threads_.size() <= i) threads_.resize(i + 1);
  return threads_[i];
}

void WeakMemory::tick(int self) {
  Clock& c = thread(self).clock;
  const auto i = static_cast<std::size_t>(self);
  if (c.size() <= i) c.resize(i + 1, 0);
  ++c[i];
}

std::uint64_t WeakMemory::newest_index(const Location& loc) const {
  return loc.first_index + loc.history.size() - 1;
}

WeakMemory::Location& WeakMemory::location(const void* where, Bits latest) {
  Location& loc = locations_[where];
  // First seen, or changed outside the model (by a thread the scheduler does not
  // run): the current value is one every thread may read, and none older.
  if (loc.history.empty() || loc.history.back().value != latest) {
    Store initial;
    initial.value = latest;
    loc.first_index += loc.history.empty() ? 0 : loc.history.size();
    loc.history.clear();
    loc.history.push_back(std::move(initial));
  }
  return loc;
}

void WeakMemory::see(Location& loc, int self, std::uint64_t index) {
  const auto i = static_cast<std::size_t>(self);
  if (loc.seen.size() <= i) loc.seen.resize(i + 1, 0);
  loc.seen[i] = std::max(loc.seen[i], index + 1);
}

void WeakMemory::append(int self, Location& loc, Bits value, Clock sync) {
  Store s;
  s.value = value;
  s.writer = self;
  s.tick = thread(self).clock[static_cast<std::size_t>(self)];  // the caller ticked
  s.sync = std::move(sync);
  loc.history.push_back(std::move(s));
  if (loc.history.size() > kHistory) {
    loc.history.pop_front();
    ++loc.first_index;
  }
  see(loc, self, newest_index(loc));
}

WeakMemory::Bits WeakMemory::load(int self, const void* where, Bits latest,
                                  std::memory_order order, std::uint64_t random) {
  Location& loc = location(where, latest);
  ThreadState& me = thread(self);
  const std::uint64_t newest = newest_index(loc);
  // The oldest store this load may read: not older than one that happens-before it,
  // nor than one this thread already read or wrote (coherence).
  std::uint64_t oldest = loc.first_index;
  for (std::size_t k = loc.history.size(); k-- > 0;) {
    const Store& s = loc.history[k];
    const auto w = static_cast<std::size_t>(s.writer);
    if (s.writer < 0 || (w < me.clock.size() && me.clock[w] >= s.tick)) {
      oldest = loc.first_index + k;
      break;
    }
  }
  const auto i = static_cast<std::size_t>(self);
  if (i < loc.seen.size() && loc.seen[i] > 0) oldest = std::max(oldest, loc.seen[i] - 1);
  std::uint64_t pick = newest;
  if (order != std::memory_order_seq_cst && oldest < newest && (random & 1) != 0) {
    pick = oldest + (random >> 1) % (newest - oldest + 1);
  }
  const Store& s = loc.history[static_cast<std::size_t>(pick - loc.first_index)];
  if (pick != newest) ++stale_loads_;
  see(loc, self, pick);
  if (is_acquire(order)) {
    join(me.clock, s.sync);
  } else {
    join(me.acquired, s.sync);
  }
  return s.value;
}

void WeakMemory::store(int self, const void* where, Bits previous, Bits value,
                       std::memory_order order) {
  Location& loc = location(where, previous);
  tick(self);
  const ThreadState& me = thread(self);
  append(self, loc, value, is_release(order) ? me.clock : me.release_fence);
}

void WeakMemory::rmw(int self, const void* where, Bits old_value, Bits new_value,
                     std::memory_order order) {
  Location& loc = location(where, old_value);
  ThreadState& me = thread(self);
  // A read-modify-write reads the newest store, and continues its release sequence.
  Clock sync = loc.history.back().sync;
  join(is_acquire(order) ? me.clock : me.acquired, sync);
  tick(self);
  join(sync, is_release(order) ? me.clock : me.release_fence);
  append(self, loc, new_value, std::move(sync));
}

void WeakMemory::fence(int self, std::memory_order order) {
  ThreadState& me = thread(self);
  if (is_acquire(order)) join(me.clock, me.acquired);
  if (order == std::memory_order_seq_cst) {
    join(me.clock, fences_);
    join(fences_, me.clock);
  }
  if (is_release(order)) me.release_fence = me.clock;
}

void WeakMemory::release(int self, const void* where) {
  join(sync_objects_[where], thread(self).clock);
}

void WeakMemory::acquire(int self, const void* where) {
  const auto it = sync_objects_.find(where);
  if (it != sync_objects_.end()) join(thread(self).clock, it->second);
}

void WeakMemory::forget(const void* where) { locations_.erase(where); }

void WeakMemory::on_spawn(int parent, int child) {
  Clock c = thread(parent).clock;  // a copy: thread(child) may grow threads_
  thread(child).clock = std::move(c);
}

void WeakMemory::on_join(int joiner, int child) {
  const Clock c = thread(child).clock;
  join(thread(joiner).clock, c);
}

void WeakMemory::on_wake(int waker, int woken) {
  const Clock c = thread(waker).clock;
  join(thread(woken).clock, c);
}

}  // namespace tact::sim
