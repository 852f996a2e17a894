// TimerService: one per RuntimeCore. A TimerWheel behind a mutex, and one timer
// thread, started on the first schedule() (an idle runtime pays no thread), that
// sleeps until the next deadline (condition variable, wait_until) and is woken
// only when an earlier deadline arrives: it never ticks.
//
//   TimerHandle schedule(first, period, callbacks, ctx)
//     Any thread. callbacks->fire(ctx) runs on the timer thread at `first`
//     (never earlier), then, if period > 0, at first + k*period (no drift) for
//     as long as fire returns true. When the timer thread fell behind by several
//     periods, one firing is made and the missed deadlines are skipped (the next
//     is the first one after now). callbacks->dispose(ctx) runs exactly once, when
//     the timer is finished: after its one-shot firing, when cancelled, when fire
//     returned false, or at shutdown. Throws std::bad_alloc / std::system_error
//     (the thread could not start) after disposing ctx. After shutdown(): disposes
//     ctx at once and returns an inert handle.
//   TimerHandle::cancel() (timer_cancel)
//     Returns whether it prevented a firing. When it returns, fire is not running
//     and will not run again -- except when called from the timer thread (inside
//     a fire or dispose): then it only prevents later firings (no deadlock).
//     dispose may run on the timer thread just after cancel returned.
//   shutdown()
//     Idempotent. Disposes every timer that has not finished (no more firing) and
//     joins the thread. Not from inside a timer callback.
//
// Callbacks run outside the mutex: a fire may run user code (a rejected message's
// destructor) that schedules or cancels timers. Timer states, under the mutex:
//
//   pending --advance()--> due --> firing --> pending (periodic, not cancelled)
//      |                    |          \----> finished (one-shot, cancelled, fire false)
//      \--cancel()-------------------------> finished (dispose by the canceller)
//   due/firing + cancel(): `cancel_requested`; the timer thread finishes it (dispose)
//   instead of firing (again); a canceller from another thread waits for `firing`
//   to end (condition variable `fired_`).
//
// References: the service holds one on every unfinished timer, each handle one.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "sync/mutex.hpp"
#include "tact/detail/atomic.hpp"
#include "tact/detail/pool.hpp"
#include "tact/detail/timer_callbacks.hpp"
#include "tact/timer.hpp"
#include "timer/timer_wheel.hpp"

namespace tact::detail {

class TimerService;

enum class TimerState : unsigned char { kPending, kDue, kFiring, kFinished };

struct Timer final : TimerWheelEntry, PoolAllocated {
  Timer(TimerService* s, TimerClock::duration p, const TimerCallbacks* c, void* x) noexcept
      : service(s), period(p), callbacks(c), ctx(x) {}

  // Counted: the service while unfinished, and each handle.
  Atomic<std::uint32_t> refs{1};
  // Set once (release) under the mutex when the timer finishes; read without it
  // (acquire) by handles, so a finished timer's handle never touches the service.
  Atomic<bool> finished{false};
  TimerService* const service;
  const TimerClock::duration period;  // zero: once
  const TimerCallbacks* const callbacks;
  void* const ctx;
  // -- guarded by the service's mutex --------------------------------------------------------
  TimerState state = TimerState::kPending;
  bool cancel_requested = false;
};

class TimerService {
 public:
  using Clock = TimerClock;

  TimerService();
  ~TimerService();  // shutdown()
  TimerService(const TimerService&) = delete;
  TimerService& operator=(const TimerService&) = delete;

  TimerHandle schedule(Clock::time_point first, Clock::duration period, const TimerCallbacks* callbacks,
                       void* ctx);
  void shutdown() noexcept;

  // For tests and stats: whether the timer thread was started; timers not finished.
  bool thread_started() const;
  std::size_t pending() const;

  // TimerHandle's operations (see the file comment).
  static bool cancel(Timer* timer) noexcept;
  static bool active(Timer* timer) noexcept;

 private:
  void run() noexcept;  // the timer thread
  void sleep(std::unique_lock<::tact::detail::Mutex>& lock);
  // Fires (or finishes) each timer of a chain advance() handed out.
  void fire_chain(std::unique_lock<::tact::detail::Mutex>& lock, TimerWheelEntry* chain) noexcept;
  // Under the lock: the timer (scheduled, counted in unfinished_) will not fire
  // again. The caller then disposes it (unlocked) and drops the service's reference.
  void mark_finished(Timer* timer) noexcept;
  static void dispose_and_release(Timer* timer) noexcept;

  mutable ::tact::detail::Mutex mutex_;
  ::tact::detail::CondVar wake_;   // the timer thread sleeps on it
  ::tact::detail::CondVar fired_;  // cancellers wait on it for a firing to end
  TimerWheel wheel_;
  std::size_t unfinished_ = 0;
  // What the sleeping thread waits for; min() while it works (it looks at the
  // wheel again before sleeping), so schedule() notifies only for an earlier one.
  Clock::time_point sleeping_until_ = Clock::time_point::min();
  bool stopping_ = false;
  std::thread thread_;
  std::thread::id thread_id_;  // set before the thread runs, under the mutex
};

// TimerHandle's construction and sharing (the handle's pointer is private).
struct TimerHandleAccess {
  static TimerHandle adopt(Timer* timer) noexcept { return TimerHandle(timer); }
  static Timer* timer(const TimerHandle& handle) noexcept { return handle.timer_; }
  // A second handle to the same timer (one more reference).
  static TimerHandle share(const TimerHandle& handle) noexcept;
  // The timer finished (no lock; a stale false is possible, a stale true not).
  static bool finished(const TimerHandle& handle) noexcept;
};

}  // namespace tact::detail
