#include "scheduler/idle.hpp"
#include "sync/mutex.hpp"

#include <algorithm>
#include <cassert>

namespace tact::detail {

Idle::Idle(std::size_t workers)
    : max_searching_(std::max<std::size_t>(1, workers / 2)), is_sleeping_(workers, false) {
  sleepers_.reserve(workers);
}

bool Idle::transition_to_searching() noexcept {
  // relaxed: nothing is published through the count; the CAS keeps it exact.
  std::uint32_t s = state_.load(relaxed);
  for (;;) {
    if (unpack_searching(s) >= max_searching_) return false;
    // relaxed: as above; the wake protocol's ordering comes from the seq_cst
    // fences in prepare_park/notify, not from this word.
    if (state_.compare_exchange_weak(s, s + kSearchingOne, relaxed, relaxed)) return true;
  }
}

bool Idle::transition_from_searching() noexcept {
  // seq_cst: the last searcher leaving must be ordered with the notifiers' P2/P3
  // (idle.hpp): a producer that saw it searching relies on its wake-up below.
  const std::uint32_t prev = state_.fetch_sub(kSearchingOne, seq_cst);
  assert(unpack_searching(prev) > 0);
  return unpack_searching(prev) == 1;
}

void Idle::prepare_park(std::size_t worker, bool was_searching) {
  std::lock_guard<::tact::detail::Mutex> lock(mutex_);
  assert(!is_sleeping_[worker]);
  sleepers_.push_back(worker);
  is_sleeping_[worker] = true;
  const std::uint32_t delta = kSleepingOne - (was_searching ? kSearchingOne : 0u);
  // seq_cst: W1 of the protocol (idle.hpp); the caller's fence follows.
  state_.fetch_add(delta, seq_cst);
}

bool Idle::cancel_park(std::size_t worker) {
  std::lock_guard<::tact::detail::Mutex> lock(mutex_);
  if (!is_sleeping_[worker]) return false;  // claimed by a notifier
  is_sleeping_[worker] = false;
  sleepers_.erase(std::find(sleepers_.begin(), sleepers_.end(), worker));
  // seq_cst: keeps every change of state_ in the total order the proof uses.
  state_.fetch_add(kSearchingOne - kSleepingOne, seq_cst);
  return true;
}

bool Idle::was_claimed(std::size_t worker) {
  std::lock_guard<::tact::detail::Mutex> lock(mutex_);
  return !is_sleeping_[worker];
}

std::size_t Idle::claim_sleeper_to_notify() {
  std::lock_guard<::tact::detail::Mutex> lock(mutex_);
  // Re-check under the lock: another notifier may have woken a searcher already.
  const std::uint32_t s = state_.load(relaxed);  // relaxed: mutex_ orders it
  if (unpack_searching(s) != 0 || sleepers_.empty()) return kNone;
  const std::size_t worker = sleepers_.back();
  sleepers_.pop_back();
  is_sleeping_[worker] = false;
  // seq_cst: see cancel_park.
  state_.fetch_add(kSearchingOne - kSleepingOne, seq_cst);
  return worker;
}

std::vector<std::size_t> Idle::claim_all_sleepers() {
  std::lock_guard<::tact::detail::Mutex> lock(mutex_);
  std::vector<std::size_t> all;
  all.swap(sleepers_);
  for (std::size_t w : all) {
    is_sleeping_[w] = false;
    state_.fetch_add(kSearchingOne - kSleepingOne, seq_cst);  // seq_cst: see cancel_park
  }
  return all;
}

}  // namespace tact::detail
