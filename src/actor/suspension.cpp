#include "actor/suspension.hpp"

#include <thread>

#include "actor/cell.hpp"
#include "actor/runtime_core.hpp"
#include "sync/spin.hpp"
#include "sync/thread.hpp"

namespace tact::detail {

bool Suspension::park() noexcept {
  // acq_rel. release: the handler's writes (the coroutine frame, the awaiter)
  // happen-before the worker that resumes us after a wake/kill sees the park
  // (their acq_rel RMWs). acquire: pairs with their release if they came first.
  const std::uint64_t old = state_.fetch_add(kPark, acq_rel);
  // The event (one more wake than parks so far) or a kill came first: go on.
  return (old & kKilled) == 0 && wakes(old) == parks(old);
}

bool Suspension::resume() noexcept {
  // acquire: pairs with the waker's (or killer's) release, which came before
  // this runner was scheduled or before park() saw it; a load, since nothing
  // needs clearing (the counts are equal again, or a kill stays).
  const std::uint64_t now = state_.load(acquire);
  const bool was_killed = (now & kKilled) != 0;
  if (!was_killed && parks(now) >= kRebase) rebase();
  Resume on_wake = resume_;
  resume_ = nullptr;
  on_wake(cell_, ctx_, was_killed);
  return was_killed;
}

void Suspension::rebase() noexcept {
  // No wake is pending (wakes == parks: this resume's came), so only a kill can
  // change the word meanwhile: retry until the subtraction lands on the value
  // it read. relaxed: the counts carry no data.
  std::uint64_t old = state_.load(relaxed);
  while (!state_.compare_exchange_weak(old, old - kRebase * kPark - kRebase * kWake, relaxed,
                                       relaxed)) {
  }
}

void Suspension::await_wake() const noexcept {
  unsigned spins = 0;
  // acquire: pairs with the waker's release; after it, the waker touches nothing.
  while (true) {
    const std::uint64_t now = state_.load(acquire);
    if (wakes(now) == parks(now)) return;
    if (++spins % 64 == 0) {
      detail::yield_thread();
    } else {
      cpu_relax();
    }
  }
}

void Suspension::wake_suspension(Waker* self) noexcept {
  auto* me = static_cast<Suspension*>(self);
  // acq_rel. release: what the waking side wrote (a reply's outcome) reaches the
  // runner's acquire in resume(). acquire: pairs with park()'s release.
  const std::uint64_t old = me->state_.fetch_add(kWake, acq_rel);
  if (waiting(old)) me->schedule();
}

void Suspension::kill() noexcept {
  // acq_rel: as wake_suspension.
  const std::uint64_t old = state_.fetch_or(kKilled, acq_rel);
  if (waiting(old)) schedule();
}

void Suspension::schedule() noexcept { cell_->runtime()->scheduler().schedule(cell_); }

}  // namespace tact::detail
