// ctx.blocking(f): f() as a job on the runtime's blocking pool
// (src/actor/blocking_pool.hpp), its result or exception answering a Reply.
#pragma once

#include <exception>
#include <memory>
#include <type_traits>
#include <utility>

#include "tact/detail/runtime_abi.hpp"
#include "tact/reply.hpp"

namespace tact::detail {

template <class R, class F>
struct BlockingJob {
  F fn;
  Promise<R> promise;

  // BlockingFn: runs (or, at shutdown, cancels) the job, then frees it.
  static void call(void* self, bool run) noexcept {
    std::unique_ptr<BlockingJob> job(static_cast<BlockingJob*>(self));
    if (!run) {
      job->promise.set_error(error_actor_stopped());
      return;
    }
    try {
      if constexpr (std::is_void_v<R>) {
        job->fn();
        job->promise.set_value();
      } else {
        job->promise.set_value(job->fn());
      }
    } catch (...) {
      // f threw (or R's constructor did: the promise is still pending then).
      job->promise.set_error(std::current_exception());
    }
  }
};

template <class F>
auto submit_blocking(RuntimeCore* runtime, F&& f) {
  using Fn = std::decay_t<F>;
  static_assert(std::is_invocable_v<Fn&>, "tact: ctx.blocking(f): f must be callable with no arguments");
  using R = std::invoke_result_t<Fn&>;
  static_assert(!std::is_reference_v<R>,
                "tact: ctx.blocking(f): f returns a reference; return a value (it crosses threads)");
  auto [promise, reply] = Promise<R>::make();
  auto job = std::make_unique<BlockingJob<R, Fn>>(BlockingJob<R, Fn>{Fn(std::forward<F>(f)), std::move(promise)});
  switch (blocking_pool_submit(runtime, &BlockingJob<R, Fn>::call, job.get())) {
    case BlockingSubmit::kQueued:
      (void)job.release();  // the pool calls it once, which frees it
      break;
    case BlockingSubmit::kFull:
      job->promise.set_error(error_mailbox_full());
      break;
    case BlockingSubmit::kClosed:
      job->promise.set_error(error_actor_stopped());
      break;
  }
  return std::move(reply);
}

}  // namespace tact::detail
