#include "sync/mutex.hpp"
#include "sync/thread.hpp"
#include "tact/detail/clock.hpp"
#include "timer/timer_service.hpp"

#include <optional>
#include <utility>

namespace tact::detail {
namespace {

// The longest single sleep: a far deadline is slept towards in steps (the wheel
// reports top-level slot starts up to years ahead; nothing needs such a wait).
constexpr auto kMaxSleep = std::chrono::hours(1);

Timer* timer_of(TimerWheelEntry* entry) noexcept { return static_cast<Timer*>(entry); }

void retain(Timer* timer) noexcept {
  // relaxed: a new reference from an existing one (as cell_retain).
  timer->refs.fetch_add(1, relaxed);
}

// The deadline after `previous` for a periodic timer: previous + period, or,
// when that is already past, the first previous + k*period after `now` (missed
// firings are skipped, the phase is kept). Saturates instead of overflowing.
TimerClock::time_point next_deadline(TimerClock::time_point previous, TimerClock::duration period,
                                     TimerClock::time_point now) noexcept {
  if (previous > TimerClock::time_point::max() - period) return TimerClock::time_point::max();
  const TimerClock::time_point next = previous + period;
  if (next > now) return next;
  const auto missed = (now - previous) / period;  // >= 1
  return previous + period * (missed + 1);
}

}  // namespace

TimerService::TimerService() : wheel_(::tact::detail::steady_now()) {}

TimerService::~TimerService() { shutdown(); }

// ---- scheduling and cancelling ---------------------------------------------------------------

TimerHandle TimerService::schedule(Clock::time_point first, Clock::duration period,
                                   const TimerCallbacks* callbacks, void* ctx) {
  Timer* timer;
  try {
    timer = new Timer(this, period, callbacks, ctx);
  } catch (...) {
    callbacks->dispose(ctx);
    throw;
  }
  std::unique_lock<::tact::detail::Mutex> lock(mutex_);
  if (stopping_) {
    lock.unlock();
    dispose_and_release(timer);  // never shared: nothing else to tell
    return TimerHandle();
  }
  if (!thread_.joinable()) {
    try {
      thread_ = start_thread([this] { run(); });
    } catch (...) {
      lock.unlock();
      dispose_and_release(timer);
      throw;
    }
    thread_id_ = thread_.get_id();
  }
  retain(timer);  // the handle's reference; the service keeps the first
  ++unfinished_;
  wheel_.insert(timer, first);
  const bool earlier = first < sleeping_until_;
  lock.unlock();
  if (earlier) wake_.notify_one();
  return TimerHandleAccess::adopt(timer);
}

bool TimerService::cancel(Timer* timer) noexcept {
  // acquire: pairs with the release store in mark_finished; a finished timer's
  // service may be gone (shut down and destroyed): do not touch it.
  if (timer->finished.load(acquire)) return false;
  TimerService& service = *timer->service;
  std::unique_lock<::tact::detail::Mutex> lock(service.mutex_);
  switch (timer->state) {
    case TimerState::kPending:
      service.wheel_.remove(timer);
      service.mark_finished(timer);
      lock.unlock();
      dispose_and_release(timer);
      return true;
    case TimerState::kDue:
      // Handed out, not fired yet: the timer thread finishes it instead.
      return !std::exchange(timer->cancel_requested, true);
    case TimerState::kFiring: {
      const bool prevented = !timer->cancel_requested && timer->period != Clock::duration::zero();
      timer->cancel_requested = true;
      // From the timer thread: we are inside this very firing (only that thread
      // fires); waiting would deadlock.
      if (std::this_thread::get_id() == service.thread_id_) return prevented;
      service.fired_.wait(lock, [timer] { return timer->state != TimerState::kFiring; });
      return prevented;
    }
    case TimerState::kFinished:
      break;
  }
  return false;
}

bool TimerService::active(Timer* timer) noexcept {
  if (timer->finished.load(acquire)) return false;  // acquire: as in cancel()
  std::lock_guard<::tact::detail::Mutex> lock(timer->service->mutex_);
  return timer->state != TimerState::kFinished && !timer->cancel_requested;
}

void TimerService::mark_finished(Timer* timer) noexcept {
  timer->state = TimerState::kFinished;
  --unfinished_;
  // release: pairs with the acquire loads in cancel() and active(), and in
  // TimerHandleAccess::finished (ActorTimers' pruning).
  timer->finished.store(true, release);
}

void TimerService::dispose_and_release(Timer* timer) noexcept {
  timer->callbacks->dispose(timer->ctx);
  timer_release(timer);  // the service's reference
}

// ---- the timer thread -------------------------------------------------------------------------

void TimerService::run() noexcept {
  std::unique_lock<::tact::detail::Mutex> lock(mutex_);
  while (!stopping_) {
    if (TimerWheelEntry* chain = wheel_.advance(::tact::detail::steady_now())) {
      fire_chain(lock, chain);
    } else {
      sleep(lock);
    }
  }
}

void TimerService::sleep(std::unique_lock<::tact::detail::Mutex>& lock) {
  const std::optional<Clock::time_point> next = wheel_.next_deadline();
  const Clock::time_point cap = ::tact::detail::steady_now() + kMaxSleep;
  sleeping_until_ = next && *next < cap ? *next : cap;
  // schedule() notifies (after unlocking) when it files an earlier deadline;
  // a spurious or early return just looks at the wheel again.
  wake_.wait_until(lock, sleeping_until_);
  sleeping_until_ = Clock::time_point::min();
}

void TimerService::fire_chain(std::unique_lock<::tact::detail::Mutex>& lock, TimerWheelEntry* chain) noexcept {
  for (TimerWheelEntry* e = chain; e != nullptr; e = e->next) timer_of(e)->state = TimerState::kDue;
  while (chain != nullptr) {
    Timer* timer = timer_of(chain);
    chain = chain->next;
    const Clock::time_point deadline = timer->deadline;
    bool again = false;
    if (!timer->cancel_requested && !stopping_) {
      timer->state = TimerState::kFiring;
      lock.unlock();
      const bool keep = timer->callbacks->fire(timer->ctx);
      lock.lock();
      again = keep && timer->period != Clock::duration::zero() && !timer->cancel_requested && !stopping_;
    }
    if (again) {
      timer->state = TimerState::kPending;
      wheel_.insert(timer, next_deadline(deadline, timer->period, ::tact::detail::steady_now()));
    } else {
      mark_finished(timer);
    }
    fired_.notify_all();  // cancellers waiting for this firing to end
    if (!again) {
      lock.unlock();
      dispose_and_release(timer);
      lock.lock();
    }
  }
}

// ---- shutdown ---------------------------------------------------------------------------------

void TimerService::shutdown() noexcept {
  std::unique_lock<::tact::detail::Mutex> lock(mutex_);
  stopping_ = true;
  std::thread thread = std::move(thread_);
  lock.unlock();
  wake_.notify_one();
  // The thread finishes the chain it holds (disposing, not firing) and exits.
  if (thread.joinable()) join_thread(thread);
  lock.lock();
  TimerWheelEntry* chain = wheel_.take_all();
  for (TimerWheelEntry* e = chain; e != nullptr; e = e->next) mark_finished(timer_of(e));
  lock.unlock();
  while (chain != nullptr) {
    Timer* timer = timer_of(chain);
    chain = chain->next;  // before the release may free it
    dispose_and_release(timer);
  }
}

bool TimerService::thread_started() const {
  std::lock_guard<::tact::detail::Mutex> lock(mutex_);
  return thread_id_ != std::thread::id();
}

std::size_t TimerService::pending() const {
  std::lock_guard<::tact::detail::Mutex> lock(mutex_);
  return unfinished_;
}

// ---- handles ------------------------------------------------------------------------------------

TimerHandle TimerHandleAccess::share(const TimerHandle& handle) noexcept {
  Timer* timer = handle.timer_;
  if (timer == nullptr) return TimerHandle();
  retain(timer);
  return TimerHandle(timer);
}

bool TimerHandleAccess::finished(const TimerHandle& handle) noexcept {
  // acquire: pairs with the release store in mark_finished.
  return handle.timer_ == nullptr || handle.timer_->finished.load(acquire);
}

bool timer_cancel(Timer* timer) noexcept { return TimerService::cancel(timer); }

bool timer_active(Timer* timer) noexcept { return TimerService::active(timer); }

void timer_release(Timer* timer) noexcept {
  // acq_rel: as cell_release (release orders this holder's uses before the
  // free; acquire, for the last one, sees every other holder's uses).
  if (timer->refs.fetch_sub(1, acq_rel) == 1) delete timer;
}

}  // namespace tact::detail
