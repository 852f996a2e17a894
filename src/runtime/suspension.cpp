#include "runtime/suspension.hpp"

#include <thread>

#include "runtime/cell.hpp"
#include "runtime/runtime_core.hpp"

namespace tact::detail {

bool Suspension::park() noexcept {
  // acq_rel. release: the handler's writes (the coroutine frame, the awaiter)
  // happen-before the worker that resumes us after a wake/kill sees kParked
  // (their acq_rel RMWs). acquire: pairs with their release if they came first.
  const std::uint32_t old = state_.fetch_or(kParked, acq_rel);
  return (old & (kWoken | kKilled)) == 0;
}

bool Suspension::resume() noexcept {
  // acq_rel. acquire: pairs with the waker's release (the reply it published is
  // visible). release: nothing new, but a kill arriving after sees a clean word.
  const std::uint32_t old = state_.exchange(0, acq_rel);
  const bool was_killed = (old & kKilled) != 0;
  // Killed: put every bit back (kKilled is sticky; kWoken tells await_wake the
  // event has come). relaxed: only this runner reads them back; a wake that
  // slips in between finds no kParked and does nothing but set kWoken.
  if (was_killed) state_.fetch_or(old, relaxed);
  Resume on_wake = resume_;
  resume_ = nullptr;
  on_wake(cell_, ctx_, was_killed);
  return was_killed;
}

void Suspension::await_wake() const noexcept {
  unsigned spins = 0;
  // acquire: pairs with the waker's release; after it, the waker touches nothing.
  while ((state_.load(acquire) & kWoken) == 0) {
    if (++spins % 64 == 0) {
      std::this_thread::yield();
    } else {
      cpu_relax();
    }
  }
}

void Suspension::wake_suspension(Waker* self) noexcept {
  auto* me = static_cast<Suspension*>(self);
  // acq_rel. release: what the waking side wrote (a reply's outcome) reaches the
  // runner's acquire in resume(). acquire: pairs with park()'s release.
  const std::uint32_t old = me->state_.fetch_or(kWoken, acq_rel);
  if ((old & (kParked | kWoken | kKilled)) == kParked) me->schedule();
}

void Suspension::kill() noexcept {
  // acq_rel: as wake_suspension.
  const std::uint32_t old = state_.fetch_or(kKilled, acq_rel);
  if ((old & (kParked | kWoken | kKilled)) == kParked) schedule();
}

void Suspension::schedule() noexcept { cell_->runtime()->scheduler().schedule(cell_); }

}  // namespace tact::detail
