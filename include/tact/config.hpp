// tact::Config: how a Runtime runs. Every field has a default that suits a
// 2-16 core server; docs/guide.md ("Tuning") says when to change them.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <string_view>

namespace tact {

struct Config {
  // Worker threads. 0: one per hardware thread (std::thread::hardware_concurrency).
  std::size_t workers = 0;

  // Pin worker i to CPU i (mod the CPU count). Helps latency on a quiet machine;
  // hurts when the cores are shared with other busy processes.
  bool pin_workers = false;

  // How long an idle worker keeps looking for work (spinning) before it sleeps.
  // Longer: lower wake-up latency for bursty traffic, more CPU burnt when idle.
  std::chrono::microseconds spin_before_park{50};

  // Never sleep: idle workers spin forever (lowest latency, one core per worker).
  bool busy_poll = false;

  // Messages an actor handles per turn before it goes to the back of the queue,
  // so one busy actor cannot starve the others on its worker.
  std::uint32_t budget = 128;

  // Default bound of every actor's mailbox, in messages; 0: unbounded. An actor
  // class may set its own (`static constexpr std::size_t mailbox_bound = N;`).
  // A full mailbox refuses user messages (tell/try_tell return false, ask
  // resolves with tact::MailboxFull, co_await ref.send() waits); system
  // messages (stop, Down, timer ticks) are never refused.
  std::uint32_t mailbox_bound = 0;

  // Backpressure for unbounded mailboxes (after Pony's muting;
  // src/actor/backpressure.hpp): an actor whose handler tells an actor that is
  // behind (its last turn used the whole budget and left mail) is not run again
  // until that actor has caught up, and a turn that tells more than `budget`
  // messages to busy actors ends early. Bounds the backlog a fast producer
  // builds in a slow consumer's mailbox to about one handler's tells. Tells from
  // outside the runtime are never paused. The paused producers and the consumer
  // then stay on one worker (no other steals them), where each message passes
  // through one core's cache: fan-in on 2 workers ran ~4x faster in ~20x less
  // memory than without (docs/backpressure.md). The cost when nobody is behind:
  // a few instructions a turn (ring ~5-9% fewer hops/s). false: mailboxes grow
  // as fast as producers tell.
  bool mute_senders = true;

  // Capacity of each worker's local run queue (rounded up to a power of two);
  // overflow goes to the global injection queue.
  std::size_t local_queue_capacity = 256;

  // ctx.blocking(f) (context.hpp): f runs on a separate pool of at most this
  // many threads, started on first use, so blocking calls never stall a
  // worker. Sized for a few concurrent blocking calls (files, a legacy
  // client); each waits in a queue of at most `blocking_queue` jobs beyond
  // those the threads can take (a full queue answers tact::MailboxFull).
  std::size_t blocking_threads = 4;
  std::size_t blocking_queue = 1024;
  // At shutdown, queued blocking jobs are cancelled (tact::ActorStopped) and
  // running ones are waited for at most this long; a job still running then
  // is left to finish on its own thread, so shutdown never hangs on one.
  std::chrono::milliseconds blocking_shutdown_wait{1000};

  // Runtime::shutdown() first lets queued messages be handled, for at most this
  // long (actors that keep messaging each other never go quiet), then stops
  // every actor.
  std::chrono::milliseconds shutdown_drain{2000};

  // Per actor class and per worker counters, and sampled handler and mailbox
  // wait times (tact/metrics.hpp, docs/metrics.md): rt.metrics(). The cost,
  // measured: within 3% on every workload (docs/metrics.md). false: nothing is
  // counted, and rt.metrics() is empty.
  bool metrics = true;

  // Hooks, called on the thread where it happens (any thread, often a
  // worker's): keep them short, and don't block or call back into the runtime
  // from them. What they throw is swallowed.
  //   on_dead_letter: a user message reached a stopped actor (its class, the
  //     message's type), also counted in stats() and metrics();
  //   on_failure: an actor's handler (or on_start) threw: its class and the
  //     exception (which HandlerFailed carries to an asker).
  std::function<void(std::string_view actor_class, std::string_view message_type)> on_dead_letter;
  std::function<void(std::string_view actor_class, std::exception_ptr error)> on_failure;

  // The slow-handler watchdog (with metrics on): a worker that has been
  // running one actor's turn (its handler, in practice) for longer than this
  // is reported while it still runs: on_slow_handler(actor class, time so
  // far), or a line on stderr without a hook; counted in metrics().
  // 0: no watchdog (no thread).
  std::chrono::milliseconds slow_handler{0};
  std::function<void(std::string_view actor_class, std::chrono::nanoseconds running)> on_slow_handler;
};

}  // namespace tact
