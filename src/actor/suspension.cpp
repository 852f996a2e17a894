#include "actor/suspension.hpp"

#include <thread>

#include "actor/cell.hpp"
#include "actor/runtime_core.hpp"
#include "sync/spin.hpp"
#include "sync/thread.hpp"

namespace tact::detail {

Suspension::Park Suspension::park() noexcept {
  // acq_rel. release: the handler's writes (the coroutine frame, the awaiter)
  // happen-before the worker that resumes us after a wake/kill/poke sees the park
  // (their acq_rel RMWs). acquire: pairs with their release if they came first.
  const std::uint64_t old = state_.fetch_add(kPark, acq_rel);
  if ((old & (kKilled | kPoked)) == 0 && wakes(old) == parks(old)) [[likely]] return Park::kParked;
  // The event (one more wake than parks so far) or a kill came first: go on.
  if (event_came(old + kPark)) return Park::kWoken;
  // A poke came while the actor ran: nobody scheduled it; we serve the lane.
  return Park::kPoked;
}

Suspension::Park Suspension::repark(bool look_at_lane) noexcept {
  // Once kPoked is down another thread may schedule the actor, run it, stop it and
  // free the cell: a reference keeps it while we look at the lane's flag.
  if (look_at_lane) cell_retain(cell_);
  // acq_rel. release: what the lane's handlers wrote reaches whoever schedules
  // us next (their RMW reads this). acquire: a wake or kill that came while
  // kPoked was up (they did not schedule) is seen here.
  const std::uint64_t old = state_.fetch_and(~kPoked, acq_rel);
  Park result = Park::kParked;
  if (event_came(old)) {
    result = Park::kWoken;  // nobody scheduled it (kPoked was up): resume now
  } else if (look_at_lane &&
             // acquire: pairs with lane_deliver's release fetch_or of the flag;
             // a poke that found kPoked up came after its flag (see above).
             (cell_->sender_flags.load(acquire) & Cell::kSystemMail) != 0) {
    // acq_rel: as poke(). If it was still waiting, the runner is ours again;
    // else a poke, the event or a kill scheduled it after our fetch_and: theirs.
    if (waiting(state_.fetch_or(kPoked, acq_rel))) result = Park::kPoked;
  }
  if (look_at_lane) cell_release(cell_);  // still live if the runner is ours
  return result;
}

void Suspension::poke() noexcept {
  // acq_rel: as wake_suspension. Only the poke that finds the runner waiting
  // schedules it; later ones find kPoked up.
  const std::uint64_t old = state_.fetch_or(kPoked, acq_rel);
  if (waiting(old)) schedule();
}

void Suspension::drop() noexcept {
  Resume on_wake = resume_;
  resume_ = nullptr;
  // The awaiter takes its waker back, or waits for a wake already on its way
  // (await_wake): either way nothing wakes this wait after this.
  on_wake(cell_, ctx_, true);
  // A withdrawn waker never wakes: count its wake, so the next park pairs with
  // its own. acq_rel: as wake_suspension (nobody schedules: kPoked is up).
  const std::uint64_t now = state_.load(acquire);
  if (!event_came(now)) state_.fetch_add(kWake, acq_rel);
  // relaxed: we run the actor; a later poke sets it again (acq_rel) and the
  // next park() sees it.
  state_.fetch_and(~kPoked, relaxed);
}

Suspension::Resumed Suspension::resume() noexcept {
  // acquire: pairs with the waker's (or killer's) release, which came before
  // this runner was scheduled or before park() saw it; a load, since nothing
  // needs clearing (the counts are equal again, or a kill stays).
  const std::uint64_t now = state_.load(acquire);
  if ((now & (kKilled | kPoked)) != 0) [[unlikely]] return resume_slow(now);
  if (parks(now) >= kRebase) [[unlikely]] rebase();
  Resume on_wake = resume_;
  resume_ = nullptr;
  on_wake(cell_, ctx_, false);
  return Resumed::kEvent;
}

Suspension::Resumed Suspension::resume_slow(std::uint64_t now) noexcept {
  if ((now & kPoked) != 0) {
    if (!event_came(now)) return Resumed::kPoked;  // the poke scheduled us: still waiting
    // A poke that came with (or after) the event did not schedule: its lane
    // mail is drained at the end of this turn. relaxed: we hold the runner.
    state_.fetch_and(~kPoked, relaxed);
  }
  const bool was_killed = (now & kKilled) != 0;
  if (!was_killed && parks(now) >= kRebase) rebase();
  Resume on_wake = resume_;
  resume_ = nullptr;
  on_wake(cell_, ctx_, was_killed);
  return was_killed ? Resumed::kKilled : Resumed::kEvent;
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
